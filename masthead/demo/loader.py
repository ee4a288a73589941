"""Build the demo newsroom, The Harbour Ledger, in an empty Masthead.

Invariant: loading twice changes nothing. Every object is looked up by its natural key
(a page by its slug under its parent, an author by slug, an image by title, the editor by
email) and only created when absent; what exists is left exactly as it is, so a second
run creates no rows, no revisions and no files, and never undoes an editor's changes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import IO, Any
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site

from masthead.content.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    HomePage,
    InfoPage,
    SectionPage,
)
from masthead.events.models import EventIndexPage, EventPage, EventSpeaker
from masthead.newsletters.models import Newsletter
from masthead.newsletters.signup_boxes import offer_for
from masthead.readers.models import LegalPage

from . import artwork
from .content import (
    AUTHORS,
    DEMO_COLLECTION,
    EDITOR,
    EVENTS,
    EVENTS_INTRO,
    EVENTS_SLUG,
    EVENTS_TITLE,
    LEAD_STORY_SLUG,
    NEWSROOM_NAME,
    NEWSROOM_TAGLINE,
    SECTIONS,
    ArticleSpec,
    ImageSpec,
    articles,
    info_pages,
)

SITE_HOSTNAME = "127.0.0.1"
SITE_PORT = 80
DEFAULT_DEMO_PASSWORD = "masthead-demo"  # noqa: S105 (a documented demo credential)

_REFUSE_PUBLISHED_CREDENTIAL = (
    "The demo editor's password is the one published in the README; under production "
    "settings set MASTHEAD_DEMO_PASSWORD to a strong password of your own."
)


class DemoRefused(Exception):
    """Loading the demo here would be unsafe; the message says why and what to do."""


def check_demo_allowed(*, force: bool) -> None:
    """Refuse the demo under production settings unless forced, and even forced refuse
    the published password or one Django's password validators reject."""
    if not settings.PRODUCTION:
        return
    if not force:
        raise DemoRefused(
            "These are production settings (MASTHEAD_PRODUCTION=1): the demo would add "
            "sample articles and a superuser to this site. Run it on a development copy, "
            "or pass --force with MASTHEAD_DEMO_PASSWORD set to a strong password of "
            "your own if you really mean it."
        )
    password = settings.MASTHEAD_DEMO_PASSWORD or DEFAULT_DEMO_PASSWORD
    if password == DEFAULT_DEMO_PASSWORD:
        raise DemoRefused(_REFUSE_PUBLISHED_CREDENTIAL)
    try:
        validate_password(password)
    except ValidationError as error:
        raise DemoRefused(
            "MASTHEAD_DEMO_PASSWORD is too weak for a production superuser: "
            + " ".join(error.messages)
        ) from None


@dataclass
class DemoSummary:
    """What a run created; `existing` counts what was already there and left alone."""

    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, kind: str, *, created: bool) -> None:
        bucket = self.created if created else self.existing
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return any(self.created.values())

    def __str__(self) -> str:
        if not self.changed:
            kept = ", ".join(f"{n} {kind}" for kind, n in self.existing.items())
            return f"{NEWSROOM_NAME} demo already loaded; nothing changed ({kept})."
        kinds = list(dict.fromkeys([*self.created, *self.existing]))
        parts = [
            f"{kind}: {self.created.get(kind, 0)} created, {self.existing.get(kind, 0)} kept"
            for kind in kinds
        ]
        return f"{NEWSROOM_NAME} demo loaded in {self.seconds:.1f}s. " + "; ".join(parts) + "."


