"""The browser harness: the demo newsroom on a live server, driven by Debian's Chromium.

Invariants:
- Only /usr/bin/chromium is ever launched (never a browser Playwright downloads). Where
  it is absent the browser tests skip with a reason; with MASTHEAD_REQUIRE_BROWSER=1
  (set by .ci/run) they fail instead, so CI can never pass by skipping them. The same
  goes for axe-core (node_modules/axe-core/axe.min.js, from `npm ci`).
- The demo newsroom (`manage.py load_demo`) is loaded once per tests/e2e package (per
  xdist worker), its pages rendered once (so image renditions exist; on SQLite both
  are kept for the next run, see demo_snapshot.py), and served by
  pytest-django's `live_server`. Every journey starts from exactly that
  newsroom, reloaded before each test from a copy taken after `load_demo`, so what one
  journey writes never reaches another, and on leaving the package the database is put
  back as migrations left it. On SQLite the copy is the database's own pages (SQLite's
  backup API: milliseconds); on PostgreSQL it is pytest-django's serialized rollback.
- Browser state never leaks either: one Chromium per test process, but every test gets
  fresh browser contexts (no cookies, no storage, no cache), closed after it, and the
  live server has finished all their requests before the database is reset.
- Test code that touches the ORM while Playwright runs does it inside `with orm():` (a
  fixture): Playwright's sync API keeps an event loop running in this thread, which
  Django otherwise refuses.
- Every page a test opened is screenshotted into test-artifacts/e2e/<database>/ when it
  fails; journeys also save a full-page screenshot of each step they check. The folder
  is emptied once per test session, before any worker starts (artifacts.py), so it
  keeps every screenshot of this run and none of an earlier one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.db.utils import DEFAULT_DB_ALIAS
from django.test.testcases import LiveServerThread

from masthead.core.tests import search_index

from . import demo_snapshot
from .artifacts import ARTIFACTS_ROOT, artifacts_folder

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = os.environ.get("MASTHEAD_REQUIRE_BROWSER", "") not in ("", "0", "false")

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    # Narrow phones: WCAG 1.4.10 asks for reflow at 320 CSS px; 360 is a common phone.
    "phone-360": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "phone-320": {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True},
}

# Requests a browser makes on its own that a 404 would excuse: none (the site serves
# /favicon.ico and its manifest).
IGNORED_PATHS: set[str] = set()


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (MASTHEAD_REQUIRE_BROWSER is set, so this fails, not skips)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _browser_required(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser") and not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is absent: `apt-get install chromium` to run browser tests")


# The bot check's proof of work in the journeys: a tenth of the shipped size, so the
# browser's hashing does not dominate every registration; a journey that asks for
# `shipped_bot_check` solves the shipped size, so that one is proven in a real browser.
JOURNEY_ALTCHA_MAX_NUMBER = 5_000


@pytest.fixture(autouse=True)
def _quicker_bot_check(request: pytest.FixtureRequest, settings: Any) -> None:
    if "shipped_bot_check" not in request.fixturenames:
        settings.ALTCHA_MAX_NUMBER = JOURNEY_ALTCHA_MAX_NUMBER


@pytest.fixture
def shipped_bot_check() -> None:
    """The bot check at the size the project ships (settings.ALTCHA_MAX_NUMBER)."""


@pytest.fixture(autouse=True)
def _isolated_media() -> None:
    """Overrides the root conftest's per-test MEDIA_ROOT for the journeys.

    The demo's images are written once per package into the session's temporary
    MEDIA_ROOT (tests/conftest.py); a fresh folder per test would leave the live server
    without them.
    """


@contextlib.contextmanager
def _orm_allowed() -> Iterator[None]:
    """Let this thread use the ORM while Playwright's event loop is running in it.

    Playwright's sync API drives an asyncio loop in the calling thread, so Django sees
    "an async context" and refuses ORM calls. The loop is idle whenever Python code
    runs (Playwright switches to it only inside its own calls), so the guard is a false
    alarm here and is lifted for the block.
    """
    key = "DJANGO_ALLOW_ASYNC_UNSAFE"
    before = os.environ.get(key)
    os.environ[key] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


@pytest.fixture
def orm() -> Callable[[], contextlib.AbstractContextManager[None]]:
    """`with orm(): Reader.objects.create(...)`: ORM calls from a test that drives a page.

    Writes are committed at once (no transaction wraps a journey), so the live server
    sees them; after the test the database goes back to the demo newsroom. While the
    browser runs, these calls use their own database connection (see `browser`):
    finish writing before the page asks for what you wrote.
    """
    return _orm_allowed


# --------------------------------------------------------------------------------------
# The live newsroom
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArticleFacts:
    title: str
    path: str
    authors: list[str]
    access: str  # the effective access level: free, registration or premium


@dataclass(frozen=True)
class LiveSite:
    """The live server's address and what the demo newsroom is known to contain."""

    url: str
    site_name: str
    lead: ArticleFacts
    articles: list[ArticleFacts] = field(default_factory=list)
    # Screenshots of this run; one folder per database so CI's two runs keep theirs.
    artifacts: Path = ARTIFACTS_ROOT

    def __call__(self, path: str) -> str:
        return self.url + path


