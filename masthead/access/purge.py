"""Purging shared caches when what a visitor may read changes.

Invariant: the site keeps no server-side cache of rendered pages (anonymous pages are
cached only by a CDN or reverse proxy, for PUBLIC_CACHE_SECONDS), so purging means
telling that cache. Publishing, unpublishing, moving or editing a page, changing a
section's default access level or the wall settings calls `purge_later` with the
affected addresses and cache tags (`masthead.core.cache_tags`), and after the
transaction commits background tasks tell every cache that is configured:

- MASTHEAD_CDN_PURGE_URL: a CDN's purge hook gets `{"urls": [...], "everything": bool}`
  (JSON, POST);
- MASTHEAD_VARNISH_PURGE_URLS: each Varnish running deploy/varnish/masthead.vcl gets
  `PURGE /` with `xkey-purge: <tags>` (or `xkey-softpurge` with
  MASTHEAD_VARNISH_SOFT_PURGE), which drops every page filed under those tags, whatever
  its address ("everything" is the tag every public page carries);
- MASTHEAD_NGINX_REFRESH_URLS: each nginx running deploy/nginx/masthead.conf (which has
  no purge by tag, nor by URL in Debian's nginx-light) gets a refresh request for each
  address (`GET` with `X-Masthead-Refresh: 1`, honoured from loopback only), so nginx
  fetches the page again and replaces what it held; "everything" ages out instead.

Without any of them nothing is sent and pages age out within PUBLIC_CACHE_SECONDS. A
failed purge is logged and never breaks the change that asked for it.

Which tags a page's change purges is the page's own business: a page type may define
`purge_tags()` (content's articles and listings do); any other page purges its own tag
and the listings above it.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django_tasks import task

from masthead.core.cache_tags import SITE_TAG

logger = logging.getLogger("masthead.access")

# Tags per purge request: keeps the header well inside Varnish's limits (8 KB).
TAGS_PER_REQUEST = 100
REFRESH_HEADER = "X-Masthead-Refresh"


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


def _connection(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.netloc, timeout=10)
    return http.client.HTTPConnection(parts.netloc, timeout=10)


@task()
def xkey_purge(tags: list[str]) -> bool:
    """Drop every page filed under `tags` from each configured Varnish."""
    wanted = sorted(set(tags))
    header = "xkey-softpurge" if settings.VARNISH_SOFT_PURGE else "xkey-purge"
    ok = True
    for base in settings.VARNISH_PURGE_URLS:
        for start in range(0, len(wanted), TAGS_PER_REQUEST):
            chunk = " ".join(wanted[start : start + TAGS_PER_REQUEST])
            conn = _connection(base)
            try:
                conn.request("PURGE", urlsplit(base).path or "/", headers={header: chunk})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    ok = False
                    logger.warning("Varnish at %s refused a purge: %s", base, response.status)
            except OSError:
                ok = False
                logger.warning("Varnish purge failed at %s", base, exc_info=True)
            finally:
                conn.close()
    return ok


@task()
def nginx_refresh(urls: list[str]) -> bool:
    """Have each configured nginx fetch `urls` again, replacing what it holds."""
    ok = True
    for base in settings.NGINX_REFRESH_URLS:
        conn = _connection(base)
        try:
            for url in sorted(set(urls)):
                parts = urlsplit(url)
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                conn.request(
                    "GET",
                    path,
                    headers={
                        "Host": parts.netloc,
                        "X-Forwarded-Proto": parts.scheme or "https",
                        REFRESH_HEADER: "1",
                    },
                )
                response = conn.getresponse()
                response.read()
                if response.status >= 500:
                    ok = False
        except OSError:
            ok = False
            logger.warning("nginx refresh failed at %s", base, exc_info=True)
        finally:
            conn.close()
    return ok


def purge_later(urls: Iterable[str], *, tags: Iterable[str] = (), everything: bool = False) -> None:
    """Queue a purge of `urls` (absolute) and `tags` once the current transaction commits."""
    wanted = [u for u in urls if u]
    tag_list = sorted({t for t in tags if t} | ({SITE_TAG} if everything else set()))
    if getattr(settings, "CDN_PURGE_URL", "") and (wanted or everything):
        transaction.on_commit(lambda: cdn_purge.enqueue(wanted, everything))
    if settings.VARNISH_PURGE_URLS and tag_list:
        transaction.on_commit(lambda: xkey_purge.enqueue(tag_list))
    if settings.NGINX_REFRESH_URLS and wanted:
        transaction.on_commit(lambda: nginx_refresh.enqueue(wanted))
