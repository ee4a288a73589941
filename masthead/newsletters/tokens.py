"""Signed tokens in newsletter links: who the reader is, and for which list.

Invariants:
- A token is an HMAC-signed, timestamped payload (django.core.signing, salted per use):
  it cannot be guessed or altered, and it expires after NEWSLETTER_UNSUBSCRIBE_DAYS.
- An unsubscribe token names one reader and one newsletter; it is refused for any other
  newsletter. The list is found by the id in the token, not by the slug in the URL, so
  renaming a slug does not break links already sent. A preferences
  token names a reader only and is signed with another salt, so neither kind can stand
  in for the other.
- A browser-copy token names an issue and, in a reader's own copy, that reader: ids
  in the "view in browser" address are never guessable, so issues cannot be read by
  counting. It does not expire (archived emails keep working); it carries no power but
  reading that one issue.
- An account-less subscriber's links (unsubscribe, preferences) name the subscriber
  row and its newsletter, under salts of their own: a reader's token is never taken
  for a subscriber's, nor the reverse, and a row belongs to one list, so a token is
  refused for any other.
- A confirmation token (double opt-in) names the pending row, its list and the moment
  its confirmation email was requested, under its own salt, and expires after
  NEWSLETTER_CONFIRM_HOURS: a link from an older request, or for another list, is
  refused, and it can confirm nothing else.
- Nothing is stored: the reader's row and the list are looked up when the link is used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core import signing

_UNSUBSCRIBE = "masthead.newsletters.unsubscribe"
_PREFERENCES = "masthead.newsletters.preferences"
_ISSUE = "masthead.newsletters.issue"
_CONFIRM = "masthead.newsletters.open.confirm"
_OPEN_UNSUBSCRIBE = "masthead.newsletters.open.unsubscribe"
_OPEN_PREFERENCES = "masthead.newsletters.open.preferences"

Problem = Literal["invalid", "expired", "other_list"]


@dataclass(frozen=True)
class Checked:
    user_id: int | None = None
    problem: Problem | None = None


def _max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.NEWSLETTER_UNSUBSCRIBE_DAYS)


def unsubscribe_token(*, user_id: int, newsletter_id: int) -> str:
    return signing.dumps([user_id, newsletter_id], salt=_UNSUBSCRIBE)


def unsubscribe_check(token: str, *, newsletter_id: int) -> Checked:
    """The reader the token names, or why it is refused."""
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE, max_age=_max_age())
    except signing.SignatureExpired:
        return Checked(problem="expired")
    except signing.BadSignature:
        return Checked(problem="invalid")
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return Checked(problem="invalid")
    if value[1] != newsletter_id:
        return Checked(problem="other_list")
    return Checked(user_id=value[0])


def unsubscribe_newsletter_id(token: str) -> int | None:
    """The newsletter a valid, unexpired unsubscribe token names, or None."""
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE, max_age=_max_age())
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return None
    return value[1]


def preferences_token(*, user_id: int) -> str:
    return signing.dumps(user_id, salt=_PREFERENCES)


def preferences_check(token: str) -> Checked:
    try:
        value = signing.loads(token, salt=_PREFERENCES, max_age=_max_age())
    except signing.SignatureExpired:
        return Checked(problem="expired")
    except signing.BadSignature:
        return Checked(problem="invalid")
    if type(value) is not int:
        return Checked(problem="invalid")
    return Checked(user_id=value)


@dataclass(frozen=True)
class IssueLink:
    issue_id: int
    user_id: int | None


def issue_token(*, issue_id: int, user_id: int | None = None) -> str:
    """The token in an issue's "view in browser" address (`user_id`: a reader's copy)."""
    return signing.dumps([issue_id, user_id], salt=_ISSUE, compress=False)


def issue_check(token: str) -> IssueLink | None:
    """The issue (and reader) a browser-copy token names, or None if it is not ours."""
    try:
        value = signing.loads(token, salt=_ISSUE)
    except signing.BadSignature:
        return None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and type(value[0]) is int
        and (value[1] is None or type(value[1]) is int)
    ):
        return None
    return IssueLink(issue_id=value[0], user_id=value[1])


# -- account-less subscribers (open newsletters) ------------------------------------------


@dataclass(frozen=True)
class OpenChecked:
    subscriber_id: int | None = None
    requested: int | None = None  # confirmation tokens: the request's timestamp
    problem: Problem | None = None


def _ints(value: object, count: int) -> bool:
    return isinstance(value, list) and len(value) == count and all(type(v) is int for v in value)


def _open_check(
    token: str, *, salt: str, newsletter_id: int, max_age: dt.timedelta, count: int
) -> OpenChecked:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        return OpenChecked(problem="expired")
    except signing.BadSignature:
        return OpenChecked(problem="invalid")
    if not _ints(value, count):
        return OpenChecked(problem="invalid")
    if value[1] != newsletter_id:
        return OpenChecked(problem="other_list")
    return OpenChecked(subscriber_id=value[0], requested=value[2] if count == 3 else None)


def _confirm_max_age() -> dt.timedelta:
    return dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS)


def confirm_token(*, subscriber_id: int, newsletter_id: int, requested: int) -> str:
    """The double opt-in link's token; `requested` is the request's Unix time."""
    return signing.dumps([subscriber_id, newsletter_id, requested], salt=_CONFIRM)


def confirm_check(token: str, *, newsletter_id: int) -> OpenChecked:
    return _open_check(
        token, salt=_CONFIRM, newsletter_id=newsletter_id, max_age=_confirm_max_age(), count=3
    )


def open_unsubscribe_token(*, subscriber_id: int, newsletter_id: int) -> str:
    return signing.dumps([subscriber_id, newsletter_id], salt=_OPEN_UNSUBSCRIBE)


def open_unsubscribe_check(token: str, *, newsletter_id: int) -> OpenChecked:
    return _open_check(
        token, salt=_OPEN_UNSUBSCRIBE, newsletter_id=newsletter_id, max_age=_max_age(), count=2
    )


def open_preferences_token(*, subscriber_id: int, newsletter_id: int) -> str:
    return signing.dumps([subscriber_id, newsletter_id], salt=_OPEN_PREFERENCES)


def open_preferences_check(token: str, *, newsletter_id: int) -> OpenChecked:
    return _open_check(
        token, salt=_OPEN_PREFERENCES, newsletter_id=newsletter_id, max_age=_max_age(), count=2
    )
