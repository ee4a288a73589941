"""The two statements the sender runs for every copy, written once as plain SQL.

A send of 100,000 copies runs each of them 100,000 times. Built through the ORM, each
call compiled its query again: in a profile of a 5,000-copy send, building these two
queries took about 40% of the sender's CPU, more than the SMTP conversation. Here each
is one parameterised statement, formatted once per process and database vendor with
the models' table names; their column names are written out.

They mean what the ORM queries they replace meant (`tests/test_per_copy.py` runs both
side by side in every state, so a renamed column fails a test, not a send):
- `claim_row`: the delivery's status with its batch's claim number and status and its
  send's status (the pre-send check), or None when the delivery is gone.
- `record_sent`: pending, or skipped by a cancel while in flight, becomes sent, with
  one more attempt and no error; the number of rows changed (0 or 1).

They go through Django's cursor, so query logging, execute wrappers (the query-count
tests, the failure triggers) and transactions behave as for any other query.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.utils import timezone

from .models import Batch, Delivery, DeliveryStatus, Send


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "delivery": quote(Delivery._meta.db_table),
        "batch": quote(Batch._meta.db_table),
        "send": quote(Send._meta.db_table),
    }


@functools.cache
def _claim_row_sql(vendor: str) -> str:
    # Only table names from model metadata are interpolated; values are parameters.
    t = _tables()
    return (
        f"SELECT d.status, b.claims, b.status, s.status FROM {t['delivery']} d"  # noqa: S608
        f" INNER JOIN {t['batch']} b ON b.id = d.batch_id"
        f" INNER JOIN {t['send']} s ON s.id = d.send_id"
        " WHERE d.id = %s"
    )


@functools.cache
def _record_sent_sql(vendor: str) -> str:
    t = _tables()
    return (
        f"UPDATE {t['delivery']} SET status = %s, sent_at = %s,"  # noqa: S608
        " attempts = attempts + 1, error = ''"
        " WHERE id = %s AND (status = %s OR (status = %s AND error = %s))"
    )


def claim_row(delivery_id: int) -> tuple[str, int, str, str] | None:
    """(delivery status, batch claims, batch status, send status), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_claim_row_sql(connection.vendor), [delivery_id])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None  # type: ignore[return-value]


def record_sent(delivery_id: int, *, skipped_by: str) -> int:
    """Mark one delivery sent if pending, or skipped with error `skipped_by` (a cancel
    that landed while the copy was in flight); the number of rows changed."""
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _record_sent_sql(connection.vendor),
            [
                DeliveryStatus.SENT.value,
                sent_at,
                delivery_id,
                DeliveryStatus.PENDING.value,
                DeliveryStatus.SKIPPED.value,
                skipped_by,
            ],
        )
        return cursor.rowcount
