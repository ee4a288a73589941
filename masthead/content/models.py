"""The newsroom's content model: the front page, sections, articles, authors and tags.

Invariants:
- An article lives under its section in the page tree; `ArticlePage.section` mirrors
  that parent so listings can filter and join without walking the tree.
- An article's access level is its own choice or, by default, its section's; the
  effective level is computed here and enforced by `masthead.access`. A gated article
  cannot be saved with a 'Wall here' marker that would withhold nothing.
- The same text at a second address never reads more freely: an alias takes its
  original's level, always; a copy or a move into another section keeps the level the
  text had, pinned as the article's own choice (editors may change it in its settings).
- Pages resolve by their full URL path in one query (see `HomePage.route`), so the
  cost of serving a page does not grow with how deep it sits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
    TitleFieldPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageViewRestriction, Site
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from masthead.access.api import (
    PREVIEW_AS_READER,
    GatedArticle,
    Level,
    article_access,
    article_view_record,
    finish_article_response,
    marker_withholds_nothing,
)
from masthead.core import cache_tags as edge_tags
from masthead.core.http import is_speculative, refuse_speculation
from masthead.core.page_shell import serve_shell
from masthead.core.render_cache import FRAGMENT_PREFIX, columns_generation, pages_generation

from . import signup_boxes
from .blocks import ArticleBodyBlock, SignupBoxBlock
from .pagination import paginate_articles, requested_page_number

# The Wagtail hook apps register to add a section to the front page: a function
# (request) -> HTML shown after the section rails; the same for every anonymous reader.
FRONT_PAGE_SECTIONS_HOOK = "masthead_front_page_sections"

# An article's own choice may be "follow the section"; every level is access's `Level`.
SECTION_DEFAULT = ""
ARTICLE_ACCESS_CHOICES = [(SECTION_DEFAULT, _("Section default")), *Level.choices]


@register_snippet
class Author(index.Indexed, models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    role = models.CharField(max_length=120, blank=True)
    bio = RichTextField(blank=True, features=["bold", "italic", "link"])
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("role"),
        FieldPanel("bio"),
        FieldPanel("photo"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:120]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("content:author", kwargs={"slug": self.slug})


def _selectors() -> ModuleType:
    # Imported on first use, not at the top: Wagtail serves a page through its model's
    # own methods (route, get_context, serve), and the selectors they call import these
    # models, so a top-level import would be circular.
    from . import selectors

    return selectors


def _feeds() -> ModuleType:
    # Imported on first use for the same reason: the feeds import these models.
    from . import feeds

    return feeds


class ArticleTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class NewsroomPageMixin:
    """Shared by every page type here.

    Wagtail checks view restrictions on every page it serves with two queries (the
    ancestors, then their restrictions). Page paths encode their ancestors, so one query
    does it: restrictions on this page or an ancestor, or on a page that this page or an
    ancestor is an alias of; a page served from the route cache brings them along.
    """

    path: str
    steplen: int

    def get_view_restrictions(self) -> Any:
        # A page from the route cache (content.routing) carries them, loaded when it
        # was routed; any change to a restriction retires that cache.
        routed = getattr(self, "_routed_view_restrictions", None)
        if routed is not None:
            return routed
        prefixes = [self.path[:i] for i in range(self.steplen, len(self.path) + 1, self.steplen)]
        return PageViewRestriction.objects.filter(
            models.Q(page__path__in=prefixes) | models.Q(page__aliases__path__in=prefixes)
        ).distinct()


class ListingPage(NewsroomPageMixin, RoutablePageMixin, Page):
    """A page that lists articles, paginated, with RSS and Atom feeds of its own."""

    per_page = 12

    class Meta:
        abstract = True

    def listing_articles(self) -> models.QuerySet[ArticlePage]:
        raise NotImplementedError

    def paginate(self, request: HttpRequest, queryset: Any) -> Any:
        return paginate_articles(request, queryset, self.per_page)

    def purge_tags(self) -> list[str]:
        # A section's or the front page's title appears in every page's navigation.
        return [edge_tags.SITE_TAG]


def tag_after_render(response: Any, tag_list: Callable[[Any], Iterable[str]]) -> Any:
    """File a template response under `tag_list(response)` once it has rendered (when
    what it showed is known, without extra queries); other responses are left alone."""
    if hasattr(response, "add_post_render_callback"):
        response.add_post_render_callback(lambda r: edge_tags.add_cache_tags(r, tag_list(r)))
    return response


def shell_key(request: HttpRequest, page: Page, template_name: str, *extra: object) -> str:
    """A page's shell key (masthead.core.page_shell): the page and its live revision,
    the other pages it shows (the pages generation) and the apps' columns on their
    cards (a comment count: the columns generation), the site, the language, the
    template and whatever else the caller names."""
    site = Site.find_for_request(request)
    return ":".join(
        str(part)
        for part in (
            type(page).__name__,
            page.pk,
            page.live_revision_id,
            pages_generation(request),
            columns_generation(request),
            site.pk if site else 0,
            get_language(),
            template_name,
            *extra,
        )
    )


def listing_tags(listing_pk: int, articles: Iterable[Any]) -> list[str]:
    """A listing is purged when it changes (its own tag) or any card on it does."""
    return [edge_tags.listing_tag(listing_pk), *(edge_tags.page_tag(a.pk) for a in articles if a)]


class HomePage(ListingPage):
    """The front page: a lead story, then a rail for each top-level section."""

    lead_story = models.ForeignKey(
        "content.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Leave empty to lead with the latest article."),
    )
    rail_size = models.PositiveSmallIntegerField(
        default=4, help_text=_("How many articles each section rail shows.")
    )
    signup_box = StreamField(
        [(signup_boxes.SIGNUP_BOX_TYPE, SignupBoxBlock())],
        blank=True,
        max_num=1,
        verbose_name=_("Newsletter sign-up"),
        help_text=_("A sign-up box under the lead story. Leave empty for none."),
    )

    content_panels = [
        *Page.content_panels,
        PageChooserPanel("lead_story", "content.ArticlePage"),
        FieldPanel("rail_size"),
        FieldPanel("signup_box"),
    ]
    subpage_types = [
        "content.SectionPage",
        "content.InfoPage",
        "readers.LegalPage",
        "events.EventIndexPage",
    ]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    template = "content/home_page.html"

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        # Resolve /a/b/c/ in one query by url_path instead of one query per level.
        if path_components:
            page = _selectors().page_for_path(root=self, path_components=path_components)
            if page is not None:
                return page.route(request, [])
        return super().route(request, path_components)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["front"] = _selectors().front_page(home=self)
        context["front_sections"] = self.front_sections(request)
        return context

    def front_sections(self, request: HttpRequest) -> list[str]:
        # Apps above content add sections to the front page through a Wagtail hook
        # (each returns HTML, or "" when it has nothing to show), so content imports none.
        return [
            html for hook in hooks.get_hooks(FRONT_PAGE_SECTIONS_HOOK) if (html := hook(request))
        ]

    def listing_articles(self) -> models.QuerySet[ArticlePage]:
        return _selectors().live_articles().descendant_of(self)

    @cached_property
    def has_signup_boxes(self) -> bool:
        """The front page has a sign-up box (it then loads the box's script and styles)."""
        return bool(signup_boxes.body_offers(self.signup_box.raw_data))

    def front_tags(self, context: Any) -> list[str]:
        front = (context or {}).get("front")
        shown = [front.lead, *(a for r in front.rails for a in r.articles)] if front else []
        return [
            edge_tags.FRONT_TAG,
            edge_tags.page_tag(self.pk),
            *listing_tags(self.pk, shown),
            *signup_boxes.body_cache_tags(self.signup_box.raw_data),
        ]

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().serve(request, *args, **kwargs)
        return tag_after_render(response, lambda r: self.front_tags(r.context_data))

    @path("")
    def index_route(self, request: HttpRequest) -> Any:
        if getattr(request, "is_preview", False):
            # A preview (draft text) is rendered whole and never stored.
            return self.render(request)
        # The lead and the rails are rendered once per pages generation (a shell,
        # masthead.core.page_shell); the apps' sections are asked on every request.
        template_name = self.get_template(request)
        html, tags = serve_shell(
            request,
            template_name=template_name,
            key=shell_key(request, self, template_name),
            context=lambda: self.get_context(request),
            personal_context={
                "page": self,
                "self": self,
                "front_sections": self.front_sections(request),
            },
            keep=self.front_tags,
        )
        response = HttpResponse(html)
        edge_tags.add_cache_tags(response, tags)
        return response

    @path("feeds/rss/", name="rss")
    def rss_feed(self, request: HttpRequest) -> Any:
        return _feeds().ListingRssFeed()(request, listing=self)

    @path("feeds/atom/", name="atom")
    def atom_feed(self, request: HttpRequest) -> Any:
        return _feeds().ListingAtomFeed()(request, listing=self)


class SectionPage(ListingPage):
    """A section (World) or a sub-section (World > Middle East) of the newsroom."""

    standfirst = models.CharField(max_length=300, blank=True)
    default_access_level = models.CharField(
        max_length=20,
        choices=Level.choices,
        default=Level.FREE,
        help_text=_("Articles in this section get this access level unless they choose another."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("standfirst"),
        FieldPanel("default_access_level"),
    ]
    subpage_types = ["content.SectionPage", "content.ArticlePage"]
    parent_page_types = ["content.HomePage", "content.SectionPage"]
    template = "content/section_page.html"
    search_fields = [*Page.search_fields, index.SearchField("standfirst")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # Articles that follow the section default follow a change to it, and so do
        # their aliases (which follow their original, wherever they sit).
        followers = ArticlePage.objects.filter(
            section=self, access_level=SECTION_DEFAULT, alias_of__isnull=True
        ).exclude(effective_access=self.default_access_level)
        changed = list(followers.values_list("pk", flat=True))
        if changed:
            followers.update(effective_access=self.default_access_level)
            ArticlePage.objects.filter(alias_of__in=changed).update(
                access_level=self.default_access_level,
                effective_access=self.default_access_level,
            )

    def listing_articles(self) -> models.QuerySet[ArticlePage]:
        return _selectors().live_articles().descendant_of(self)

    @path("")
    def index_route(self, request: HttpRequest) -> Any:
        # The listing is rendered once per page number and pages generation (a shell,
        # masthead.core.page_shell); a page past the end is a 404 and stores nothing.
        if getattr(request, "is_preview", False):
            # A preview (draft text) is rendered whole and never stored.
            page = self.paginate(request, self.listing_articles())
            return self.render(request, context_overrides={"articles": page})
        number = requested_page_number(request)
        template_name = self.get_template(request)

        def context() -> dict[str, Any]:
            page = self.paginate(request, self.listing_articles())
            return {**self.get_context(request), "articles": page}

        def tags(context: Any) -> list[str]:
            shown = context["articles"].object_list
            return [edge_tags.page_tag(self.pk), *listing_tags(self.pk, shown)]

        html, kept = serve_shell(
            request,
            template_name=template_name,
            key=shell_key(request, self, template_name, number),
            context=context,
            personal_context={"page": self, "self": self},
            keep=tags,
        )
        response = HttpResponse(html)
        edge_tags.add_cache_tags(response, kept)
        return response

    @path("rss/", name="rss")
    def rss_feed(self, request: HttpRequest) -> Any:
        return _feeds().ListingRssFeed()(request, listing=self)

    @path("atom/", name="atom")
    def atom_feed(self, request: HttpRequest) -> Any:
        return _feeds().ListingAtomFeed()(request, listing=self)


class ArticleAuthor(Orderable):
    article = ParentalKey("content.ArticlePage", on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")

    panels = [FieldPanel("author")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="content_byline_unique")
        ]


MARKER_WITHHOLDS_NOTHING = _(
    "The 'Wall here' marker has no text after it, so readers without access would miss "
    "nothing. Move it above the text they should register or subscribe to read, remove "
    "it, or make the article free."
)


def marker_would_withhold_nothing(body: Any, level: str) -> bool:
    return level != Level.FREE and body is not None and marker_withholds_nothing(body)


class ArticlePageForm(WagtailAdminPageForm):
    """The editor's form. A new article is not in the tree while its form validates, so
    the model cannot see its section's access level yet; the form knows the parent."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.instance.path and not cleaned.get("access_level"):
            parent = self.parent_page.specific if self.parent_page else None
            level = getattr(parent, "default_access_level", Level.FREE)
            if marker_would_withhold_nothing(cleaned.get("body"), level):
                self.add_error("body", MARKER_WITHHOLDS_NOTHING)
        return cleaned


class ArticlePage(GatedArticle, NewsroomPageMixin, Page):
    """A story. Access gates it through `GatedArticle` (its level and body)."""

    standfirst = models.CharField(
        max_length=300, help_text=_("One or two sentences under the headline.")
    )
    section = models.ForeignKey(
        SectionPage,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hero_caption = models.CharField(max_length=300, blank=True)
    hero_credit = models.CharField(max_length=120, blank=True)
    body = StreamField(ArticleBodyBlock())
    tags = ClusterTaggableManager(through=ArticleTag, blank=True)
    access_level = models.CharField(
        max_length=20, choices=ARTICLE_ACCESS_CHOICES, blank=True, default=SECTION_DEFAULT
    )
    effective_access = models.CharField(
        max_length=20,
        choices=Level.choices,
        default=Level.FREE,
        editable=False,
        db_index=True,
    )
    comments_open = models.BooleanField(default=True)
    canonical_url = models.URLField(
        blank=True, help_text=_("Only when this story first appeared elsewhere.")
    )
    updated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Shown as 'Updated' in the dateline when a story changes materially."),
    )

    content_panels = [
        # The headline is Wagtail's title field, so it needs Wagtail's title panel: a
        # plain FieldPanel drops the sync that fills the slug as the headline is typed,
        # and a new article's first Publish then fails on an empty slug.
        TitleFieldPanel("title", heading=_("Headline"), placeholder=_("Headline*")),
        FieldPanel("standfirst"),
        InlinePanel("bylines", label=_("Authors"), min_num=1),
        MultiFieldPanel(
            [FieldPanel("hero_image"), FieldPanel("hero_caption"), FieldPanel("hero_credit")],
            heading=_("Hero image"),
        ),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    promote_panels = [
        *Page.promote_panels,
        FieldPanel("canonical_url"),
    ]
    settings_panels = [
        FieldPanel("access_level"),
        FieldPanel("comments_open"),
        FieldPanel("updated_at"),
        *Page.settings_panels,
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("standfirst", boost=2),
        index.SearchField("body"),
        index.FilterField("effective_access"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]
    parent_page_types = ["content.SectionPage"]
    subpage_types: list[str] = []
    template = "content/article_page.html"
    base_form_class = ArticlePageForm
    # Editors see where the wall falls before publishing.
    preview_modes = [
        ("", _("Full text")),
        (PREVIEW_AS_READER, _("As a reader without access")),
    ]

    class Meta:
        indexes = [models.Index(fields=["section"])]

    def full_clean(self, *args: Any, **kwargs: Any) -> None:
        self.sync_section()
        super().full_clean(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        # A gated article must withhold something: a marker after the last words would
        # publish it whole under a wall.
        if marker_would_withhold_nothing(self.body, self.effective_access):
            raise ValidationError({"body": MARKER_WITHHOLDS_NOTHING})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sync_section()
        super().save(*args, **kwargs)
        # Aliases read exactly as their original does (Wagtail refreshes their text
        # only when the original is published; their level must not wait for that).
        ArticlePage.objects.filter(alias_of=self.pk).exclude(
            effective_access=self.effective_access
        ).update(access_level=self.effective_access, effective_access=self.effective_access)

    def sync_section(self) -> None:
        """Mirror the parent section and resolve the effective access level.

        An alias takes its original's level. An article arriving from another section
        (a copy, a move, a revision saved before a move) while following the section
        default keeps the level it had there, pinned as its own choice, so changing
        place never opens text as a side effect.
        """
        parent = self.get_parent() if self.path else None
        if parent is not None:
            parent = parent.specific
            if isinstance(parent, SectionPage):
                if not self.access_level and self.section_id not in (None, parent.pk):
                    self.access_level = self.effective_access
                self.section = parent
        if self.alias_of_id:
            original = (
                ArticlePage.objects.filter(pk=self.alias_of_id)
                .values_list("effective_access", flat=True)
                .first()
            )
            if original:
                # Pinned, so an alias turned into a page of its own keeps it too.
                self.access_level = self.effective_access = original
                return
        section_default = self.section.default_access_level if self.section else Level.FREE
        self.effective_access = self.access_level or section_default

    def follow_new_place(self) -> None:
        """After a move (which Wagtail saves as a plain Page, without our `save`):
        mirror the new section, keeping the level the article had."""
        self.sync_section()
        ArticlePage.objects.filter(pk=self.pk).update(
            section=self.section,
            access_level=self.access_level,
            effective_access=self.effective_access,
        )

    @cached_property
    def authors(self) -> list[Author]:
        return [byline.author for byline in self.bylines.all()]

    @cached_property
    def has_signup_boxes(self) -> bool:
        """The body has a sign-up box (the page then loads the box's script and form
        styles); read from the stored data, without binding a block."""
        return bool(signup_boxes.body_offers(self.body.raw_data))

    @property
    def dateline(self) -> Any:
        return self.first_published_at

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context.update(_selectors().article_page_context(article=self, request=request))
        return context

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # The access decision is made once, here, before anything renders; the template
        # is handed only the blocks the reader may see (masthead.access). The meter
        # records this view (if it counts) once, here, and nowhere else.
        access = article_access(request=request, article=self)
        article_view_record(access=access)
        if is_speculative(request) and not access.decision.full:
            # A prefetch was not counted, so it may only show what the reader has
            # without counting; a wall kept for the click could hide text the reader
            # may read, so the browser is told to fetch the page when it is opened.
            return refuse_speculation()
        if access.render_key is None or args or kwargs or getattr(request, "is_preview", False):
            # A preview, an unsaved page: rendered whole, as Wagtail does.
            response = super().serve(request, *args, **kwargs)
            tag_after_render(response, lambda r: self.cache_tags())
        else:
            response = self.serve_from_shell(request, access)
        return finish_article_response(response, access)

    def serve_from_shell(self, request: HttpRequest, access: Any) -> HttpResponse:
        """The page as a shell rendered once per revision, pages generation and wall
        (masthead.core.page_shell), with the parts that differ between readers (the
        account links, the meter note, the body as this request's decision hands it
        over, the wall) rendered for this request. The shell's key names everything
        the rest of the page shows: the article's body and revision (`render_key`),
        the other pages it shows (the generation), the site, the language, and which
        wall and stylesheets this decision brings."""
        request.is_preview = False  # as Wagtail's Page.serve sets it
        template_name = self.get_template(request)
        decision = access.decision
        site = Site.find_for_request(request)
        variant = f"{int(decision.gated)}{int(access.holds_gated_text)}:{access.wall}"
        key = (
            f"article-page:{access.render_key}:{pages_generation(request)}:"
            f"{columns_generation(request)}:"
            f"{site.pk if site else 0}:{get_language()}:{template_name}:{variant}"
        )
        generation = pages_generation(request)
        parts = (access.body_part_key(part, generation) for part in ("lead", "rest"))
        html, _kept = serve_shell(
            request,
            template_name=template_name,
            key=key,
            context=lambda: self.get_context(request),
            personal_context={"page": self, "self": self, "access": access},
            prefetch=[FRAGMENT_PREFIX + part for part in parts if part],
        )
        response = HttpResponse(html)
        edge_tags.add_cache_tags(response, self.cache_tags())
        return response

    def cache_tags(self) -> list[str]:
        """What this article's page is filed under in a shared cache (core.cache_tags)."""
        own = [edge_tags.page_tag(self.pk), *(edge_tags.author_tag(a.pk) for a in self.authors)]
        # A sign-up box shows its offer (a newsletter's name): purged when that changes.
        own += signup_boxes.body_cache_tags(self.body.raw_data)
        return own + ([edge_tags.section_tag(self.section_id)] if self.section_id else [])

    def purge_tags(self) -> list[str]:
        """What to purge when this article is published, unpublished, moved or edited:
        its page, every listing it appears on (the sections above it, the front page,
        its authors' pages) and every card of it on other listings."""
        ancestors = self.get_ancestors().filter(depth__gt=1).values_list("pk", flat=True)
        return [
            edge_tags.page_tag(self.pk),
            edge_tags.FRONT_TAG,
            *(edge_tags.listing_tag(pk) for pk in ancestors),
            *(edge_tags.author_listing_tag(a.pk) for a in self.authors),
        ]


class InfoPage(NewsroomPageMixin, Page):
    """A plain page: about us, terms of use, the privacy notice."""

    body = RichTextField(features=["h2", "h3", "bold", "italic", "link", "ol", "ul"])

    content_panels = [*Page.content_panels, FieldPanel("body")]
    parent_page_types = ["content.HomePage", "content.InfoPage"]
    template = "content/info_page.html"
    search_fields = [*Page.search_fields, index.SearchField("body")]
