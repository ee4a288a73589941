"""No email lost and none sent twice, with real worker processes and a real SMTP server.

The workers are `manage.py db_worker` (django-tasks-db, running the delivery tasks) and
`manage.py deliver_outbox --loop` (the sweeper), started as subprocesses against this
test's database; they are killed with SIGKILL, and the SMTP server is stopped, while
there is work in flight. Leases, backoff and the stale-task timeout are short here
(environment variables), so each test takes seconds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from masthead.core import outbox
from masthead.core.models import OutboxEmail, OutboxStatus

from .processes import processes, wait_for, worker_env
from .renderers import note
from .smtp import SMTPServer, free_port

EMAILS = 6


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    # Delivery tasks go into the database for the worker processes, as in production.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def fast_env(database: dict[str, str], port: int) -> dict[str, str]:
    return worker_env(
        database,
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        MASTHEAD_EMAIL_TIMEOUT="5",
        MASTHEAD_OUTBOX_LEASE_SECONDS="2",
        MASTHEAD_TASK_STALE_SECONDS="3",
        MASTHEAD_OUTBOX_RETRY_BASE_SECONDS="0.2",
        MASTHEAD_OUTBOX_RETRY_MAX_SECONDS="1",
        MASTHEAD_OUTBOX_MAX_ATTEMPTS="100",
    )


def enqueue_emails(count: int) -> list[OutboxEmail]:
    with transaction.atomic():
        rows = [
            outbox.email_enqueue(renderer=note, params={"to": f"reader{n}@example.com", "n": n})
            for n in range(count)
        ]
    return rows


def statuses() -> Counter[str]:
    return Counter(OutboxEmail.objects.values_list("status", flat=True))


def assert_each_arrived_once(server: SMTPServer, rows: list[OutboxEmail]) -> None:
    arrived = Counter(server.recorder.message_ids())
    assert arrived == Counter({row.message_id: 1 for row in rows})
    assert sorted(server.recorder.recipients()) == sorted(
        f"reader{n}@example.com" for n in range(len(rows))
    )


def test_a_worker_killed_mid_send_loses_no_email_and_sends_none_twice(
    shared_database: dict[str, str], tmp_path: Path
):
    server = SMTPServer()
    server.start()
    server.recorder.flowing.clear()  # a slow server: every DATA waits
    try:
        with processes(fast_env(shared_database, server.port), tmp_path) as running:
            worker = running.db_worker()
            rows = enqueue_emails(EMAILS)
            wait_for(
                server.recorder.in_data.is_set,
                seconds=30,
                what="the worker to start sending",
                log=running.output,
            )
            running.kill(worker)  # SIGKILL in the middle of an SMTP conversation
            assert statuses()[OutboxStatus.SENDING] == 1  # the email it was holding
            wait_for(
                server.recorder.abandoned.is_set,
                seconds=10,
                what="the server to see the worker's connection drop",
            )
            server.recorder.flowing.set()
            assert server.recorder.messages == []  # the server never accepted it

            running.db_worker()
            running.sweeper()
            # The task the killed worker was running is taken back, not left RUNNING.
            wait_for(
                lambda: (
                    statuses() == Counter({OutboxStatus.SENT: EMAILS})
                    and not DBTaskResult.objects.running().exists()
                ),
                seconds=40,
                what="every email sent and no task left running",
                log=running.output,
            )
        assert_each_arrived_once(server, rows)
    finally:
        server.stop()


def test_emails_queued_while_the_mail_server_is_down_are_retried_until_it_is_back(
    shared_database: dict[str, str], tmp_path: Path
):
    port = free_port()  # nothing listens here yet: connections are refused
    server = SMTPServer(port)
    try:
        with processes(fast_env(shared_database, port), tmp_path) as running:
            running.db_worker()
            running.sweeper()
            rows = enqueue_emails(3)
            wait_for(
                lambda: all(
                    e.attempts >= 3 and e.status == OutboxStatus.QUEUED
                    for e in OutboxEmail.objects.all()
                ),
                seconds=40,
                what="each email to be retried while the server is down",
                log=running.output,
            )
            assert all("Connection refused" in e.last_error for e in OutboxEmail.objects.all())
            assert not statuses()[OutboxStatus.FAILED]

            server.start()
            wait_for(
                lambda: statuses() == Counter({OutboxStatus.SENT: 3}),
                seconds=40,
                what="every email to be sent once the server is back",
                log=running.output,
            )
        assert_each_arrived_once(server, rows)
    finally:
        server.stop()


def test_a_permanent_refusal_is_marked_failed_by_the_worker_and_the_rest_go_out(
    shared_database: dict[str, str], tmp_path: Path
):
    server = SMTPServer()
    server.start()
    try:
        with processes(fast_env(shared_database, server.port), tmp_path) as running:
            running.db_worker()
            with transaction.atomic():
                refused = outbox.email_enqueue(renderer=note, params={"to": "refused@example.com"})
                rows = enqueue_emails(2)
            wait_for(
                lambda: statuses() == Counter({OutboxStatus.SENT: 2, OutboxStatus.FAILED: 1}),
                seconds=30,
                what="two emails sent and one failed",
                log=running.output,
            )
        refused.refresh_from_db()
        assert refused.attempts == 1
        assert "550" in refused.last_error
        assert_each_arrived_once(server, rows)
    finally:
        server.stop()
