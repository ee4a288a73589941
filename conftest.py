"""Fixtures and hooks every test gets.

Invariants:
- The suite runs under `masthead.settings_test` (pyproject's DJANGO_SETTINGS_MODULE):
  Masthead's settings with a fast password hasher and, under pytest-xdist, a Redis
  database per worker. Tests about hashing ask for `argon2_hashers`.
- Media go to a temporary folder (`build_once`'s while its rows live), tasks run at
  once (while building once too: the search index is a task), caches start empty.
- Wagtail's reference index (the admin's "usage" counts, nothing a reader or our code
  reads) is not updated by the test process: it was a fifth of the cost of every page
  a test builds. A test about it asks for the `reference_index` fixture. (The live
  server's thread in the browser journeys keeps updating it, as production does.)
  Wagtail's search index likewise: a test that searches asks for `search_index`.
- An in-memory SQLite test database is migrated once and copied into every process
  (`masthead/core/tests/sqlite_template.py`), a PostgreSQL one migrated once as a
  template database and cloned (`pg_template.py`); both kept between runs, rebuilt by
  `--create-db`. Other databases are set up exactly as pytest-django does it.
- `@pytest.mark.postgresql` marks a test that needs PostgreSQL (concurrent writers,
  PostgreSQL's own SQL); on any other database it is skipped with the reason.
- `build_once` builds rows for many tests (a module's newsroom) once, inside a
  transaction rolled back when the fixture ends; each test still runs in its own
  savepoint inside it, so what a test writes is gone before the next one.
- Hypothesis runs the "masthead" profile: a bounded number of examples and no
  per-example deadline (a loaded CI machine is slow, not wrong). HYPOTHESIS_PROFILE=thorough
  runs ten times as many.
- The real SMTP server's fixtures (`masthead/core/tests/smtp.py`) are a plugin every
  test may ask for.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile(
    "masthead", max_examples=25, deadline=None, print_blob=True, database=None
)
hypothesis_settings.register_profile(
    "thorough", max_examples=250, deadline=None, print_blob=True, database=None
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "masthead"))


def _database_vendor() -> str:
    engine = django_settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else engine.rsplit(".", 1)[-1]


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    built_once = {
        item.module.__name__ for item in items if "build_once" in getattr(item, "fixturenames", ())
    }
    for item in items:
        if item.module is None or item.module.__name__ not in built_once:
            continue
        if _is_transactional(item):
            # build_once's rows live in a transaction that stays open for the whole
            # module: a transactional test there would run inside it, unseen.
            raise pytest.UsageError(
                f"{item.nodeid} is transactional, but its module builds rows once "
                "(build_once): move it to a module of its own"
            )
        # Under `--dist loadgroup` (make test) a module whose rows are built once goes
        # to one worker whole, so they are built once, not once per worker.
        item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    for item in items:
        if _waits(item) and _is_transactional(item):
            # One worker runs the tests that mostly wait, one after another, while the
            # other keeps both cores' worth of work going (see _WaitingTestsFirst).
            item.add_marker(pytest.mark.xdist_group("waiting-tests"))
    vendor = _database_vendor()
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL, not {vendor}: run with "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name> (CI does)"
    )
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(skip)


class _WaitingTestsFirst:
    """Within the transactional tests, those that mostly wait (on worker processes, on
    nginx and Varnish timing out) go first, as one xdist group: one worker runs them
    while the other runs the browser journeys, whose work fills the waits, instead of
    both workers waiting at once."""

    @pytest.hookimpl(trylast=True)  # after pytest-django's order: db, transactional, no db
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        _keep_xdist_groups(items)
        first = [i for i, item in enumerate(items) if _waits(item) and _is_transactional(item)]
        if not first:
            return
        start = min(i for i, item in enumerate(items) if _is_transactional(item))
        chosen = set(first)
        rest = [item for i, item in enumerate(items[start:], start) if i not in chosen]
        items[start:] = [items[i] for i in first] + rest


def _keep_xdist_groups(items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` see the xdist_group markers under pytest 9.2.

    pytest-xdist 3.8 names a test's group by appending "@group" to its private
    `_nodeid`, which pytest 9.2 no longer reads (a node's id is now `_id`): the
    controller saw no group at all and spread every group's tests over all workers.
    Carry the new name over to where pytest 9.2 reads it.
    """
    from _pytest.nodeid import NodeId

    for item in items:
        renamed = item.__dict__.get("_nodeid")
        if renamed and "@" in renamed and renamed != item.nodeid:
            item._id = NodeId.parse(renamed)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_WaitingTestsFirst(), "masthead-waiting-tests-first")


def _waits(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return "shared_database" in names or "/tests/edge/" in f"/{item.nodeid}"


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & {"transactional_db", "live_server", "django_db_serialized_rollback"})


