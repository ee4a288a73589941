"""Reads for the access rules: who the reader is, what they may read, what is left.

Invariants:
- A selector never writes. `article_access` decides once per request and article and
  hands the template exactly the blocks the reader may see: `lead` and `rest`. For a
  reader without access `rest` is empty, so no template can render withheld text by
  mistake. A signed-in reader's premium article is decided by the meter: the decision
  waits (`ArticleAccess.pending_read`) until either `services.article_view_record`
  counts the view (the serve path, once per request: its write returns the meter's
  state, so deciding costs no extra query) or, with no record made, it is first read:
  then it comes from the meter as it stands (one read-only query) and fails closed, a
  first open that was not counted is not shown.
- A request without a session cookie is anonymous without loading the session, so an
  anonymous page does not vary on Cookie and stays cacheable by a CDN. A forged or
  tampered session cookie, or one whose account is gone or inactive, is anonymous.
- Access is never granted on a User-Agent or Referer.
- A speculative load (prefetch, prerender) never counts against any allowance: only a
  navigation the reader made draws on it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from django.core import signing
from django.db import connection
from django.db.models import JSONField, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.models import Site

from masthead.core.http import is_speculative
from masthead.core.middleware import has_session_cookie

from . import services
from .crawlers import NOT_A_CRAWLER, crawler_check
from .lead_in import MARKER_TYPE, Split, split_body
from .models import AccessSettings, MeterRead
from .policy import (
    ANONYMOUS,
    NO_METER,
    AccessDecision,
    Level,
    MeterState,
    Reader,
    Wall,
    decide,
    next_month_start,
)

REQUEST_ATTR = "_masthead_access"
FREE_READS_COOKIE = "mh_free_reads"
FREE_READS_SALT = "masthead.access.free-reads"
FREE_READS_MAX_AGE = 40 * 24 * 60 * 60
CONTINUE_ANCHOR = "continue"
# The Wagtail preview mode in which an editor sees the article as a reader without access.
PREVIEW_AS_READER = "reader"
# The reader-accounts app's sign-up form fragment, embedded in the wall.
SIGNUP_FRAGMENT_URL_NAME = "account_signup_fragment"


@dataclass(frozen=True)
class PendingPremiumRead:
    """A signed-in reader (not staff) opening a premium article: the meter decides."""

    user_id: int
    article: Any
    access_settings: AccessSettings
    now: dt.datetime
    # False for a view that must not draw on the allowance (HEAD, preview, prefetch).
    countable: bool


@dataclass
class ArticleAccess:
    """What the article template is handed: the decision and the blocks it may render."""

    decided: AccessDecision | None
    body: Any
    access_settings: AccessSettings
    article_path: str
    article_id: int = 0
    registered: bool = False
    set_cookie: tuple[str, str] | None = None
    benefits: list[str] = field(default_factory=list)
    # Set while a premium decision waits for the meter (see the module docstring).
    pending_read: PendingPremiumRead | None = None
    # An address claiming to be a search engine, with no verdict yet: the service
    # schedules its DNS check (`crawlers.crawler_lookup_schedule`).
    crawler_lookup: tuple[str, str] | None = None
    # True once `services.article_view_record` has run for this access.
    recorded: bool = False
    # What the rendered body may be cached under (article, revision, the body's digest,
    # the lead-in rules); None: render every time (a preview, an unsaved page).
    render_key: str | None = None

    @property
    def decision(self) -> AccessDecision:
        if self.decided is None:
            if self.pending_read is None:  # pragma: no cover - built that way only by mistake
                raise ValueError("an ArticleAccess needs a decision or a pending read")
            # No record was made for this view: decide from the meter as it stands.
            self.decided = premium_decision_read(self.pending_read)
        return self.decided

    @cached_property
    def split(self) -> Split:
        # Split on first use (while rendering), after the page's selectors have bound
        # the body with its images preloaded.
        return split_article_body(self.body, self.access_settings)

    def decision_replace(self, decision: AccessDecision) -> None:
        """The meter's answer, once recorded: the blocks follow it even if something
        read them before (they are worked out again from the new decision)."""
        self.decided = decision
        self.__dict__.pop("_blocks", None)

    @cached_property
    def _blocks(self) -> tuple[list[Any], list[Any]]:
        if not self.decision.gated:
            # Free: the body as stored, markers aside; nothing is cut.
            return [b for b in self.body if b.block_type != MARKER_TYPE], []
        if not self.decision.full:
            return self.split.lead, []
        return self.split.lead, self.split.withheld

    @property
    def lead(self) -> list[Any]:
        return self._blocks[0]

    @property
    def lead_part(self) -> str:
        """Which rendered fragment `lead` is: the whole body of an article that gates
        nothing, else the lead-in. Worked out from this request's decision, each time."""
        return "lead" if self.decision.gated else "whole"

    def body_part_key(self, part: str, generation: str) -> str | None:
        """Where the rendered body part ("lead" or "rest") this decision hands over is
        cached (`core.render_cache`), or None: a part not to be cached (a preview) or
        not this reader's (the withheld rest without access)."""
        if self.render_key is None:
            return None
        if part == "rest":
            if not self.holds_gated_text:
                return None
            name = "rest"
        else:
            name = self.lead_part
        return f"{self.render_key}:{generation}:{name}"

    @property
    def rest(self) -> list[Any]:
        """Empty unless the reader has access: withheld blocks are never handed out."""
        return self._blocks[1]

    @property
    def wall(self) -> str:
        return str(self.decision.wall)

    @property
    def registration_wall(self) -> bool:
        return self.decision.wall is Wall.REGISTRATION

    @property
    def premium_wall(self) -> bool:
        return self.decision.wall is Wall.PREMIUM

    @property
    def holds_gated_text(self) -> bool:
        """The response carries text the article withholds from others: never shared."""
        return self.decision.full and self.decision.gated

    @property
    def continue_url(self) -> str:
        return f"{self.article_path}#{CONTINUE_ANCHOR}"

    @property
    def signup_url(self) -> str:
        return reverse("account_signup") + "?next=" + quote(self.continue_url, safe="/")

    @property
    def login_url(self) -> str:
        return reverse("account_login") + "?next=" + quote(self.continue_url, safe="/")

    @property
    def beacon_url(self) -> str:
        return reverse("access:wall-event")

    @property
    def form_url(self) -> str:
        """The registration form fragment (reader accounts) that wall.js embeds in the
        wall; without JavaScript the wall links to the sign-up page instead."""
        return reverse(SIGNUP_FRAGMENT_URL_NAME) + "?next=" + quote(self.continue_url, safe="/")

    @property
    def body_url(self) -> str:
        """Where the page's script fetches the full body after signing in from the wall."""
        return reverse("access:article-body", kwargs={"article_id": self.article_id})

    @property
    def show_meter(self) -> bool:
        # With the premium wall up, the wall itself says the allowance is used up: once.
        return self.decision.remaining is not None and self.registered and not self.decision.wall


