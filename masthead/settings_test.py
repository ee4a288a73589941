"""The settings the test suite runs under: Masthead's own, with two changes for speed.

Invariant: everything is `masthead.settings` (read from the same environment) except
- a fast password hasher comes first, so the thousands of passwords tests set cost
  microseconds instead of Argon2's ~50 ms each. Argon2 stays in the list, so its hashes
  still verify; the tests about hashing ask for the production list back (the root
  conftest's `argon2_hashers` fixture);
- under pytest-xdist each worker gets its own Redis database: tests clear the cache
  (FLUSHDB) and count rate limits in it, so two workers sharing one would see each
  other's keys. Worker N uses REDIS_URL's database + N (counting down instead when that
  would pass Redis's 16 databases).
Processes a test starts (task workers, the email sweeper) inherit
DJANGO_SETTINGS_MODULE and PYTEST_XDIST_WORKER, so they land on the same settings.
Never used outside the tests.
"""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

from masthead.settings import *  # noqa: F403
from masthead.settings import CACHES, PASSWORD_HASHERS, PRODUCTION, REDIS_URL

if PRODUCTION:
    # A server started on these settings by mistake would store new passwords with a
    # hasher made for speed.
    raise ImproperlyConfigured(
        "masthead.settings_test is for the test suite only: set "
        "DJANGO_SETTINGS_MODULE=masthead.settings in production."
    )

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

REDIS_DATABASES = 16  # Redis's default `databases`


def worker_redis_url(url: str, worker: str, workers: int) -> str:
    """REDIS_URL for xdist worker `worker` ("gw3") of `workers`: its own database."""
    index = int(worker.removeprefix("gw"))
    match = re.match(r"^(rediss?://[^/]*)(?:/(\d+))?/?$", url)
    if match is None:
        return url  # a socket path or query-string form: left as it is
    base = int(match.group(2) or 0)
    step = 1 if base + workers <= REDIS_DATABASES else -1
    number = base + step * index
    if not 0 <= number < REDIS_DATABASES:
        raise ValueError(f"{workers} test workers do not fit in Redis from database {base}")
    return f"{match.group(1)}/{number}"


_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _WORKER:
    _url = worker_redis_url(
        REDIS_URL, _WORKER, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    )
    for _alias in CACHES.values():
        if _alias.get("LOCATION") == REDIS_URL:
            _alias["LOCATION"] = _url
    REDIS_URL = _url
