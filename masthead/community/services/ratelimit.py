"""Rate limits on comments, likes, follows and reports, counted in the shared cache.

Contract: `hit(kind, user_id, config, now=None)` counts one action, or raises
RateLimited (nothing counted) with `retry_at` and a translated message saying when the
reader may try again. Kinds:
- "comment": one comment per `comment_interval_seconds` and at most `comment_burst`
  per 10 minutes;
- "reaction": `reactions_per_minute` likes or unlikes per minute;
- "report": `reports_per_hour` reports per hour;
- "follow": follows, unfollows, mutes and unmutes of readers together, at most
  `follows_per_minute` per minute.
Counters live in the default cache under "masthead:community-rl:", a strict prefix: if
Redis is away the cache raises CacheUnavailable and the request is refused politely
(masthead.core.cache), so limits fail closed. Windows are fixed (aligned to the clock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .errors import RateLimited

PREFIX = "masthead:community-rl:"


def _window_limit(kind: str, config: Any) -> tuple[int, int]:
    """(allowance, window seconds)."""
    if kind == "comment":
        return config.comment_burst, 600
    if kind == "reaction":
        return config.reactions_per_minute, 60
    if kind == "report":
        return config.reports_per_hour, 3600
    if kind == "follow":
        return config.follows_per_minute, 60
    raise ValueError(f"unknown rate limit {kind!r}")


def _message(kind: str, retry_at: datetime) -> str:
    when = formats.time_format(timezone.localtime(retry_at), "H:i:s")
    if kind == "comment":
        return _("You are commenting quickly. You can post again at %(time)s.") % {"time": when}
    if kind == "reaction":
        return _("Too many likes in a short time. Try again at %(time)s.") % {"time": when}
    if kind == "follow":
        return _(
            "You have followed and muted many readers in a short time. Try again at %(time)s."
        ) % {"time": when}
    return _("You have sent many reports. You can report again at %(time)s.") % {"time": when}


def hit(kind: str, user_id: int, config: Any, now: datetime | None = None) -> None:
    now = now or timezone.now()
    epoch = int(now.timestamp())
    if kind == "comment" and config.comment_interval_seconds:
        interval = config.comment_interval_seconds
        last_key = f"{PREFIX}last:{user_id}"
        last = cache.get(last_key)
        if last is not None and epoch - int(last) < interval:
            retry_at = datetime.fromtimestamp(int(last) + interval, tz=UTC)
            raise RateLimited(_message(kind, retry_at), code="rate_comment", retry_at=retry_at)
    allowance, window = _window_limit(kind, config)
    start = epoch - epoch % window
    key = f"{PREFIX}{kind}:{user_id}:{start}"
    # add() then incr(): atomic in Redis, so two app servers cannot both take the last.
    cache.add(key, 0, timeout=window + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        used = 1
    if used > allowance:
        cache.decr(key)
        retry_at = datetime.fromtimestamp(start + window, tz=UTC)
        raise RateLimited(_message(kind, retry_at), code=f"rate_{kind}", retry_at=retry_at)
    if kind == "comment" and config.comment_interval_seconds:
        cache.set(last_key, epoch, timeout=config.comment_interval_seconds + 5)


def retry_after_seconds(error: RateLimited, now: datetime | None = None) -> int:
    """Seconds until `error.retry_at`, at least 1 (for a Retry-After header)."""
    now = now or timezone.now()
    return max(1, int((error.retry_at - now) / timedelta(seconds=1)) + 1)