def split_article_body(body: Any, config: AccessSettings) -> Split:
    """The body cut where the site's rules put the wall (see `lead_in`)."""
    return split_body(body, paragraphs=config.lead_in_paragraphs, share=config.lead_in_share)


def lead_in_cut_by_share(article: Any) -> bool:
    """True when the word share, not the paragraph count or the marker, ends this
    article's lead-in (shown to editors in the page listing). Reads the settings of the
    article's site without creating them."""
    return split_article_body(article.body, _settings_of_site(article.get_site())).cut_by_share


def _settings_of_site(site: Site | None) -> AccessSettings:
    """The site's settings row, or the defaults unsaved: a read never creates the row
    (Wagtail's `for_request` / `for_site` would). Without a row no group is unlimited."""
    row = AccessSettings.objects.filter(site=site).first() if site is not None else None
    return row or AccessSettings(site=site)


SETTINGS_ATTR = "_access_settings_row"
SETTINGS_REQUEST_ATTR = "_masthead_access_settings"
_SETTINGS_FIELDS = [
    f.attname for f in AccessSettings._meta.concrete_fields if f.attname != "site_id"
]


def with_access_settings(queryset: QuerySet[Any], *, root_page_id: int) -> QuerySet[Any]:
    """Annotate pages with their site's AccessSettings row (as JSON, in a subquery), so
    serving an article needs no separate settings query. Missing row: None."""
    row = (
        AccessSettings.objects.filter(site__root_page_id=root_page_id)
        .order_by("-site__is_default_site", "site_id")
        .values(row=JSONObject(site_id="site_id", **{name: name for name in _SETTINGS_FIELDS}))[:1]
    )
    return queryset.annotate(**{SETTINGS_ATTR: Subquery(row, output_field=JSONField())})