def _article_facts(article: Any) -> ArticleFacts:
    path = article.get_url()
    # Single-site installs give relative URLs; keep only the path either way.
    path = re.sub(r"^https?://[^/]+", "", path or "")
    return ArticleFacts(
        title=article.title,
        path=path,
        authors=[byline.author.name for byline in article.bylines.all()],
        access=article.effective_access,
    )


@dataclass(frozen=True)
class Newsroom:
    """What the demo newsroom is known to contain, read once after `load_demo`."""

    site_name: str
    lead: ArticleFacts
    articles: list[ArticleFacts]
    artifacts: Path


def _newsroom_facts() -> Newsroom:
    from wagtail.models import Site

    from masthead.content.models import HomePage
    from masthead.content.selectors import front_page, live_articles

    site = Site.objects.get(is_default_site=True)
    home = HomePage.objects.get(pk=site.root_page_id)
    front = front_page(home=home)
    assert front.lead is not None, "load_demo made no lead story for the front page"
    articles = live_articles().descendant_of(home).prefetch_related("bylines__author")
    # Emptied at the session's start (artifacts.py), not here: this runs once a worker,
    # and a worker that started later would delete an earlier one's screenshots.
    artifacts = artifacts_folder()
    artifacts.mkdir(parents=True, exist_ok=True)
    return Newsroom(
        site_name=site.site_name,
        lead=_article_facts(front.lead),
        articles=[_article_facts(a) for a in articles],
        artifacts=artifacts,
    )


def _loadable(snapshot: str) -> str:
    """The snapshot with content types first.

    Building some rows (Wagtail's workflow tasks) looks up their content type, which
    creates it when the table is empty; the snapshot's own content type row would then
    clash with it. Loading content types first makes that lookup find them.
    """
    objects = json.loads(snapshot)
    objects.sort(key=lambda obj: obj["model"] != "contenttypes.contenttype")
    return json.dumps(objects)


def _restore(connection: Any, snapshot: str) -> None:
    # As TransactionTestCase does: sequences keep counting, so rows restored with their
    # old ids never collide with the next insert.
    call_command(
        "flush", interactive=False, inhibit_post_migrate=True, reset_sequences=False, verbosity=0
    )
    connection.creation.deserialize_db_from_string(snapshot)


def _make_renditions(newsroom: Newsroom) -> None:
    """Render every page a journey opens once, before the snapshot is taken.

    Wagtail makes an image's renditions (resized WebP and JPEG files, and their rows)
    the first time a page shows it: 1-3 s per page at the demo's full image size. Made
    here, the rows are in the snapshot each journey starts from (and the files in the
    session's MEDIA_ROOT), so no journey pays for them again.
    """
    from django.test import Client

    from masthead.content.models import SectionPage

    client = Client()
    paths = ["/", *(a.path for a in newsroom.articles)]
    paths += [section.url for section in SectionPage.objects.live()]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"


# The demo's illustrations at 40% of their size: the same pages and layout, made and
# resized in half the time.
DEMO_IMAGE_SCALE = 0.4


def _uses_snapshot() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.settings_dict["NAME"]
    )


