"""The access decision: what one reader gets of one article, now.

Invariant: `decide` is a pure function of its arguments (no database, no settings, no
request, no clock of its own), so every combination is covered by a table-driven test
and the same inputs always give the same answer. It never looks at a User-Agent or a
Referer: the caller describes the reader only by facts it has verified.

What it returns:
- everything (`full`), or the lead-in plus a wall (`wall` says which);
- whether this view draws one article from the monthly premium allowance (`counts`);
- what to tell the reader: how many premium articles remain and when the allowance
  renews (the first moment of the next month in `now`'s timezone).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Level(TextChoices):
    """An article's access level: the one enum for levels, everywhere (the article
    fields' choices, the policy, the templates' properties). A plain str enum: no
    database is touched by using it."""

    FREE = "free", _("Free: anyone reads it in full")
    REGISTRATION = "registration", _("Registration: free account needed")
    PREMIUM = "premium", _("Premium: counts against the monthly allowance")


class Wall(enum.StrEnum):
    NONE = ""
    REGISTRATION = "registration"
    PREMIUM = "premium"


class Reason(enum.StrEnum):
    FREE = "free"
    PREVIEW = "preview"
    CRAWLER = "verified-crawler"
    UNLIMITED = "unlimited"
    REGISTERED = "registered"
    REREAD = "already-opened"
    ALLOWANCE = "allowance"
    ANONYMOUS_ALLOWANCE = "anonymous-allowance"
    ANONYMOUS = "anonymous"
    EXHAUSTED = "allowance-used"


class ArticleLike(Protocol):
    effective_access: str


@dataclass(frozen=True)
class Reader:
    """What the caller has verified about the reader.

    `registered` means a signed-in, active account (a forged, tampered or orphaned
    session is anonymous). `unlimited` means a member of an unlimited group or staff.
    `previewing` means an editor previewing in the admin. `verified_crawler` means a
    search engine whose address passed reverse and forward DNS checks.
    """

    registered: bool = False
    unlimited: bool = False
    previewing: bool = False
    verified_crawler: bool = False


ANONYMOUS = Reader()


@dataclass(frozen=True)
class MeterState:
    """What the reader has already read this month, and the rules in force.

    For a registered reader: `allowance` and `used` count premium articles and
    `already_opened` says this article was counted this month. For a visitor without an
    account: the same for registration articles (allowance usually 0).
    `countable` is False when this request must not draw on the allowance (a HEAD
    request, or any method other than GET).
    """

    allowance: int = 0
    used: int = 0
    already_opened: bool = False
    countable: bool = True

    @property
    def left(self) -> int:
        return max(self.allowance - self.used, 0)


NO_METER = MeterState()


@dataclass(frozen=True)
class AccessDecision:
    full: bool
    wall: Wall
    counts: bool
    reason: Reason
    remaining: int | None = None
    allowance: int | None = None
    renews_at: datetime | None = None

    @property
    def gated(self) -> bool:
        """True when the article withholds text from someone (it is not free)."""
        return self.reason is not Reason.FREE


def month_start(now: datetime) -> datetime:
    """The first moment of `now`'s month, in `now`'s timezone."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime) -> datetime:
    start = month_start(now)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def decide(
    reader: Reader, article: ArticleLike, meter: MeterState, now: datetime
) -> AccessDecision:
    level = Level(article.effective_access)
    if level is Level.FREE:
        return AccessDecision(full=True, wall=Wall.NONE, counts=False, reason=Reason.FREE)
    if reader.previewing:
        return AccessDecision(full=True, wall=Wall.NONE, counts=False, reason=Reason.PREVIEW)
    if not reader.registered:
        if reader.verified_crawler:
            return AccessDecision(full=True, wall=Wall.NONE, counts=False, reason=Reason.CRAWLER)
        if level is Level.REGISTRATION and meter.countable:
            if meter.already_opened:
                return AccessDecision(full=True, wall=Wall.NONE, counts=False, reason=Reason.REREAD)
            if meter.left > 0:
                return AccessDecision(
                    full=True,
                    wall=Wall.NONE,
                    counts=True,
                    reason=Reason.ANONYMOUS_ALLOWANCE,
                    remaining=meter.left - 1,
                )
        return AccessDecision(
            full=False, wall=Wall.REGISTRATION, counts=False, reason=Reason.ANONYMOUS
        )
    if reader.unlimited:
        return AccessDecision(full=True, wall=Wall.NONE, counts=False, reason=Reason.UNLIMITED)
    if level is Level.REGISTRATION:
        return AccessDecision(full=True, wall=Wall.NONE, counts=False, reason=Reason.REGISTERED)
    renews_at = next_month_start(now)
    if meter.already_opened:
        return AccessDecision(
            full=True,
            wall=Wall.NONE,
            counts=False,
            reason=Reason.REREAD,
            remaining=meter.left,
            allowance=meter.allowance,
            renews_at=renews_at,
        )
    if meter.left > 0 and meter.countable:
        return AccessDecision(
            full=True,
            wall=Wall.NONE,
            counts=True,
            reason=Reason.ALLOWANCE,
            remaining=meter.left - 1,
            allowance=meter.allowance,
            renews_at=renews_at,
        )
    return AccessDecision(
        full=False,
        wall=Wall.PREMIUM,
        counts=False,
        reason=Reason.EXHAUSTED,
        remaining=meter.left,
        allowance=meter.allowance,
        renews_at=renews_at,
    )