def access_settings_for(request: HttpRequest, article: Any | None = None) -> AccessSettings:
    """The site's settings: from the row the article was served with when there is one,
    else read once per request (never created: a selector writes nothing)."""
    row = getattr(article, SETTINGS_ATTR, None) if article is not None else None
    if isinstance(row, str):
        row = json.loads(row)
    if isinstance(row, dict):
        # Several sites (host names) may share a root page: use the row only when it
        # belongs to the request's own site (Wagtail caches that lookup on the request).
        site = Site.find_for_request(request)
        if site is not None and row.get("site_id") == site.pk:
            # from_db takes values in the model's field order.
            names = [f.attname for f in AccessSettings._meta.concrete_fields]
            return AccessSettings.from_db("default", names, [row.get(name) for name in names])
    config = getattr(request, SETTINGS_REQUEST_ATTR, None)
    if config is None:
        config = _settings_of_site(Site.find_for_request(request))
        setattr(request, SETTINGS_REQUEST_ATTR, config)
    return config


def signed_in_reader(request: HttpRequest) -> Any | None:
    """The active signed-in user, or None; never loads the session without a cookie."""
    if not has_session_cookie(request):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user


def _free_reads(
    request: HttpRequest, now: dt.datetime, allowance: int, article_id: int, countable: bool
) -> tuple[MeterState, list[int]]:
    """A visitor's registration reads this month, from a signed cookie.

    A visitor can always clear cookies, so this is a courtesy, not a meter; a tampered
    cookie counts as an allowance used up, so forging one grants nothing.
    """
    month = services.month_of(now).strftime("%Y-%m")
    raw = request.COOKIES.get(FREE_READS_COOKIE)
    if raw is None:
        return MeterState(allowance=allowance, countable=countable), []
    try:
        value = signing.get_cookie_signer(salt=FREE_READS_SALT).unsign(
            raw, max_age=FREE_READS_MAX_AGE
        )
        cookie_month, _, ids = value.partition(":")
        read = [int(i) for i in ids.split(",") if i] if cookie_month == month else []
    except (signing.BadSignature, ValueError):
        return MeterState(allowance=allowance, used=allowance, countable=False), []
    return (
        MeterState(
            allowance=allowance,
            used=len(read),
            already_opened=article_id in read,
            countable=countable,
        ),
        read,
    )


def _free_reads_cookie(now: dt.datetime, read: list[int]) -> str:
    month = services.month_of(now).strftime("%Y-%m")
    value = f"{month}:{','.join(str(i) for i in read)}"
    return signing.get_cookie_signer(salt=FREE_READS_SALT).sign(value)


@functools.cache
def _meter_state_sql() -> str:
    # Only table and column names from model metadata are interpolated; values are
    # always parameters. The same facts the meter's claim returns, read without a write.
    t = services.meter_tables()
    return (
        f"SELECT (SELECT reads FROM {t['read']} r"  # noqa: S608
        " WHERE r.user_id = %s AND r.article_id = %s AND r.month = %s),"
        f" (SELECT used FROM {t['month']} m WHERE m.user_id = %s AND m.month = %s),"
        f" EXISTS (SELECT 1 FROM {t['user_groups']} ug JOIN {t['setting_groups']} sg"
        f" ON sg.group_id = ug.group_id WHERE ug.user_id = %s AND sg.{t['setting_fk']} = %s)"
    )


def premium_decision_read(pending: PendingPremiumRead) -> AccessDecision:
    """The decision for a premium article from the reader's meter as it stands, in one
    read-only query. Nothing is counted, so it fails closed: an article already counted
    this month reads in full, a first open gets the wall (a view that may count goes
    through `services.article_view_record`, which decides with the count)."""
    month = services.month_of(pending.now)
    user_id, settings_id = pending.user_id, pending.access_settings.pk
    with connection.cursor() as cursor:
        cursor.execute(
            _meter_state_sql(),
            [user_id, pending.article.pk, month, user_id, month, user_id, settings_id],
        )
        reads, used, unlimited = cursor.fetchone()
    meter = MeterState(
        allowance=pending.access_settings.premium_allowance,
        used=used or 0,
        already_opened=bool(reads),
        countable=False,
    )
    reader = Reader(registered=True, unlimited=bool(unlimited))
    return decide(reader, pending.article, meter, timezone.localtime(pending.now))


def _render_key(request: HttpRequest, article: Any, config: AccessSettings) -> str | None:
    """The cache key base for this article's rendered body: its live revision, a digest
    of the body itself (so a change that made no revision, or a preview, never matches)
    and the lead-in rules that cut it. None when the page is not served live."""
    revision = getattr(article, "live_revision_id", None)
    if revision is None or getattr(request, "is_preview", False) or not article.pk:
        return None
    raw = getattr(article.body, "raw_data", None)
    if raw is None:
        return None
    digest = hashlib.blake2b(
        json.dumps(list(raw), sort_keys=True, default=str).encode(), digest_size=12
    ).hexdigest()
    return (
        f"article-body:{article.pk}:{revision}:{digest}:"
        f"{config.lead_in_paragraphs}:{config.lead_in_share}"
    )


