"""The sender under a lost lease, a cancel mid-batch and a failing database.

- A worker whose batch was taken over (its lease ran out and another worker claimed it)
  sends nothing more and cannot fail a delivery: the fencing token is checked right
  before each copy goes and in every write of an outcome.
- A cancel that lands mid-batch stops the next copy; a copy already in flight is
  counted sent, not skipped.
- A database error while recording an outcome is logged with its context; the sender
  goes on with the next reader, and the delivery stays pending for a later pass.

Real SMTP (aiosmtpd); the database failure is real too (a trigger that refuses the
write), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from masthead.newsletters import sending
from masthead.newsletters.models import (
    Batch,
    BatchStatus,
    Delivery,
    DeliveryStatus,
    Send,
    SendStatus,
)

from .sending_rig import frozen_send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_connection(settings):
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    settings.NEWSLETTER_BATCH_SIZE = 1000


def expire(claim: sending.Claim) -> None:
    Batch.objects.filter(pk=claim.batch_id).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )


def statuses(send) -> Counter:
    return Counter(Delivery.objects.filter(send=send).values_list("status", flat=True))


def on_building(monkeypatch, nth: int, action) -> None:
    """Run `action` while the `nth` copy (1-based) is being built: after its pre-send
    check, before it goes to the server (a copy in flight)."""
    copy_for = sending.rendering.copy_for
    built = []

    def hooked(*args, **kwargs):
        built.append(kwargs["user_id"])
        if len(built) == nth:
            action()
        return copy_for(*args, **kwargs)

    monkeypatch.setattr(sending.rendering, "copy_for", hooked)


def test_a_worker_whose_lease_was_taken_over_sends_and_marks_nothing(smtp_settings):
    send, readers = frozen_send(3)
    first = sending.batch_claim()
    expire(first)
    second = sending.batch_claim()
    assert second is not None and second.token == first.token + 1

    sending.batch_send(first)

    assert smtp_settings.recorder.messages == []
    assert statuses(send) == Counter({DeliveryStatus.PENDING: 3})
    batch = Batch.objects.get(pk=second.batch_id)
    assert batch.status == BatchStatus.SENDING and batch.claims == second.token

    # Nor can the stale worker fail a copy the new holder is about to send.
    delivery = Delivery.objects.get(send=send, user=readers[0])
    stale = sending.Recipient(delivery.pk, readers[0].pk, readers[0].email, "", 0)
    assert not sending._mark_failed(first, stale, RuntimeError("550"), permanent=True)
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING

    sending.batch_send(second)
    assert Counter(smtp_settings.recorder.recipients()) == Counter({r.email: 1 for r in readers})
    assert statuses(send) == Counter({DeliveryStatus.SENT: 3})


def test_a_lease_that_ran_out_without_a_takeover_still_sends_each_copy_once(smtp_settings):
    # Only a takeover (a new claim number) stops a worker; a busy worker whose lease
    # lapsed unnoticed finishes its batch, and nobody else has it.
    send, readers = frozen_send(2)
    claim = sending.batch_claim()
    expire(claim)

    sending.batch_send(claim)

    assert Counter(smtp_settings.recorder.recipients()) == Counter({r.email: 1 for r in readers})
    assert statuses(send) == Counter({DeliveryStatus.SENT: 2})
    assert sending.batch_claim() is None


def test_a_takeover_mid_batch_stops_the_old_worker_and_nobody_gets_two(smtp_settings, monkeypatch):
    send, readers = frozen_send(4)
    first = sending.batch_claim()
    taken: list[sending.Claim] = []

    def take_over() -> None:
        expire(first)
        taken.append(sending.batch_claim())

    # The second copy is in flight when the other worker takes the batch over.
    on_building(monkeypatch, 2, take_over)
    sending.batch_send(first)
    monkeypatch.undo()

    assert len(smtp_settings.recorder.messages) == 2  # the one in flight went
    # ... and is recorded, so the new holder does not send it again.
    assert statuses(send) == Counter({DeliveryStatus.SENT: 2, DeliveryStatus.PENDING: 2})
    sending.batch_send(taken[0])
    assert Counter(smtp_settings.recorder.recipients()) == Counter({r.email: 1 for r in readers})
    assert Batch.objects.get(pk=first.batch_id).status == BatchStatus.SENT


def test_cancel_mid_batch_counts_the_copy_in_flight_as_sent(smtp_settings, monkeypatch):
    send, readers = frozen_send(4)
    claim = sending.batch_claim()
    on_building(monkeypatch, 2, lambda: sending.send_cancel(send=send))

    sending.batch_send(claim)
    sending.send_work()

    assert smtp_settings.recorder.recipients() == [readers[0].email, readers[1].email]
    assert statuses(send) == Counter({DeliveryStatus.SENT: 2, DeliveryStatus.SKIPPED: 2})
    progress = sending.send_progress(send)
    assert (progress["sent"], progress["skipped"], progress["remaining"]) == (2, 2, 0)
    assert progress["status"] == SendStatus.CANCELLED


# ----------------------------------------------------------------------------------
# A real database failure: a trigger refuses to record one reader's copy as sent.
# ----------------------------------------------------------------------------------


def refuse_marking_sent(user_id: int) -> None:
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION mh_refuse_sent() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.status = 'sent' AND NEW.user_id = {int(user_id)} THEN "
                "RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER mh_refuse_sent BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mh_refuse_sent()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER mh_refuse_sent BEFORE UPDATE ON {table} "
                f"WHEN NEW.status = 'sent' AND NEW.user_id = {int(user_id)} "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )


def allow_marking_sent() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER mh_refuse_sent ON {Delivery._meta.db_table}")
            cursor.execute("DROP FUNCTION mh_refuse_sent()")
        else:
            cursor.execute("DROP TRIGGER mh_refuse_sent")


def test_a_database_error_recording_a_copy_is_logged_and_the_sender_goes_on(
    smtp_settings, caplog, time_machine
):
    time_machine.move_to(timezone.now(), tick=True)
    send, readers = frozen_send(3)
    refuse_marking_sent(readers[1].pk)

    with caplog.at_level(logging.ERROR, logger="masthead.newsletters.sending"):
        sending.send_work()

    # The reader after the failure still got their copy: the sender went on.
    assert smtp_settings.recorder.recipients() == [r.email for r in readers]
    delivery = Delivery.objects.get(send=send, user=readers[1])
    assert delivery.status == DeliveryStatus.PENDING
    assert statuses(send) == Counter({DeliveryStatus.SENT: 2, DeliveryStatus.PENDING: 1})
    (record,) = [r for r in caplog.records if "could not mark sent" in r.getMessage()]
    assert f"delivery {delivery.pk}" in record.getMessage()
    assert f"reader {readers[1].pk}" in record.getMessage()
    assert "injected failure" in caplog.text
    # Claimable again later, not straight away while the database is failing.
    batch = Batch.objects.get(send=send)
    assert batch.status == BatchStatus.PENDING and batch.run_after > timezone.now()
    assert sending.send_work() == 0

    allow_marking_sent()
    time_machine.shift(dt.timedelta(minutes=2))
    assert sending.send_work() == 1

    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT
    assert Send.objects.get(pk=send.pk).status == SendStatus.SENT
    # That one copy went twice (the documented window: accepted, then not recorded),
    # with the same Message-ID both times.
    ids = smtp_settings.recorder.message_ids()
    assert len(ids) == 4 and len(set(ids)) == 3


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_error_in_a_sender_thread_leaves_the_thread_sending(smtp_settings, settings):
    # Several connections: each share runs on its own thread and database session.
    settings.NEWSLETTER_CONNECTIONS = 2
    # The send task waits in the queue (no worker here): this test sends by hand.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send, readers = frozen_send(6)
    refuse_marking_sent(readers[0].pk)  # the first of thread 0's share
    try:
        sending.send_work()
    finally:
        allow_marking_sent()

    assert Counter(smtp_settings.recorder.recipients()) == Counter({r.email: 1 for r in readers})
    assert statuses(send) == Counter({DeliveryStatus.SENT: 5, DeliveryStatus.PENDING: 1})
    assert Delivery.objects.get(send=send, user=readers[0]).status == DeliveryStatus.PENDING
