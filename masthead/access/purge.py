"""Purging shared caches when what a visitor may read changes.

Invariant: the site keeps no server-side cache of rendered pages (anonymous pages are
cached only by a CDN or reverse proxy, for PUBLIC_CACHE_SECONDS), so purging means
telling that cache. When MASTHEAD_CDN_PURGE_URL is set, publishing, unpublishing or
moving an article, changing a section's default access level or the wall settings
sends the affected addresses there (JSON `{"urls": [...], "everything": bool}`, POST),
from a background task after the transaction commits. Without it, nothing is sent and
pages age out of the CDN within PUBLIC_CACHE_SECONDS.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django_tasks import task

logger = logging.getLogger("masthead.access")


@task()
def cdn_purge(urls: list[str], everything: bool = False) -> bool:
    endpoint = getattr(settings, "CDN_PURGE_URL", "")
    if not endpoint:
        return False
    payload = json.dumps({"urls": sorted(set(urls)), "everything": everything}).encode()
    request = urllib.request.Request(  # noqa: S310 (an operator-configured https URL)
        endpoint, data=payload, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return 200 <= response.status < 300
    except OSError:
        logger.warning("CDN purge failed for %d URL(s)", len(urls), exc_info=True)
        return False


def purge_later(urls: Iterable[str], *, everything: bool = False) -> None:
    """Queue a purge of `urls` (absolute) once the current transaction commits."""
    if not getattr(settings, "CDN_PURGE_URL", ""):
        return
    wanted = [u for u in urls if u]
    if not wanted and not everything:
        return
    transaction.on_commit(lambda: cdn_purge.enqueue(wanted, everything))