def article_access(
    *, request: HttpRequest, article: Any, now: dt.datetime | None = None, countable: bool = True
) -> ArticleAccess:
    """Decide once for this request and article (cached on the request); writes nothing.

    A premium article for a signed-in reader is decided by the meter: the serve path
    then calls `services.article_view_record` once, which counts the view if it counts.
    `countable=False` says this view may never count (whatever the request)."""
    # A view that may count is never answered by one decided as uncountable; a caller
    # that may not count (the page's context) takes the serve path's decision.
    key = (article.pk, countable)
    cached = getattr(request, REQUEST_ATTR, None)
    if cached is not None:
        hit = cached.get((article.pk, True)) or (None if countable else cached.get(key))
        if hit is not None:
            return hit
    now = now or timezone.now()
    local_now = timezone.localtime(now)
    config = access_settings_for(request, article)
    previewing = bool(getattr(request, "is_preview", False))
    # An editor previewing "as a reader without access" gets exactly what a visitor
    # without an account gets, wall and all (and is not treated as signed in).
    as_reader = previewing and getattr(request, "preview_mode", None) == PREVIEW_AS_READER
    countable = (
        countable and request.method == "GET" and not previewing and not is_speculative(request)
    )
    level = Level(article.effective_access)
    user = signed_in_reader(request) if level is not Level.FREE and not as_reader else None
    set_cookie: tuple[str, str] | None = None
    decision: AccessDecision | None = None
    pending: PendingPremiumRead | None = None
    crawler_lookup: tuple[str, str] | None = None

    if level is Level.FREE or as_reader:
        decision = decide(ANONYMOUS, article, NO_METER, local_now)
    elif previewing:
        decision = decide(Reader(previewing=True), article, NO_METER, local_now)
    elif user is not None:
        if user.is_staff or user.is_superuser:
            decision = decide(Reader(registered=True, unlimited=True), article, NO_METER, local_now)
        elif level is Level.PREMIUM:
            pending = PendingPremiumRead(
                user_id=user.pk,
                article=article,
                access_settings=config,
                now=now,
                countable=countable,
            )
        else:
            decision = decide(Reader(registered=True), article, NO_METER, local_now)
    else:
        crawler_seen = crawler_check(request) if config.verify_crawlers else NOT_A_CRAWLER
        crawler = crawler_seen.verified
        crawler_lookup = crawler_seen.lookup
        meter, read = NO_METER, []
        if level is Level.REGISTRATION and config.anonymous_registration_reads and not crawler:
            meter, read = _free_reads(
                request, now, config.anonymous_registration_reads, article.pk, countable
            )
        decision = decide(Reader(verified_crawler=crawler), article, meter, local_now)
        if decision.counts:
            set_cookie = (FREE_READS_COOKIE, _free_reads_cookie(now, [*read, article.pk]))

    result = ArticleAccess(
        render_key=_render_key(request, article, config),
        decided=decision,
        pending_read=pending,
        crawler_lookup=crawler_lookup,
        body=article.body,
        access_settings=config,
        article_path=urlsplit(article.get_url(request) or "/").path or "/",
        article_id=article.pk,
        registered=user is not None,
        set_cookie=set_cookie,
        benefits=config.benefits(),
    )
    if cached is None:
        cached = {}
        setattr(request, REQUEST_ATTR, cached)
    cached[key] = result
    return result


def premium_reads_this_month(user: Any, *, now: dt.datetime | None = None) -> list[MeterRead]:
    """The premium articles counted against the reader's allowance this month, newest
    first, with the article joined (for the account page)."""
    month = services.month_of(now or timezone.now())
    return list(
        MeterRead.objects.filter(user=user, month=month)
        .select_related("article")
        .order_by("-first_read_at")
    )


@dataclass(frozen=True)
class MeterSummary:
    allowance: int
    used: int
    renews_at: dt.datetime
    articles: list[MeterRead]

    @property
    def remaining(self) -> int:
        return max(self.allowance - self.used, 0)


def meter_summary(
    *, user: Any, request: HttpRequest, now: dt.datetime | None = None
) -> MeterSummary:
    """The reader's allowance, how much is used and what was read, this month."""
    now = now or timezone.now()
    config = access_settings_for(request)
    articles = premium_reads_this_month(user, now=now)
    return MeterSummary(
        allowance=config.premium_allowance,
        used=len(articles),
        renews_at=next_month_start(timezone.localtime(now)),
        articles=articles,
    )
