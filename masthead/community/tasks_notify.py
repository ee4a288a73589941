"""The notification fan-out and the daily digest as django-tasks tasks.

Invariant: tasks carry ids only and call one service; each is idempotent (the services
insert under a unique constraint and queue email under an outbox key), so a retried or
reclaimed task notifies and emails no one twice.
"""

from __future__ import annotations

from django_tasks import task

from .services import notifications


@task()
def notify_comment_published(comment_id: int) -> int:
    return notifications.notify_comment_published(comment_id=comment_id)


@task()
def notify_comment_featured(comment_id: int, actor_id: int | None) -> int:
    return notifications.notify_comment_featured(comment_id=comment_id, actor_id=actor_id)


@task()
def notify_decision(decision_id: int) -> int:
    return notifications.notify_decision(decision_id=decision_id)


@task()
def digests_send() -> int:
    return notifications.digests_send()
