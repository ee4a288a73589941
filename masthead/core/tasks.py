"""Core's background task: deliver one outbox email.

Invariant: the task only carries the outbox row's id; running it twice, late, or after
the sweeper has sent the email is harmless, because delivery claims the row first.
"""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task()
def outbox_deliver(email_id: int) -> str | None:
    return outbox.deliver(email_id)
