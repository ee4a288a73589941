"""Taking back work from task workers that died: django-tasks-db has no such thing.

A worker killed with SIGKILL (out of memory, a host restart, `kill -9`) leaves its task
RUNNING for ever, and no other worker will touch it. `tasks_reclaim_stale` puts such
tasks back to READY once they have been RUNNING longer than TASKS_STALE_SECONDS.

Invariants:
- Only tasks started before the cut-off are touched, in one UPDATE per outcome, so a
  task a live worker finished meanwhile is never reset.
- A task is taken back at most TASKS_MAX_CLAIMS - 1 times: a task that kills its
  worker every time (a poison task) is marked FAILED instead of looping for ever.
- Tasks may therefore run more than once, so every task must be idempotent (ours are:
  they load rows by id and claim before acting) and should finish well within the
  timeout; the timeout must exceed the longest legitimate task.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Func, IntegerField
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("masthead.core.taskqueue")


class _JsonLength(Func):
    """Number of items in a JSON array column (worker_ids: one per claim)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        if connection.vendor == "postgresql":
            return super().as_sql(compiler, connection, function="jsonb_array_length", **extra)
        return super().as_sql(compiler, connection, function="json_array_length", **extra)


def tasks_reclaim_stale(*, older_than: dt.timedelta | None = None) -> int:
    """Put RUNNING tasks older than the timeout back to READY; return how many."""
    if older_than is None:
        older_than = dt.timedelta(seconds=getattr(settings, "TASKS_STALE_SECONDS", 900))
    now = timezone.now()
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - older_than
    ).annotate(claims=_JsonLength("worker_ids"))
    max_claims = getattr(settings, "TASKS_MAX_CLAIMS", 5)
    given_up = stale.filter(claims__gte=max_claims).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="masthead.core.taskqueue.WorkerLost",
        traceback=f"The worker stopped while running this task {max_claims} times.",
    )
    if given_up:
        logger.error("%s task(s) killed their worker %s times; marked failed", given_up, max_claims)
    reclaimed = stale.filter(claims__lt=max_claims).update(
        status=TaskResultStatus.READY, started_at=None
    )
    if reclaimed:
        logger.warning(
            "%s task(s) were running for more than %s; their worker is presumed dead, "
            "so they are queued again",
            reclaimed,
            older_than,
        )
    return reclaimed