@pytest.fixture(scope="package")
def _demo_newsroom(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[Newsroom]:
    """Load the demo once per package and make it the state each journey starts from.

    pytest-django's serialized rollback puts the database back to
    `connection._test_serialized_contents` before every test that asks for it (the
    database as migrations left it, kept when the test database was made). For this
    package that copy is swapped for one taken after `load_demo`, so each journey
    starts from the whole demo newsroom at the cost of a reload, not a `load_demo`;
    leaving the package swaps the original back and restores it.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    migrated = getattr(connection, "_test_serialized_contents", None)
    if migrated is None:
        pytest.fail(
            "pytest-django kept no copy of the migrated database: journeys must use the "
            "`live_site` fixture (it asks for live_server and serialized rollback)"
        )
    migrated = _loadable(migrated)
    # On SQLite the built newsroom is kept between runs (demo_snapshot).
    snapshot = demo_snapshot.snapshot_path(DEMO_IMAGE_SCALE) if _uses_snapshot() else None
    rebuild = bool(request.config.getoption("create_db"))
    with django_db_blocker.unblock():
        if (
            snapshot is not None
            and not rebuild
            and demo_snapshot.restore(snapshot, connection, settings.MEDIA_ROOT)
        ):
            from django.contrib.contenttypes.models import ContentType
            from django.core.cache import caches

            # No save told the caches the database changed under them: what the test
            # before cached (the site's root paths, the route of a page) is stale.
            ContentType.objects.clear_cache()
            for cache in caches.all():
                cache.clear()
            newsroom = _newsroom_facts()
        else:
            # Start from the migrated state whatever ran before (a transactional test
            # may have emptied every table, Wagtail's root page included).
            _restore(connection, migrated)
            # Indexed for search, as `make demo` is (the test thread skips the index
            # unless asked: masthead/core/tests/search_index.py).
            with search_index.updates(on=True):
                call_command("load_demo", verbosity=0, image_scale=DEMO_IMAGE_SCALE)
            newsroom = _newsroom_facts()
            _make_renditions(newsroom)
            if snapshot is not None:
                demo_snapshot.save(snapshot, connection, settings.MEDIA_ROOT)
        if connection.vendor == "sqlite":
            # A page-for-page copy of the database, put back before each journey by
            # `live_site` (~10 ms, where deserializing the demo took ~2 s a journey);
            # the serialized rollback then has nothing to load.
            connection.ensure_connection()
            _SQLITE_DEMO_COPY[connection.alias] = copy = sqlite3.connect(":memory:")
            connection.connection.backup(copy)
            demo = "[]"
        else:
            demo = _loadable(connection.creation.serialize_db_to_string())
    connection._test_serialized_contents = demo
    try:
        yield newsroom
    finally:
        connection._test_serialized_contents = migrated
        copy = _SQLITE_DEMO_COPY.pop(connection.alias, None)
        if copy is not None:
            copy.close()
        with django_db_blocker.unblock():
            _restore(connection, migrated)


_SQLITE_DEMO_COPY: dict[str, sqlite3.Connection] = {}


def _sqlite_demo_put_back() -> None:
    """On SQLite, put the demo newsroom's copy back over the test database."""
    connection = connections[DEFAULT_DB_ALIAS]
    copy = _SQLITE_DEMO_COPY.get(connection.alias)
    if copy is None:
        return
    connection.ensure_connection()
    copy.backup(connection.connection)
    # Rows came back under the ids they had: forget what was cached about them.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture
def live_site(
    _demo_newsroom: Newsroom, live_server: Any, django_db_serialized_rollback: None
) -> LiveSite:
    """The demo newsroom on pytest-django's live server, fresh for each test.

    `live_server` makes the test transactional (the server thread sees committed data)
    and `django_db_serialized_rollback` reloads the demo newsroom before the test, so
    whatever a journey writes (a reader, a comment) is gone before the next one.
    """
    _sqlite_demo_put_back()
    return LiveSite(
        url=live_server.url,
        site_name=_demo_newsroom.site_name,
        lead=_demo_newsroom.lead,
        articles=_demo_newsroom.articles,
        artifacts=_demo_newsroom.artifacts,
    )


# --------------------------------------------------------------------------------------
# Chromium through Playwright
# --------------------------------------------------------------------------------------
@dataclass
class _Chromium:
    browser: Any
    playwright: Any
    loop: asyncio.AbstractEventLoop


@pytest.fixture(scope="session")
def _chromium() -> Iterator[_Chromium]:
    """One Chromium (and one Playwright driver) per test process, started by the first
    test that needs it; every test gets fresh contexts in it (`new_page`).

    While Playwright's sync API is in use, its event loop counts as running in this
    thread (it marks it so after every call), and Django then hands this thread a second
    set of database connections and refuses to use them outside `orm()`. pytest-django's
    per-test database work must run on its own connections, so the loop is marked as
    running only inside each test's `browser` window and unmarked outside it; nothing
    runs the loop outside that window (it runs only inside Playwright's calls).
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is absent: `apt-get install chromium` to run browser tests")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    loop = asyncio.get_running_loop()
    try:
        chromium = _Chromium(
            browser=playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS),
            playwright=playwright,
            loop=loop,
        )
    except BaseException:
        playwright.stop()
        raise
    asyncio._set_running_loop(None)
    try:
        yield chromium
    finally:
        asyncio._set_running_loop(loop)
        try:
            chromium.browser.close()
        finally:
            playwright.stop()
            asyncio._set_running_loop(None)


@pytest.fixture
def browser(_chromium: _Chromium, live_site: LiveSite) -> Iterator[Any]:
    """The process's Chromium, for a test whose database is ready; the window in which
    Playwright's loop counts as running (see `_chromium`).

    The window closes after `new_page` has closed the test's contexts and the live
    server has finished every request they made (`_wait_for_quiet_server`): a request
    still in flight (the wall's beacon, sent as a page closes) would otherwise meet the
    database being reset for the next test. The connections ORM calls made inside the
    window (`orm()`) are closed with it, so none is left open when the test database is
    dropped.
    """
    asyncio._set_running_loop(_chromium.loop)
    try:
        yield _chromium.browser
    finally:
        try:
            with _orm_allowed():
                connections.close_all()
        finally:
            asyncio._set_running_loop(None)


def _wait_for_quiet_server(live_server: Any, seconds: float = 10.0) -> None:
    """Wait until the live server's request threads have all finished."""
    httpd = getattr(live_server.thread, "httpd", None)
    deadline = time.monotonic() + seconds
    for thread in list(getattr(httpd, "_threads", None) or ()):
        thread.join(max(0.0, deadline - time.monotonic()))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


def _artifact_name(nodeid: str, label: str) -> str:
    test = nodeid.split("::", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test}--{label}").strip("_")[:150]


@dataclass
class PageProblems:
    """What went wrong in the browser while a page was open."""

    js_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def _page_problems() -> dict[int, PageProblems]:
    return {}


@pytest.fixture
def new_page(
    browser: Any,
    live_site: LiveSite,
    live_server: Any,
    request: pytest.FixtureRequest,
    _page_problems: dict[int, PageProblems],
) -> Iterator[Callable[..., Any]]:
    """`new_page("desktop")` or `new_page("phone")`: a tab in a fresh browser context;
    `new_page(javascript=False)` for a reader whose browser runs no scripts.

    Relative URLs resolve against the live site: `page.goto("/")`.
    """
    opened: list[tuple[Any, Any]] = []

    def make(device: str = "desktop", *, javascript: bool = True) -> Any:
        context = browser.new_context(
            base_url=live_site.url, java_script_enabled=javascript, **VIEWPORTS[device]
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        seen = _page_problems.setdefault(id(page), PageProblems())
        page.on("pageerror", lambda exc: seen.js_errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None,
        )

        def on_response(response: Any) -> None:
            url = response.url
            if url.startswith(live_site.url) and response.status >= 400:
                path = url[len(live_site.url) :]
                if path.split("?", 1)[0] not in IGNORED_PATHS:
                    seen.bad_responses.append(f"{response.status} {path}")

        page.on("response", on_response)
        opened.append((context, page))
        return page

    yield make

    failed = getattr(request.node, "_report_call", None)
    for index, (context, page) in enumerate(opened):
        if failed is not None and failed.failed and not page.is_closed():
            name = _artifact_name(request.node.nodeid, f"FAILED-{index}")
            with contextlib.suppress(Exception):
                page.screenshot(
                    path=str(live_site.artifacts / f"{name}.png"), full_page=True, scale="css"
                )
        context.close()
    _wait_for_quiet_server(live_server)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A desktop-sized tab (1280x900)."""
    return new_page("desktop")


@pytest.fixture
def phone_page(new_page: Callable[..., Any]) -> Any:
    """A phone-sized tab (390x844, touch, mobile viewport meta honoured)."""
    return new_page("phone")


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, live_site: LiveSite) -> Callable[[Any, str], Path]:
    """`screenshot(page, "front-page")`: a full-page JPEG under test-artifacts/e2e/<db>/
    (a third cheaper to make than a PNG; a failure's own screenshot stays a PNG)."""

    def take(page: Any, label: str) -> Path:
        path = live_site.artifacts / f"{_artifact_name(request.node.nodeid, label)}.jpg"
        page.screenshot(path=str(path), full_page=True, scale="css", type="jpeg", quality=80)
        return path

    return take


@pytest.fixture
def assert_no_browser_errors(_page_problems: dict[int, PageProblems]) -> Callable[[Any], None]:
    """`assert_no_browser_errors(page)`: no uncaught JS error, no 4xx/5xx from our site."""

    def check(page: Any) -> None:
        seen = _page_problems[id(page)]
        lines = [f"  uncaught JS error: {e}" for e in seen.js_errors]
        lines += [f"  failed request: {r}" for r in seen.bad_responses]
        if lines:
            pytest.fail(f"the browser reported problems on {page.url}:\n" + "\n".join(lines))

    return check


# --------------------------------------------------------------------------------------
# Accessibility: axe-core
# --------------------------------------------------------------------------------------
_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}
"""


def _inject_axe(page: Any) -> None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.add_script_tag(path=str(AXE_JS))
    except PlaywrightError as error:
        if "Content Security Policy" not in str(error):
            raise
    if page.evaluate("typeof window.axe") == "undefined":
        # A Content-Security-Policy blocked the inline script; DevTools evaluation is
        # exempt from CSP, so load it that way rather than weakening the page's policy.
        session = page.context.new_cdp_session(page)
        session.send("Runtime.evaluate", {"expression": AXE_JS.read_text(encoding="utf-8")})
        session.detach()


def format_violations(violations: list[dict[str, Any]], url: str, kind: str) -> str:
    lines = [f"axe-core found {len(violations)} {kind} WCAG violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {node['target']}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"       {detail}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more element(s)")
    return "\n".join(lines)


def _run_axe(page: Any) -> list[dict[str, Any]]:
    """Inject axe-core and run it, riding out a navigation that is still under way.

    A click that follows a link returns before the next page has loaded; injecting
    into a document being replaced fails ("context was destroyed", no <head> yet), so
    wait for the load and try again.
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(4):
        page.wait_for_load_state("load")
        try:
            _inject_axe(page)
            return page.evaluate(_RUN_AXE, WCAG_TAGS)
        except PlaywrightError:
            if attempt == 3:
                raise
            page.wait_for_timeout(250)
    raise AssertionError("unreachable")


@pytest.fixture
def assert_accessible() -> Callable[..., list[dict[str, Any]]]:
    """`assert_accessible(page)`: fail on serious or critical WCAG 2.x A/AA violations.

    Call it once the page meant is showing (after an `expect` on something only that
    page has): right after a click, the previous page may still be the one in view.
    Minor and moderate findings are printed (shown with -rA or on failure) and returned.
    """
    if not AXE_JS.exists():
        _unavailable(f"{AXE_JS} is absent: run `npm ci` to check accessibility")

    def check(page: Any) -> list[dict[str, Any]]:
        violations = _run_axe(page)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        others = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
        if others:
            print(format_violations(others, page.url, "minor/moderate"))
        if blocking:
            pytest.fail(format_violations(blocking, page.url, "serious/critical"), pytrace=False)
        return violations

    return check


# --------------------------------------------------------------------------------------
# One request at a time when the live server shares the test's SQLite connection
# --------------------------------------------------------------------------------------
class _SharedConnectionServer(ThreadedWSGIServer):
    """The live server, serving one request at a time on an in-memory SQLite database.

    On SQLite's in-memory test database the server's threads share the test's single
    connection (pytest-django passes it as `connections_override`); two requests at once
    (a page and the header's fetch, say) would start a transaction inside another's and
    fail with "cannot start a transaction within a transaction". On PostgreSQL each
    thread has its own connection and requests run concurrently as in production.
    The lock is held per request, not per connection, so keep-alive cannot starve
    another connection.
    """

    _one_at_a_time = threading.Lock()

    def set_app(self, application: Any) -> None:
        if not self.connections_override:
            super().set_app(application)
            return
        lock = self._one_at_a_time

        def serialised(environ: dict[str, Any], start_response: Any) -> Any:
            with lock:
                return application(environ, start_response)

        super().set_app(serialised)


LiveServerThread.server_class = _SharedConnectionServer
