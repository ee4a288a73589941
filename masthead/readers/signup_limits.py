"""How many registration attempts we take, per network address and in all, right now.

Registration signs a new reader in at once, while an address that already has an
account gets "check your inbox": someone watching the answer learns which addresses
have accounts. We keep instant sign-in (it is the product) and make each guess cost
more, the more guesses there are:

- every registration attempt (a POST that reaches the form) is counted per client IP
  and in all, in one-minute buckets in the shared cache, over SIGNUP_WINDOW_SECONDS;
- while the attempts from everyone in the window reach SIGNUP_BURST_THRESHOLD the
  site is under a *burst*, of level 1, 2, 3... (each level another doubling of the
  threshold, up to SIGNUP_BURST_MAX_LEVEL); each level halves the per-IP allowance
  (SIGNUP_IP_LIMIT, never below one) and multiplies the bot check's proof-of-work by
  ALTCHA_BURST_FACTOR (capped at ALTCHA_MAX_NUMBER_CEILING);
- at SIGNUP_GLOBAL_LIMIT attempts in the window nobody may register until it passes;
- when a burst begins, staff hear of it: a WARNING in the log and an email to ADMINS
  (or, with none set, to the active superusers), at most once in each period of
  SIGNUP_ALERT_SECONDS (periods counted from the epoch, so every app server agrees).

Invariants: the decision is made before any account is created or any address looked
up; a cache that cannot be reached refuses (fails closed) rather than waving every
attempt through; counters only ever hold counts, never an address.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from masthead.core.cache import CacheUnavailable

logger = logging.getLogger("masthead.readers.signup_limits")

BUCKET_SECONDS = 60
PREFIX = "masthead:signup-limits"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def window_seconds() -> int:
    return _setting("SIGNUP_WINDOW_SECONDS", 600)


@dataclass(frozen=True)
class SignupVerdict:
    allowed: bool
    # Why not, when not: "ip" (this address's allowance) or "global" (everyone's).
    reason: str = ""
    burst_level: int = 0
    ip_limit: int = 0
    global_attempts: int = 0


def _buckets(now: float) -> list[int]:
    current = int(now // BUCKET_SECONDS)
    count = max(1, window_seconds() // BUCKET_SECONDS)
    return list(range(current - count + 1, current + 1))


def _count(scope: str, now: float) -> int:
    keys = [f"{PREFIX}:{scope}:{bucket}" for bucket in _buckets(now)]
    return sum(int(value) for value in cache.get_many(keys).values())


def _record(scope: str, now: float) -> None:
    key = f"{PREFIX}:{scope}:{int(now // BUCKET_SECONDS)}"
    # add() then incr(): atomic in Redis; the bucket outlives the window by a minute.
    cache.add(key, 0, timeout=window_seconds() + BUCKET_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds() + BUCKET_SECONDS)


def burst_level(global_attempts: int) -> int:
    """0 when quiet; 1 at the threshold, 2 at twice it, 3 at four times..."""
    threshold = max(1, _setting("SIGNUP_BURST_THRESHOLD", 100))
    level = 0
    while global_attempts >= threshold * 2**level and level < _setting("SIGNUP_BURST_MAX_LEVEL", 4):
        level += 1
    return level


def ip_limit(level: int) -> int:
    return max(1, _setting("SIGNUP_IP_LIMIT", 10) >> level)


def current_burst_level() -> int:
    try:
        return burst_level(_count("all", time.time()))
    except CacheUnavailable:
        # Redis is away (the cache logs the outage once): assume the worst, as the
        # limits do, so the bot check is at its hardest.
        return _setting("SIGNUP_BURST_MAX_LEVEL", 4)


def altcha_max_number() -> int:
    """The proof-of-work size for a challenge made now: larger while a burst lasts."""
    base = settings.ALTCHA_MAX_NUMBER
    factor = _setting("ALTCHA_BURST_FACTOR", 4) ** current_burst_level()
    return min(base * factor, max(base, _setting("ALTCHA_MAX_NUMBER_CEILING", 5_000_000)))


def signup_attempt(ip: str | None) -> SignupVerdict:
    """Count one registration attempt from `ip` and say whether it may go ahead."""
    now = time.time()
    ip_scope = f"ip:{ip or '-'}"
    # With Redis away these raise CacheUnavailable (the counters are strict keys, see
    # settings.CACHES): registration is refused with the polite "try again in a minute"
    # page (core.cache.CacheUnavailableMiddleware), never let through uncounted.
    global_attempts = _count("all", now)
    from_ip = _count(ip_scope, now)
    _record("all", now)
    _record(ip_scope, now)
    global_attempts += 1
    level = burst_level(global_attempts)
    limit = ip_limit(level)
    if level:
        _alert_staff(level=level, attempts=global_attempts)
    if global_attempts > _setting("SIGNUP_GLOBAL_LIMIT", 2000):
        return SignupVerdict(False, "global", level, limit, global_attempts)
    if from_ip + 1 > limit:
        return SignupVerdict(False, "ip", level, limit, global_attempts)
    return SignupVerdict(True, "", level, limit, global_attempts)


def _alert_staff(*, level: int, attempts: int) -> None:
    # cache.add is atomic: one app server wins, so staff get one alert per period. The
    # period is in the key (not only in the timeout) so the rule reads the same clock as
    # the counters, whichever cache holds it.
    period = int(_setting("SIGNUP_ALERT_SECONDS", 3600))
    key = f"{PREFIX}:alerted:{int(time.time() // period)}"
    try:
        first = cache.add(key, level, timeout=period)
    except CacheUnavailable:
        return  # counted a moment ago, so this is a blip; the next attempt alerts
    if not first:
        return
    minutes = window_seconds() // 60
    logger.warning(
        "registration burst: %d attempts in %d minutes (level %d); per-IP limit now %d",
        attempts,
        minutes,
        level,
        ip_limit(level),
    )
    from .emails import signup_burst_alert_send

    signup_burst_alert_send(
        attempts=attempts, minutes=minutes, level=level, ip_limit=ip_limit(level)
    )
