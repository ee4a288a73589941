"""The outbox's rules, against a real SMTP server, with this process as the worker."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from masthead.core import outbox
from masthead.core.models import OutboxEmail, OutboxStatus
from masthead.core.taskqueue import tasks_reclaim_stale
from masthead.readers.tests.factories import ReaderFactory

from .renderers import note

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_backoff(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.OUTBOX_LEASE_SECONDS = 30


def queued(to: str, n: int = 0, **kwargs) -> OutboxEmail:
    """Queue an email and commit: the delivery task runs at once (tasks are immediate)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        row = outbox.email_enqueue(renderer=note, params={"to": to, "n": n}, **kwargs)
    row.refresh_from_db()
    return row


def test_an_email_exists_only_if_the_transaction_that_caused_it_commits():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.email_enqueue(renderer=note, params={"to": "ada@example.com"})
        raise RuntimeError("the business change failed")
    assert not OutboxEmail.objects.exists()


def test_the_same_key_queues_one_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = outbox.email_enqueue(renderer=note, params={"to": "a@example.com"}, key="k1")
        again = outbox.email_enqueue(renderer=note, params={"to": "a@example.com"}, key="k1")
    assert first.pk == again.pk
    assert OutboxEmail.objects.count() == 1


def test_only_registered_renderers_can_be_queued():
    def plain(**params):
        return None

    with pytest.raises(TypeError):
        outbox.email_enqueue(renderer=plain, params={})


def test_the_queue_delivers_on_commit_with_the_rows_message_id(smtp_settings):
    row = queued("ada@example.com", 1)
    assert row.status == OutboxStatus.SENT
    assert row.recipient == "ada@example.com"
    assert row.subject == "Note 1"
    assert smtp_settings.recorder.message_ids() == [row.message_id]


def test_an_email_is_sent_once_however_often_delivery_is_asked_for(smtp_settings):
    row = queued("ada@example.com")
    assert outbox.deliver(row.pk) is None
    assert outbox.deliver_due() == 0
    assert len(smtp_settings.recorder.messages) == 1


def test_a_server_that_is_down_means_a_retry_later_not_a_loss(settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    with caplog.at_level(logging.WARNING, logger="masthead.core.outbox"):
        row = queued("ada@example.com")
    assert row.status == OutboxStatus.QUEUED
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert "retrying" in caplog.text


def test_a_temporary_refusal_is_retried_with_growing_delays(smtp_settings):
    row = queued("busy@example.com")
    waits = []
    for _ in range(2):
        assert row.status == OutboxStatus.QUEUED
        assert "451" in row.last_error
        waits.append(row.next_attempt_at)
        with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1)):
            assert outbox.deliver_due() == 1
        row.refresh_from_db()
    assert row.attempts == 3
    assert smtp_settings.recorder.messages == []


def test_retry_delays_double_up_to_the_cap_with_jitter(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = {outbox.retry_delay(attempt) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jittered, so a burst does not retry in step


def test_after_the_last_attempt_a_temporary_failure_becomes_a_failure(smtp_settings, caplog):
    row = queued("busy@example.com")
    with caplog.at_level(logging.ERROR, logger="masthead.core.outbox"):
        while row.status == OutboxStatus.QUEUED:
            with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1)):
                outbox.deliver(row.pk)
            row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 4
    assert "busy@example.com" in caplog.text


def test_a_permanent_refusal_fails_at_once_and_is_logged_as_an_error(smtp_settings, caplog):
    with caplog.at_level(logging.ERROR, logger="masthead.core.outbox"):
        row = queued("refused@example.com")
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 1
    assert "550" in row.last_error
    assert row.recipient == "refused@example.com"
    assert [r.levelname for r in caplog.records] == ["ERROR"]


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"later")}), False),
        (smtplib.SMTPDataError(554, b"rejected as spam"), True),
        (smtplib.SMTPDataError(452, b"out of space"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPSenderRefused(553, b"not our sender", "n@x"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
    ],
)
def test_which_errors_are_permanent(error, permanent):
    assert outbox.is_permanent(error) is permanent


def test_an_email_nobody_needs_any_more_is_cancelled_not_sent(smtp_settings):
    row = queued("")
    assert row.status == OutboxStatus.CANCELLED
    assert smtp_settings.recorder.messages == []


def test_an_email_held_by_a_dead_worker_is_taken_back_after_its_lease(smtp_settings):
    row = queued("ada@example.com", key="held")
    # What a worker killed mid-send leaves behind: claimed, never finished.
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENDING,
        sent_at=None,
        lease_until=timezone.now() + dt.timedelta(seconds=30),
    )
    smtp_settings.recorder.messages.clear()
    assert outbox.deliver_due() == 0  # still leased: the worker may be alive
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31)):
        assert outbox.deliver_due() == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert smtp_settings.recorder.message_ids() == [row.message_id]