class _Loader:
    def __init__(self, *, image_scale: float, stdout: IO[str] | None) -> None:
        self.image_scale = image_scale
        self.stdout = stdout
        self.summary = DemoSummary()
        self.now = timezone.now()
        self.editor: Any = None
        self.collection: Collection | None = None

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message + "\n")

    # -- people ---------------------------------------------------------------------------

    def ensure_editor(self) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=EDITOR.email).first()
        created = user is None
        if user is None:
            password = settings.MASTHEAD_DEMO_PASSWORD or DEFAULT_DEMO_PASSWORD
            if settings.PRODUCTION and password == DEFAULT_DEMO_PASSWORD:
                # The command checks first; this keeps any other caller honest too.
                raise DemoRefused(_REFUSE_PUBLISHED_CREDENTIAL)
            user = user_model.objects.create_superuser(
                email=EDITOR.email,
                password=password,
                first_name=EDITOR.first_name,
                last_name=EDITOR.last_name,
            )
            self.say(f"Created the demo editor {EDITOR.email}.")
        if not EmailAddress.objects.filter(user=user, email__iexact=user.email).exists():
            # Newsletters go only to an address its reader has proved (newsletters'
            # sending): the editor's counts as proved, as if staff had marked it
            # verified, so the editor can choose newsletters and receive the issues sent.
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        self.summary.count("editor", created=created)
        self.editor = user

    def ensure_authors(self) -> dict[str, Author]:
        authors: dict[str, Author] = {}
        palettes = ("noon", "ember", "moss", "dusk", "teal", "storm")
        for index, spec in enumerate(AUTHORS):
            author = Author.objects.filter(slug=spec.slug).first()
            created = author is None
            if author is None:
                photo = self.ensure_image(
                    title=f"{spec.name}, portrait",
                    alt=f"Portrait illustration with the initials of {spec.name}",
                    filename=f"demo-author-{spec.slug}.jpg",
                    draw=lambda spec=spec, index=index: artwork.draw_portrait(
                        spec.name,
                        size=self.scaled(artwork.PORTRAIT_SIZE),
                        palette_name=palettes[index % len(palettes)],
                    ),
                )
                author = Author.objects.create(
                    slug=spec.slug, name=spec.name, role=spec.role, bio=spec.bio, photo=photo
                )
            self.summary.count("authors", created=created)
            authors[spec.slug] = author
        return authors

    # -- images ---------------------------------------------------------------------------

    def scaled(self, size: tuple[int, int]) -> tuple[int, int]:
        return (
            max(16, round(size[0] * self.image_scale)),
            max(16, round(size[1] * self.image_scale)),
        )

    def ensure_collection(self) -> Collection:
        collection = Collection.objects.filter(name=DEMO_COLLECTION).first()
        if collection is None:
            collection = Collection.get_first_root_node().add_child(name=DEMO_COLLECTION)
        return collection

    def ensure_image(
        self, *, title: str, alt: str, filename: str, draw: Callable[[], bytes]
    ) -> Any:
        image_model = get_image_model()
        image = image_model.objects.filter(title=title).order_by("pk").first()
        if image is not None:
            self.summary.count("images", created=False)
            return image
        data = draw()
        image = image_model(
            title=title,
            description=alt[:255],
            collection=self.collection,
            file=ImageFile(BytesIO(data), name=filename),
            file_size=len(data),
            file_hash=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
            uploaded_by_user=self.editor,
        )
        image.save()
        self.summary.count("images", created=True)
        return image

    def scene(self, spec: ImageSpec, *, title: str, filename: str) -> Any:
        return self.ensure_image(
            title=title,
            alt=spec.alt,
            filename=filename,
            draw=lambda: artwork.draw_scene(
                spec.art, seed=title, size=self.scaled(artwork.HERO_SIZE)
            ),
        )

    # -- pages ----------------------------------------------------------------------------

    def publish_child(self, parent: Page, page: Page) -> Page:
        page.owner = self.editor
        parent.add_child(instance=page)
        page.save_revision(user=self.editor, log_action=True).publish(user=self.editor)
        return page

    def ensure_home(self) -> HomePage:
        home = HomePage.objects.first()
        if home is not None:
            self.summary.count("pages", created=False)
            return home
        root = Page.get_first_root_node()
        # Wagtail's first migration leaves a bare "Welcome to your new Wagtail site!" page
        # at /home/ with a Site on it. Like Wagtail's project template, replace the page
        # with the real home page; unlike it, keep the Site row (and the site settings
        # that hang off it) by pointing it at the new page before the old one goes.
        welcome = [
            child
            for child in root.get_children()
            if child.specific_class is Page and child.slug == "home" and child.numchild == 0
        ]
        for page in welcome:
            Page.objects.filter(pk=page.pk).update(slug=f"wagtail-welcome-{page.pk}")
        home = HomePage(title=NEWSROOM_NAME, slug="home", search_description=NEWSROOM_TAGLINE)
        home.owner = self.editor
        root.add_child(instance=home)
        for site in Site.objects.filter(root_page__in=[page.pk for page in welcome]):
            self.configure_site(site, home)
        for page in welcome:
            Page.objects.get(pk=page.pk).delete()
        self.summary.count("pages", created=True)
        self.say(f"Created the home page '{NEWSROOM_NAME}'.")
        return home

    def configure_site(self, site: Site, home: HomePage) -> None:
        Site.objects.filter(is_default_site=True).exclude(pk=site.pk).update(is_default_site=False)
        site.hostname = SITE_HOSTNAME
        site.port = SITE_PORT
        site.root_page = home
        site.site_name = NEWSROOM_NAME
        site.is_default_site = True
        site.save()
        self.summary.count("site", created=True)
        self.say(f"Made {site} the default site.")

    def ensure_site(self, home: HomePage) -> Site:
        """Make the newsroom the default site, unless a site already serves it."""
        site = Site.objects.filter(root_page=home).order_by("-is_default_site", "pk").first()
        if site is not None:
            if not self.summary.created.get("site"):
                self.summary.count("site", created=False)
            return site
        site = Site.objects.filter(hostname=SITE_HOSTNAME, port=SITE_PORT).first() or Site(
            hostname=SITE_HOSTNAME, port=SITE_PORT
        )
        self.configure_site(site, home)
        return site

    def ensure_sections(self, home: HomePage) -> dict[str, SectionPage]:
        sections: dict[str, SectionPage] = {}
        for spec in SECTIONS:
            parent: Page = sections[spec.parent] if spec.parent else home
            section = SectionPage.objects.child_of(parent).filter(slug=spec.slug).first()
            created = section is None
            if section is None:
                section = SectionPage(
                    title=spec.title,
                    slug=spec.slug,
                    standfirst=spec.standfirst,
                    default_access_level=spec.default_access,
                    show_in_menus=spec.parent is None,
                )
                self.publish_child(parent, section)
            self.summary.count("pages", created=created)
            sections[spec.slug] = section
        return sections

    def ensure_info_pages(self, home: HomePage) -> None:
        for spec in info_pages():
            page = Page.objects.child_of(home).filter(slug=spec.slug).first()
            if page is None:
                fields = {"title": spec.title, "slug": spec.slug, "body": spec.body}
                self.publish_child(
                    home,
                    LegalPage(document=spec.document, version="1", show_in_menus=True, **fields)
                    if spec.document
                    else InfoPage(show_in_menus=True, **fields),
                )
            self.summary.count("pages", created=page is None)

    def ensure_newsletters(self) -> None:
        for order, (slug, name, cadence, description) in enumerate(NEWSLETTERS):
            _, created = Newsletter.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "cadence": cadence,
                    "description": description,
                    "sort_order": order,
                    # One is open to anyone (double opt-in), to show the public sign-up.
                    "audience": Newsletter.Audience.OPEN
                    if slug in OPEN_NEWSLETTERS
                    else Newsletter.Audience.REGISTERED,
                },
            )
            self.summary.count("newsletters", created=created)

    def ensure_events(self, home: HomePage, authors: dict[str, Author]) -> None:
        """The events listing (one a site: an editor's own is kept, wherever it is) and
        the demo's upcoming events in it, dated from the day the demo is loaded."""
        index = EventIndexPage.objects.order_by("pk").first()
        self.summary.count("pages", created=index is None)
        if index is None:
            index = EventIndexPage(
                title=EVENTS_TITLE,
                slug=EVENTS_SLUG,
                intro=EVENTS_INTRO,
                on_front_page=True,
                show_in_menus=True,
            )
            self.publish_child(home, index)
        zone = str(settings.TIME_ZONE)
        today = timezone.localdate(self.now, timezone=ZoneInfo(zone))
        for spec in EVENTS:
            # By slug anywhere, like articles: an event an editor moved stays put.
            created = not EventPage.objects.filter(slug=spec.slug).exists()
            self.summary.count("events", created=created)
            if not created:
                continue
            day = today + timedelta(days=spec.days_ahead)
            ends = datetime.combine(day, spec.start) + timedelta(minutes=spec.minutes)
            event = EventPage(
                title=spec.title,
                slug=spec.slug,
                standfirst=spec.standfirst,
                description=spec.description,
                start_date=day,
                start_time=spec.start,
                end_date=ends.date(),
                end_time=ends.time(),
                time_zone=zone,
                capacity=spec.capacity,
                join_url=f"https://video.example/harbour-ledger/{spec.slug}",
            )
            event.speakers = [
                EventSpeaker(author=authors[slug], role=role, sort_order=i)
                for i, (slug, role) in enumerate(spec.speakers)
            ]
            self.publish_child(index, event)

    def hours_ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def body_data(self, spec: ArticleSpec, created: dict[str, ArticlePage]) -> list[dict]:
        data: list[dict] = []
        inline = 0
        for block in spec.body:
            value: Any = block.value
            if block.kind == "image":
                inline += 1
                image = self.scene(
                    value,
                    title=f"{spec.title}, illustration {inline}",
                    filename=f"demo-{spec.slug}-{inline}.jpg",
                )
                value = {"image": image.pk, "caption": value.caption, "credit": value.credit}
            elif block.kind == "related_story":
                target = created.get(value["slug"])
                if target is None:
                    raise ValueError(
                        f"{spec.slug}: related story {value['slug']!r} must come earlier"
                    )
                value = {"page": target.pk, "label": value["label"]}
            elif block.kind == "signup_box":
                # The newsletters are loaded first (an editor's own changes kept).
                newsletter = Newsletter.objects.filter(slug=value["newsletter"]).first()
                if newsletter is None:
                    raise ValueError(f"{spec.slug}: no newsletter {value['newsletter']!r}")
                value = {
                    "offer": offer_for(newsletter),
                    "heading": value["heading"],
                    "text": value["text"],
                }
            data.append({"type": block.kind, "value": value})
        return data

    def ensure_articles(
        self, sections: dict[str, SectionPage], authors: dict[str, Author]
    ) -> dict[str, ArticlePage]:
        done: dict[str, ArticlePage] = {}
        for spec in articles():
            section = sections[spec.section]
            # By slug anywhere, so an article an editor moved to another section stays put.
            page = ArticlePage.objects.filter(slug=spec.slug).order_by("pk").first()
            if page is not None:
                self.summary.count("articles", created=False)
                done[spec.slug] = page
                continue
            published = self.hours_ago(spec.published_hours_ago)
            updated = (
                self.hours_ago(spec.updated_hours_ago)
                if spec.updated_hours_ago is not None
                else None
            )
            page = ArticlePage(
                title=spec.title,
                slug=spec.slug,
                standfirst=spec.standfirst,
                hero_image=self.scene(
                    spec.hero,
                    title=f"{spec.title}, illustration",
                    filename=f"demo-{spec.slug}.jpg",
                ),
                hero_caption=spec.hero.caption,
                hero_credit=spec.hero.credit,
                body=self.body_data(spec, done),
                access_level=spec.access,
                comments_open=spec.comments_open,
                updated_at=updated,
                # Publishing keeps a first_published_at that is already set.
                first_published_at=published,
            )
            page.bylines = [
                ArticleAuthor(author=authors[slug], sort_order=i)
                for i, slug in enumerate(spec.authors)
            ]
            page.tags.add(*spec.tags)
            self.publish_child(section, page)
            # Dates relative to now, so the newest stories fall in the news sitemap window.
            ArticlePage.objects.filter(pk=page.pk).update(
                first_published_at=published, last_published_at=updated or published
            )
            self.summary.count("articles", created=True)
            done[spec.slug] = page
        return done

    def ensure_front_page(self, home: HomePage, lead: ArticlePage) -> None:
        """The lead story, and a sign-up box for the open newsletter under it."""
        home = HomePage.objects.get(pk=home.pk)
        # Only a home page nobody has edited yet: an editor's choice (even "none") stands.
        if home.lead_story_id is not None or home.revisions.exists():
            return
        home.lead_story = lead
        newsletter = Newsletter.objects.filter(slug=FRONT_PAGE_NEWSLETTER).first()
        if newsletter is not None:
            home.signup_box = [
                {
                    "type": "signup_box",
                    "value": {"offer": offer_for(newsletter), "heading": "", "text": ""},
                }
            ]
        home.save_revision(user=self.editor, log_action=True).publish(user=self.editor)
        self.say(f"Set the lead story: {lead.title}")

    def run(self) -> DemoSummary:
        started = time.monotonic()
        self.ensure_editor()
        self.collection = self.ensure_collection()
        home = self.ensure_home()
        self.ensure_site(home)
        authors = self.ensure_authors()
        sections = self.ensure_sections(home)
        self.ensure_info_pages(home)
        self.ensure_newsletters()
        done = self.ensure_articles(sections, authors)
        self.ensure_front_page(home, done[LEAD_STORY_SLUG])
        self.ensure_events(home, authors)
        self.summary.seconds = time.monotonic() - started
        return self.summary


NEWSLETTERS = (
    (
        "morning-ledger",
        "The Morning Ledger",
        "Every weekday",
        "The five stories Saltmere is talking about, in your inbox before the first ferry.",
    ),
    (
        "coast-and-climate",
        "Coast & Climate",
        "Every Thursday",
        "Tides, cliffs, seagrass and the money behind them: our climate desk's week.",
    ),
    (
        "weekend-reads",
        "Weekend Reads",
        "Saturdays",
        "Long reads, reviews and the letters page, for a slower morning.",
    ),
)
OPEN_NEWSLETTERS = {"weekend-reads"}
# Offered in a sign-up box under the front page's lead story.
FRONT_PAGE_NEWSLETTER = "weekend-reads"


def load_demo_content(*, stdout: IO[str] | None = None, image_scale: float = 1.0) -> DemoSummary:
    """Create whatever of the demo newsroom is missing; see the module docstring.

    `image_scale` shrinks the generated illustrations (tests use a small scale for speed).
    """
    if not 0 < image_scale <= 1:
        raise ValueError("image_scale must be greater than 0 and at most 1")
    with transaction.atomic():
        return _Loader(image_scale=image_scale, stdout=stdout).run()
