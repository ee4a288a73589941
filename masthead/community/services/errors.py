"""The domain errors every community service raises.

Contract: a service either returns its result or raises a `CommunityError` (or a
subclass) whose `message` is a translated, reader-facing sentence and whose `code`
names the case for views and tests. Views show `message` as is; they never build
their own wording for these cases.
"""

from __future__ import annotations

from datetime import datetime


class CommunityError(Exception):
    """A reader-facing refusal: `message` is translated, `code` is stable."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotAllowed(CommunityError):
    """The reader may not do this (not theirs, not verified, not staff, ...)."""


class InvalidInput(CommunityError):
    """What the reader typed breaks a rule (too long, empty, banned word, bad name)."""


class Closed(CommunityError):
    """The conversation does not take comments (closed, or the reader is suspended)."""


class RateLimited(CommunityError):
    """Too many actions too fast; `retry_at` says when the reader may try again."""

    def __init__(self, message: str, *, code: str, retry_at: datetime) -> None:
        super().__init__(message, code=code)
        self.retry_at = retry_at