_prebuild: list[Any] = []


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        return  # a worker, or no workers: django_db_setup migrates or copies
    if config.getoption("reuse_db") and not config.getoption("create_db"):
        return
    if config.getoption("nomigrations"):
        return
    from pytest_django.plugin import blocking_manager_key

    from masthead.core.tests import pg_template, sqlite_template

    for template in (sqlite_template, pg_template):
        if template.uses_template():
            # PostgreSQL's asks the server whether the template is there already.
            with config.stash[blocking_manager_key].unblock():
                process = template.start_prebuild(rebuild=bool(config.getoption("create_db")))
            if process is not None:
                _prebuild.append((template, process))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for template, process in _prebuild:
        problem = template.finish_prebuild(process)
        if problem:
            terminalreporter.write_line(problem, yellow=True)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_use_migrations: bool,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's test databases, migrated once (sqlite_template, pg_template).

    The same steps as pytest-django's own fixture of this name, except that an in-memory
    SQLite test database is copied from a template migrated once, and a PostgreSQL one
    cloned from a template database migrated once, not migrated in every process.
    """
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    from masthead.core.tests import pg_template, sqlite_template

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        template = next((t for t in (sqlite_template, pg_template) if t.uses_template()), None)
        if django_db_use_migrations and not keepdb and aliases == {"default"} and template:
            db_cfg = template.setup_from_template(
                verbosity=verbosity,
                serialized_aliases=serialized_aliases,
                rebuild=django_db_createdb,
            )
        else:
            if not django_db_use_migrations:
                from pytest_django.fixtures import _disable_migrations

                _disable_migrations()
            db_cfg = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=keepdb,
            )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                teardown_databases(db_cfg, verbosity=verbosity)
            except Exception as exc:
                # As pytest-django's own fixture: a database another session still holds
                # (a server thread's connection closing late) is a warning, not a failure.
                request.node.warn(
                    pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}")
                )


@pytest.fixture
def argon2_hashers(settings) -> list[str]:
    """The production password hashers (Argon2id first), for tests about hashing."""
    import masthead.settings

    settings.PASSWORD_HASHERS = list(masthead.settings.PASSWORD_HASHERS)
    return settings.PASSWORD_HASHERS


@pytest.fixture
def reader(db: None) -> Any:
    """A reader with a verified address and the factory's PASSWORD (modules that need
    particular names or addresses define their own `reader` with ReaderFactory)."""
    from masthead.readers.tests.factories import ReaderFactory

    return ReaderFactory(verified=True)


@pytest.fixture
def signed_in(client: Any, reader: Any) -> Any:
    """The test client, signed in as `reader` (the module's own, where it has one)."""
    client.force_login(reader)
    return client


@pytest.fixture(scope="session")
def build_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], contextlib.AbstractContextManager[None]]:
    """`with build_once(): yield make_newsroom()` in a module- or session-scoped fixture.

    The rows are built once and rolled back when the fixture ends. The tests that use
    them must be plain `django_db` tests (not transactional: a flush would empty the
    rows for everyone) and must not keep state in the shared Python objects.
    """

    @contextlib.contextmanager
    def built() -> Iterator[None]:
        # Images written while building must outlive the build: the tests read them.
        media = str(tmp_path_factory.mktemp("built-once-media"))
        _shared_media.append(media)
        try:
            with (
                override_settings(MEDIA_ROOT=media, TASKS=IMMEDIATE_TASKS),
                django_db_blocker.unblock(),
                transaction.atomic(),
            ):
                yield
                transaction.set_rollback(True)
        finally:
            _shared_media.pop()

    return built


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# MEDIA_ROOT of the rows `build_once` is keeping, while it keeps them.
_shared_media: list[str] = []

# The real SMTP server's fixtures (smtp_server, smtp_settings), for every app's tests.
# ... and a database worker processes can open (shared_database).
pytest_plugins = ["masthead.core.tests.smtp", "masthead.core.tests.databases"]


@pytest.fixture(scope="session", autouse=True)
def _no_reference_index() -> Iterator[None]:
    # Wagtail's own switch (a thread-local, so only this thread's saves skip it).
    from wagtail.signal_handlers import disable_reference_index_auto_update

    with disable_reference_index_auto_update():
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_search_index() -> Iterator[None]:
    # Wagtail's search index, likewise (masthead/core/tests/search_index.py).
    from masthead.core.tests import search_index

    search_index.install()
    with search_index.updates(on=False):
        yield


@pytest.fixture
def search_index() -> Iterator[None]:
    """Wagtail's search index kept up to date by this test's saves and deletes."""
    from masthead.core.tests import search_index

    with search_index.updates(on=True):
        yield


@pytest.fixture(scope="module")
def search_index_module() -> Iterator[None]:
    """As `search_index`, for a whole module (rows it builds once are indexed too)."""
    from masthead.core.tests import search_index

    with search_index.updates(on=True):
        yield


@pytest.fixture
def reference_index() -> Iterator[None]:
    """Wagtail's reference index kept up to date by this test's saves and deletes."""
    from wagtail.signal_handlers import reference_index_auto_update_disabled

    reference_index_auto_update_disabled.value = False
    try:
        yield
    finally:
        reference_index_auto_update_disabled.value = True


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = _shared_media[-1] if _shared_media else str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    # The database backend needs a worker process; tests run each task as it is
    # enqueued instead. Tests of the queue itself override TASKS again.
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Rate-limit counters and cached lookups live in the cache; on SQLite user ids repeat
    # between tests, so a counter left over would change what the next test sees.
    from django.core.cache import caches

    from masthead.core.newsroom import newsroom_name_forget

    for alias in ("default", "renditions"):
        caches[alias].clear()
    # Tests rename Sites with queryset updates, which send no signal.
    newsroom_name_forget()
    yield
