"""The moderation pipeline: every new or edited comment passes these phases, in the order
Coral proved. Each phase is a small function of a `Submission` that either

- raises a CommunityError (the comment is refused, with a message for the reader),
- returns a Verdict (publish or hold, with the reason: the pipeline stops there), or
- returns None (go on to the next phase).

Phases (PHASES, in order): length -> open (article closed, reader suspended or banned)
-> sanitise (may change `submission.body`) -> repeat (same text by the same reader
within `repeat_window_minutes`) -> staff auto-approve -> words (banned: refused with a
message; suspect: held) -> links (held when `hold_links`) -> probation (the first
`probation_count` comments of a new commenter held) -> the reader's pre-moderation ->
site-wide pre-moderation. A submission that passes them all is published.

Contract: `run(submission) -> Verdict`. Phases do no I/O: the caller loads everything a
phase needs (settings, the commenter, whether the conversation is open, the reader's
recent texts) into the Submission first, so the pipeline is fast and testable alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import CommenterStatus, CommentStatus, HeldReason
from ..rendering import URL_RE
from .errors import Closed, InvalidInput


@dataclass
class Submission:
    body: str
    config: object  # CommunitySettings
    commenter: object  # Commenter
    is_staff: bool
    conversation_open: bool
    now: datetime
    recent_bodies: list[str] = field(default_factory=list)
    editing: bool = False


@dataclass(frozen=True)
class Verdict:
    status: str
    held_reason: str = HeldReason.NONE

    @property
    def published(self) -> bool:
        return self.status == CommentStatus.PUBLISHED


PUBLISH = Verdict(CommentStatus.PUBLISHED)


def hold(reason: str) -> Verdict:
    return Verdict(CommentStatus.PENDING, reason)


# -- the phases ---------------------------------------------------------------------------
def check_length(s: Submission) -> None:
    if not (s.body or "").strip():
        raise InvalidInput(_("Write something before you post."), code="empty")
    limit = s.config.max_comment_length
    if len(s.body) > limit:
        over = len(s.body) - limit
        raise InvalidInput(
            ngettext(
                "A comment has at most %(limit)d characters; remove %(over)d character.",
                "A comment has at most %(limit)d characters; remove %(over)d characters.",
                over,
            )
            % {"limit": limit, "over": over},
            code="too_long",
        )


def check_open(s: Submission) -> None:
    c = s.commenter
    if c.status == CommenterStatus.BANNED:
        raise Closed(_("Your account may no longer comment."), code="banned")
    if c.status == CommenterStatus.SUSPENDED and (
        c.suspended_until is None or c.suspended_until > s.now
    ):
        if c.suspended_until is None:
            raise Closed(_("Your commenting is suspended."), code="suspended")
        until = formats.date_format(timezone.localtime(c.suspended_until), "DATETIME_FORMAT")
        raise Closed(
            _("Your commenting is suspended until %(until)s.") % {"until": until},
            code="suspended",
        )
    if not s.conversation_open and not s.editing:
        raise Closed(_("Comments on this article are closed."), code="closed")


# Invisible characters that change how text reads without showing: bidirectional
# overrides (the "Trojan Source" trick), zero-width joiners outside words, BOMs.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitise(s: Submission) -> None:
    text = unicodedata.normalize("NFC", s.body).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise InvalidInput(_("Write something before you post."), code="empty")
    s.body = text


def _fingerprint(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def check_repeat(s: Submission) -> None:
    if s.editing:
        return
    mine = _fingerprint(s.body)
    if any(_fingerprint(b) == mine for b in s.recent_bodies):
        raise InvalidInput(
            _("You posted this text a moment ago. Write something new instead."),
            code="repeat",
        )


def staff_approve(s: Submission) -> Verdict | None:
    return PUBLISH if s.is_staff else None


def _uses(text: str, words: list[str]) -> str | None:
    folded = text.casefold()
    for word in words:
        if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", folded):
            return word
    return None


def check_words(s: Submission) -> Verdict | None:
    banned = _uses(s.body, s.config.word_list("banned_words"))
    if banned:
        raise InvalidInput(
            _("This site does not publish comments using \u201c%(word)s\u201d. Please reword it.")
            % {"word": banned},
            code="banned_word",
        )
    if _uses(s.body, s.config.word_list("suspect_words")):
        return hold(HeldReason.SUSPECT_WORD)
    return None


def check_links(s: Submission) -> Verdict | None:
    if s.config.hold_links and URL_RE.search(s.body):
        return hold(HeldReason.LINK)
    return None


def check_probation(s: Submission) -> Verdict | None:
    if s.commenter.published_count < s.config.probation_count:
        return hold(HeldReason.PROBATION)
    return None


def check_reader_premoderation(s: Submission) -> Verdict | None:
    return hold(HeldReason.READER) if s.commenter.always_premoderate else None


def check_site_premoderation(s: Submission) -> Verdict | None:
    return hold(HeldReason.SITE) if s.config.premoderate_all else None


PHASES: list[Callable[[Submission], Verdict | None]] = [
    check_length,
    check_open,
    sanitise,
    check_repeat,
    staff_approve,
    check_words,
    check_links,
    check_probation,
    check_reader_premoderation,
    check_site_premoderation,
]


def run(submission: Submission) -> Verdict:
    for phase in PHASES:
        verdict = phase(submission)
        if verdict is not None:
            return verdict
    return PUBLISH
