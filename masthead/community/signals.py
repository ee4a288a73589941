"""The community's events, for receivers elsewhere in the app (notifications, cache purges).

Contract: the services send these inside `transaction.on_commit`, so receivers see the
committed rows; a receiver must not raise (send_robust is used), and should enqueue a
task for anything slow.

- comment_published(sender=Comment, comment): a comment became visible (published at
  once, or approved from pending/hidden).
- comment_featured(sender=Comment, comment, actor): staff featured a comment.
- comment_decided(sender=Comment, comment, decision): a moderation decision about a
  comment (approve, or reject with its reason); `decision` is a ModerationDecision.
- reader_decided(sender=User model, user, decision): a decision about a reader (warn,
  suspend, ban, unban, premoderate).
- comment_changed(sender=Comment, comment): a visible comment changed in place (edited,
  deleted to a tombstone, hidden by reports, liked counts excluded); for cache purges.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

comment_published = Signal()
comment_featured = Signal()
comment_decided = Signal()
reader_decided = Signal()
comment_changed = Signal()


def send_on_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send `signal` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: signal.send_robust(sender=sender, **kwargs))
