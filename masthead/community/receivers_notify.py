"""Notifications listen to the community's events (signals.py) and enqueue the fan-out.

Invariants: a receiver only enqueues a task with ids (the signals are sent after the
event committed, so the task sees its rows); it never raises (a failure to enqueue is
logged and must not undo or break what the reader did); `dispatch_uid` keeps one
connection however often this module is imported. CommunityConfig.ready() imports it.
"""

from __future__ import annotations

import logging
from typing import Any

from . import signals, tasks_notify

logger = logging.getLogger("masthead.community.notifications")


def _enqueue(task: Any, *args: Any) -> None:
    try:
        task.enqueue(*args)
    except Exception:
        logger.exception("could not enqueue %s%r", getattr(task, "name", task), args)


def on_comment_published(sender: Any, comment: Any, **kwargs: Any) -> None:
    _enqueue(tasks_notify.notify_comment_published, comment.pk)


def on_comment_featured(sender: Any, comment: Any, actor: Any = None, **kwargs: Any) -> None:
    _enqueue(tasks_notify.notify_comment_featured, comment.pk, getattr(actor, "pk", None))


def on_decision(sender: Any, decision: Any, **kwargs: Any) -> None:
    _enqueue(tasks_notify.notify_decision, decision.pk)


signals.comment_published.connect(on_comment_published, dispatch_uid="community.notify.published")
signals.comment_featured.connect(on_comment_featured, dispatch_uid="community.notify.featured")
signals.comment_decided.connect(on_decision, dispatch_uid="community.notify.comment_decided")
signals.reader_decided.connect(on_decision, dispatch_uid="community.notify.reader_decided")
