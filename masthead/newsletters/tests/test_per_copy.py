"""The sender's two per-copy statements mean what the ORM queries they replace meant.

For every state a delivery, its batch and its send can be in, `claim_row` reads what
the ORM reads, and `record_sent` changes exactly the rows, and in the same way, as the
ORM update the sender used before (kept here as the reference).
"""

from __future__ import annotations

import itertools

import pytest
from django.db.models import F, Q
from django.utils import timezone

from masthead.newsletters import per_copy, sending
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

# Every status, and the two errors that matter to `record_sent` for a skipped copy.
DELIVERY_STATES = [(status, "") for status in DeliveryStatus.values] + [
    (DeliveryStatus.SKIPPED, sending.CANCELLED),
    (DeliveryStatus.SKIPPED, "no longer subscribed"),
]


def _reference_claim_row(delivery_id: int):
    return (
        Delivery.objects.filter(pk=delivery_id)
        .values_list("status", "batch__claims", "batch__status", "send__status")
        .first()
    )


def _reference_record_sent(delivery_id: int) -> int:
    return (
        Delivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING)
            | Q(status=DeliveryStatus.SKIPPED, error=sending.CANCELLED)
        )
        .update(
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            error="",
        )
    )


def test_the_claim_row_reads_what_the_orm_reads_in_every_state():
    send, _ = frozen_send(len(DELIVERY_STATES))
    deliveries = list(Delivery.objects.filter(send=send).order_by("pk"))
    for (status, error), delivery in zip(DELIVERY_STATES, deliveries, strict=True):
        Delivery.objects.filter(pk=delivery.pk).update(status=status, error=error)
    for batch_status, send_status, claims in itertools.product(
        BatchStatus.values, SendStatus.values, (0, 3)
    ):
        Batch.objects.filter(send=send).update(status=batch_status, claims=claims)
        Send.objects.filter(pk=send.pk).update(status=send_status)
        for delivery in deliveries:
            row = per_copy.claim_row(delivery.pk)
            assert row == _reference_claim_row(delivery.pk)
            assert row[1:] == (claims, batch_status, send_status)
    assert per_copy.claim_row(max(d.pk for d in deliveries) + 1000) is None


def test_recording_a_copy_sent_changes_what_the_orm_update_changed_in_every_state():
    send, _ = frozen_send(2 * len(DELIVERY_STATES))
    deliveries = list(Delivery.objects.filter(send=send).order_by("pk"))
    pairs = list(zip(deliveries[0::2], deliveries[1::2], strict=True))
    for (status, error), (ours, reference) in zip(DELIVERY_STATES, pairs, strict=True):
        Delivery.objects.filter(pk__in=[ours.pk, reference.pk]).update(
            status=status, error=error, attempts=2
        )

        changed = per_copy.record_sent(ours.pk, skipped_by=sending.CANCELLED)

        assert changed == _reference_record_sent(reference.pk), (status, error)
        after = Delivery.objects.in_bulk([ours.pk, reference.pk])
        mine, theirs = after[ours.pk], after[reference.pk]
        assert (mine.status, mine.attempts, mine.error) == (
            theirs.status,
            theirs.attempts,
            theirs.error,
        )
        assert (mine.sent_at is None) == (theirs.sent_at is None)
        if changed:
            assert (mine.status, mine.attempts, mine.error) == (DeliveryStatus.SENT, 3, "")
            assert abs(mine.sent_at - theirs.sent_at).total_seconds() < 5
    assert {status for status, _ in DELIVERY_STATES} == set(DeliveryStatus.values)


def test_a_copy_already_sent_is_not_recorded_twice():
    send, _ = frozen_send(1)
    delivery = Delivery.objects.get(send=send)
    assert per_copy.record_sent(delivery.pk, skipped_by=sending.CANCELLED) == 1
    first = Delivery.objects.get(pk=delivery.pk)
    assert per_copy.record_sent(delivery.pk, skipped_by=sending.CANCELLED) == 0
    again = Delivery.objects.get(pk=delivery.pk)
    assert (again.attempts, again.sent_at) == (first.attempts, first.sent_at) == (1, first.sent_at)
