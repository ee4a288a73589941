"""Batch claims under real row locks (PostgreSQL): a locked batch is skipped, not waited for."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from masthead.newsletters import sending
from masthead.newsletters.models import Batch

from .sending_rig import make_issue, subscribers

# Serialized rollback, as every transactional test (see core/tests/databases.py): a bare
# flush afterwards would take the rows migrations made with it.
pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_batch_another_worker_holds_is_skipped(settings):
    # The send task waits in the queue (no worker runs here): this test claims by hand.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.NEWSLETTER_BATCH_SIZE = 2
    issue = make_issue()
    subscribers(issue.newsletter, 4)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                Batch.objects.select_for_update().get(send=send, number=0)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    try:
        assert locked.wait(10)
        claim = sending.batch_claim()
        assert claim is not None
        assert Batch.objects.get(pk=claim.batch_id).number == 1
        assert sending.batch_claim() is None  # batch 1 is now leased, batch 0 locked
    finally:
        release.set()
        holder.join()
    claim = sending.batch_claim()
    assert claim is not None and Batch.objects.get(pk=claim.batch_id).number == 0
