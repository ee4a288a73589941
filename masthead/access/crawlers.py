"""Search-engine crawler verification, by reverse then forward DNS.

Invariants:
- Nothing here ever trusts a User-Agent or Referer to grant access. The User-Agent is
  only a hint for which addresses are worth looking up; access needs the client address
  (REMOTE_ADDR, or X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies vouch
  for it) to resolve to a host under a search engine's published domain AND that host
  to resolve forward to the same address.
- DNS never runs while a reader waits: a page only reads the cached verdict for its
  address (`crawler_check`, a read); an unknown address is looked up by a background
  task, scheduled by the view's service (`crawler_lookup_schedule`), and treated as
  unverified until then.
- The resolver is pluggable (`ACCESS_DNS_RESOLVER` setting, a dotted path to a class
  with `reverse(ip)` and `forward(host)`), so tests use a fake one.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django_tasks import task

logger = logging.getLogger("masthead.access")

# The domains the search engines publish for their crawlers' reverse DNS names.
CRAWLER_DOMAINS: dict[str, tuple[str, ...]] = {
    "googlebot": (".googlebot.com", ".google.com", ".googleusercontent.com"),
    "bingbot": (".search.msn.com",),
    "duckduckbot": (".duckduckgo.com",),
    "applebot": (".applebot.apple.com",),
    "yandex": (".yandex.ru", ".yandex.net", ".yandex.com"),
}
VERDICT_SECONDS = 24 * 60 * 60
PENDING_SECONDS = 5 * 60
CACHE_PREFIX = "access:crawler:"


class Resolver(Protocol):
    def reverse(self, ip: str) -> str | None: ...

    def forward(self, host: str) -> list[str]: ...


class SocketResolver:
    """The operating system's resolver."""

    def reverse(self, ip: str) -> str | None:
        try:
            return socket.gethostbyaddr(ip)[0]
        except (OSError, UnicodeError):
            return None

    def forward(self, host: str) -> list[str]:
        try:
            infos = socket.getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return []
        return sorted({str(info[4][0]) for info in infos})


def get_resolver() -> Resolver:
    path = getattr(settings, "ACCESS_DNS_RESOLVER", "masthead.access.crawlers.SocketResolver")
    return import_string(path)()


def claimed_crawler(user_agent: str) -> str | None:
    """Which crawler the User-Agent claims to be (a hint only, never a grant)."""
    agent = (user_agent or "").lower()
    return next((name for name in CRAWLER_DOMAINS if name in agent), None)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return ""


def verify_ip(ip: str, crawler: str, resolver: Resolver | None = None) -> bool:
    """Reverse-resolve `ip`, check the host's domain, forward-resolve it back to `ip`."""
    domains = CRAWLER_DOMAINS.get(crawler)
    if not domains or not ip:
        return False
    resolver = resolver or get_resolver()
    host = (resolver.reverse(ip) or "").rstrip(".").lower()
    if not host or not host.endswith(domains):
        return False
    return ip in resolver.forward(host)


def _key(ip: str, crawler: str) -> str:
    return f"{CACHE_PREFIX}{crawler}:{ip}"


@task()
def verify_crawler_ip(ip: str, crawler: str) -> bool:
    verified = verify_ip(ip, crawler)
    cache.set(_key(ip, crawler), "yes" if verified else "no", VERDICT_SECONDS)
    return verified


@dataclass(frozen=True)
class CrawlerCheck:
    """What the cache says of this request's address (a read; nothing is scheduled)."""

    verified: bool = False
    # (address, crawler) with no verdict yet: `crawler_lookup_schedule` should look it up.
    lookup: tuple[str, str] | None = None


NOT_A_CRAWLER = CrawlerCheck()


def crawler_check(request: HttpRequest) -> CrawlerCheck:
    """The cached verdict for this request's address. Reads only: an address with no
    verdict yet is unverified, and `lookup` says what to schedule (the caller's service
    does, through `crawler_lookup_schedule`)."""
    crawler = claimed_crawler(request.META.get("HTTP_USER_AGENT", ""))
    if crawler is None:
        return NOT_A_CRAWLER
    ip = client_ip(request)
    if not ip:
        return NOT_A_CRAWLER
    verdict = cache.get(_key(ip, crawler))
    return CrawlerCheck(
        verified=verdict == "yes", lookup=(ip, crawler) if verdict is None else None
    )


def crawler_lookup_schedule(ip: str, crawler: str) -> None:
    """Schedule the DNS check of an address that claims to be `crawler`, once."""
    # Mark it pending so a burst of requests schedules one lookup, not hundreds.
    if cache.add(_key(ip, crawler), "pending", PENDING_SECONDS):
        try:
            verify_crawler_ip.enqueue(ip, crawler)
        except Exception:
            logger.warning("could not schedule a crawler check for %s", ip, exc_info=True)
