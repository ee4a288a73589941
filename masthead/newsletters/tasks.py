"""The newsletters app's background task: work on one send.

Invariant: the task carries only the send's id; running it twice, late, or beside
`manage.py send_newsletters --loop` is harmless, because every batch is claimed first.
"""

from __future__ import annotations

from django_tasks import task

from . import sending


@task()
def send_newsletter(send_id: int) -> int:
    return sending.send_work(send_id=send_id)