def test_a_worker_whose_lease_was_taken_over_cannot_mark_the_email(smtp_settings):
    row = queued("busy@example.com")
    with time_machine.travel(row.next_attempt_at + dt.timedelta(seconds=1)):
        first = outbox._claim(row.pk)
    with time_machine.travel(first.lease_until + dt.timedelta(seconds=1)):
        second = outbox._claim(row.pk)
    assert not outbox._finish(first, status=OutboxStatus.SENT)
    assert outbox._finish(second, status=OutboxStatus.SENT)


def _task_row(started_minutes_ago: int, claims: int) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="masthead.core.tasks.outbox_deliver",
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - dt.timedelta(minutes=started_minutes_ago),
        worker_ids=[f"w{i}" for i in range(claims)],
    )


def test_tasks_running_longer_than_the_timeout_are_queued_again(settings):
    settings.TASKS_STALE_SECONDS = 600
    stale = _task_row(started_minutes_ago=11, claims=1)
    live = _task_row(started_minutes_ago=9, claims=1)
    assert tasks_reclaim_stale() == 1
    stale.refresh_from_db()
    live.refresh_from_db()
    assert stale.status == TaskResultStatus.READY
    assert live.status == TaskResultStatus.RUNNING


def test_a_task_that_kills_its_worker_every_time_is_given_up(settings, caplog):
    settings.TASKS_STALE_SECONDS = 600
    poison = _task_row(started_minutes_ago=11, claims=5)
    with caplog.at_level(logging.ERROR, logger="masthead.core.taskqueue"):
        assert tasks_reclaim_stale() == 0
    poison.refresh_from_db()
    assert poison.status == TaskResultStatus.FAILED
    assert "5 times" in caplog.text


@pytest.fixture
def editor():
    return ReaderFactory(editor=True)


def test_staff_see_failed_emails_and_can_send_one_again(
    client, smtp_settings, editor, django_capture_on_commit_callbacks
):
    failed = queued("refused@example.com")
    queued("ada@example.com")
    client.force_login(editor)
    page = client.get(reverse("core_outbox_report"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "refused@example.com" in html
    assert "550" in html
    assert "ada@example.com" not in html  # sent: nothing for staff to do
    smtp_settings.recorder.refusing = False  # staff fixed the cause
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core_outbox_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.SENT
    assert smtp_settings.recorder.message_ids()[-1] == failed.message_id


def test_the_retry_only_requeues_failed_emails(client, editor, smtp_settings):
    sent = queued("ada@example.com")
    client.force_login(editor)
    client.post(reverse("core_outbox_retry", args=[sent.pk]))
    sent.refresh_from_db()
    assert sent.status == OutboxStatus.SENT
    assert len(smtp_settings.recorder.messages) == 1


def test_readers_and_editors_without_the_permission_see_no_email_list(client):
    client.force_login(ReaderFactory(staff=True))
    assert client.get(reverse("core_outbox_report")).status_code in (302, 403)
    failed = OutboxEmail.objects.create(
        key="f", renderer="x", message_id="<f@x>", status=OutboxStatus.FAILED
    )
    client.post(reverse("core_outbox_retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status == OutboxStatus.FAILED


def _closed_port() -> int:
    from .smtp import free_port

    return free_port()


def test_a_row_naming_an_unregistered_renderer_is_retried_not_run(smtp_settings):
    row = OutboxEmail.objects.create(key="x", renderer="os.system", message_id="<x@x>")
    assert outbox.deliver(row.pk) == OutboxStatus.QUEUED
    row.refresh_from_db()
    assert "UnknownRenderer" in row.last_error
    assert smtp_settings.recorder.messages == []
