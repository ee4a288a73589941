"""Durable email delivery: an outbox table, a claim with a lease, retries with backoff.

The public surface is small: `renderer` (a decorator for the function that builds an
email from JSON parameters), `email_enqueue` (call it inside the transaction that
causes the email), `deliver` / `deliver_due` (what the workers run) and `email_retry`
(staff sending a failed email again). Apps do not build or queue email here directly:
they use `masthead.core.email` (its `renderer` and `send` are this module's, and its
`message` builds what a renderer returns), which this module delivers.

Invariants:
- No email is lost. The outbox row commits with its cause, and from then on it is only
  ever `queued`, `sending` (claimed, with a lease), or finished (`sent`, `failed`,
  `cancelled`). A worker killed at any point leaves the row queued or sending; a
  sending row whose lease has run out is claimable again, by the task queue or by the
  sweeper (`manage.py deliver_outbox --loop`). A delivery task that was never enqueued
  (a crash between commit and enqueue) is covered by the sweeper too.
- None is sent twice, except in one window we cannot close: after the SMTP server has
  said 250 and before the row is marked sent (one UPDATE). A crash exactly there makes
  the email go out again when the lease expires; it carries the same Message-ID (set
  on the row when it is written), so mail systems and readers can tell it is the same
  message. That is at-least-once delivery with an idempotency key, the best SMTP
  allows (it has no two-phase commit). Claims are a compare-and-set UPDATE, so two
  workers never hold the same row; the attempt number is the fencing token, so a
  worker whose lease was taken over cannot mark the row.
- Temporary failures (connection refused, timeouts, 4xx replies, anything unexpected)
  are retried with exponential backoff and jitter, up to OUTBOX_MAX_ATTEMPTS; a
  permanent refusal (5xx for the recipient or the message) marks the row failed at
  once. Failed rows are logged at ERROR and listed for staff in the Wagtail admin.
- No secret is stored: the row holds ids and plain strings; the renderer derives links
  and keys when the email is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import newsroom
from .models import OutboxEmail, OutboxStatus

logger = logging.getLogger("masthead.core.outbox")

Renderer = Callable[..., EmailMessage | None]
R = TypeVar("R", bound=Renderer)

_RENDERERS: dict[str, Renderer] = {}
_ERROR_CHARS = 2000


class UnknownRenderer(LookupError):
    """The row names a renderer that is not registered (renamed or removed code)."""


def renderer(func: R) -> R:
    """Register `func(**params) -> EmailMessage | None` as an outbox renderer.

    Returning None means the email is no longer wanted (its subject has gone).
    """
    path = f"{func.__module__}.{func.__qualname__}"
    _RENDERERS[path] = func
    func.outbox_path = path  # type: ignore[attr-defined]
    return func


def _renderer_for(path: str) -> Renderer:
    if path not in _RENDERERS and path.startswith("masthead."):
        # The module may simply not be imported yet in this process (only our own
        # modules are imported on a row's say-so).
        module = path.rsplit(".", 1)[0]
        try:
            __import__(module)
        except ImportError as error:
            raise UnknownRenderer(path) from error
    try:
        return _RENDERERS[path]
    except KeyError:
        raise UnknownRenderer(path) from None


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def email_enqueue(
    *, renderer: Renderer, params: dict[str, Any], key: str | None = None
) -> OutboxEmail:
    """Queue an email in the current transaction; delivery is enqueued on commit.

    `key` makes the email idempotent: a second call with the same key returns the row
    the first one wrote (so a retried request cannot email twice). Without a key each
    call is a new email.
    """
    path = getattr(renderer, "outbox_path", None)
    if path is None:
        raise TypeError(f"{renderer!r} is not an outbox renderer (use @outbox.renderer)")
    fields = {"renderer": path, "params": params, "message_id": newsroom.new_message_id()}
    if key is None:
        row = OutboxEmail.objects.create(key=f"{path}:{uuid.uuid4().hex}", **fields)
    else:
        try:
            with transaction.atomic():
                row = OutboxEmail.objects.create(key=key, **fields)
        except IntegrityError:
            return OutboxEmail.objects.get(key=key)
    email_id = row.pk
    transaction.on_commit(lambda: _schedule(email_id))
    return row


def _schedule(email_id: int, run_after: dt.datetime | None = None) -> None:
    """Ask the task queue to deliver now (or at `run_after`); the sweeper is the net."""
    # Local: masthead.core.tasks imports this module at its top (the task calls deliver),
    # so a top-level import here would be circular.
    from .tasks import outbox_deliver

    try:
        task = outbox_deliver
        if run_after is not None:
            if not task.get_backend().supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue(email_id)
    except Exception:
        logger.warning(
            "could not enqueue delivery of email %s; the sweeper will send it",
            email_id,
            exc_info=True,
        )


def _claimable(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )


def _claim(email_id: int) -> OutboxEmail | None:
    now = timezone.now()
    lease = now + dt.timedelta(seconds=_setting("OUTBOX_LEASE_SECONDS", 300))
    claimed = (
        OutboxEmail.objects.filter(_claimable(now), pk=email_id).update(
            status=OutboxStatus.SENDING, lease_until=lease, attempts=F("attempts") + 1
        )
        == 1
    )
    return OutboxEmail.objects.get(pk=email_id) if claimed else None


def _finish(row: OutboxEmail, **changes: Any) -> bool:
    """Write the outcome, only if this worker still holds the row (fencing on attempts)."""
    changes.setdefault("lease_until", None)
    return bool(
        OutboxEmail.objects.filter(
            pk=row.pk, status=OutboxStatus.SENDING, attempts=row.attempts
        ).update(**changes)
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_ERROR_CHARS]


def retry_delay(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: doubling from the base, capped, jittered.

    The jitter ("equal jitter": between half and all of the delay) spreads a burst of
    emails that failed together, so they do not all hit the server again at once.
    """
    base = _setting("OUTBOX_RETRY_BASE_SECONDS", 30)
    cap = _setting("OUTBOX_RETRY_MAX_SECONDS", 3600)
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(delay / 2, delay)  # noqa: S311 (not cryptographic)


def is_permanent(error: BaseException) -> bool:
    """True when sending again cannot help: the server refused the recipient or message.

    Refusals of our own sender or credentials are configuration problems: they are
    retried (and logged at ERROR), so the queue drains once the configuration is fixed.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(
        error,
        smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused | smtplib.SMTPConnectError,
    ):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def _fail(row: OutboxEmail, error: str, **changes: Any) -> str:
    if _finish(row, status=OutboxStatus.FAILED, last_error=error, **changes):
        logger.error(
            "email %s (%s) to %s failed after %s attempt(s): %s",
            row.pk,
            row.renderer,
            changes.get("recipient") or row.recipient or "?",
            row.attempts,
            error,
        )
    return OutboxStatus.FAILED


def _retry_later(row: OutboxEmail, error: BaseException, **changes: Any) -> str:
    description = _describe(error)
    if row.attempts >= _setting("OUTBOX_MAX_ATTEMPTS", 16):
        return _fail(row, description, **changes)
    when = timezone.now() + dt.timedelta(seconds=retry_delay(row.attempts))
    if _finish(
        row,
        status=OutboxStatus.QUEUED,
        next_attempt_at=when,
        last_error=description,
        **changes,
    ):
        level = (
            logging.ERROR
            if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused)
            else logging.WARNING
        )
        logger.log(
            level,
            "email %s not sent (attempt %s), retrying at %s: %s",
            row.pk,
            row.attempts,
            when.isoformat(),
            description,
        )
        row_id = row.pk
        transaction.on_commit(lambda: _schedule(row_id, run_after=when))
    return OutboxStatus.QUEUED


def deliver(email_id: int) -> str | None:
    """Try to send one email; return its new status, or None if it was not claimable."""
    row = _claim(email_id)
    if row is None:
        return None
    if row.attempts > _setting("OUTBOX_MAX_ATTEMPTS", 16):
        # Only reachable through expired leases: a worker died mid-send every time.
        return _fail(row, row.last_error or "gave up: the worker stopped during every attempt")
    try:
        message = _renderer_for(row.renderer)(**row.params)
    except Exception as error:
        logger.exception("email %s could not be rendered", row.pk)
        return _retry_later(row, error)
    if message is None:
        _finish(row, status=OutboxStatus.CANCELLED)
        return OutboxStatus.CANCELLED
    message.extra_headers["Message-ID"] = row.message_id
    shown = {
        "recipient": ", ".join(message.to)[:320],
        "subject": str(message.subject)[:300],
    }
    try:
        message.send(fail_silently=False)
    except Exception as error:
        if is_permanent(error):
            return _fail(row, _describe(error), **shown)
        return _retry_later(row, error, **shown)
    # The window: the server has the message; until this UPDATE commits, a crash
    # means the email is sent again (with the same Message-ID) after the lease.
    if not _finish(row, status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="", **shown):
        logger.warning("email %s was taken over while it was being sent", row.pk)
    return OutboxStatus.SENT


def due_ids(limit: int = 100) -> list[int]:
    return list(
        OutboxEmail.objects.filter(_claimable(timezone.now()))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(limit: int = 100) -> int:
    """Deliver what is due or was abandoned by a dead worker; return how many were tried."""
    tried = 0
    for email_id in due_ids(limit):
        if deliver(email_id) is not None:
            tried += 1
    return tried


def email_retry(*, email_id: int) -> bool:
    """Staff send a failed email again: a fresh run of attempts, starting now."""
    with transaction.atomic():
        queued = OutboxEmail.objects.filter(pk=email_id, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        if queued:
            transaction.on_commit(lambda: _schedule(email_id))
    return bool(queued)


def emails_to(*, address: str, excluding: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """What was emailed to `address` (for the reader's data export): no bodies are kept.

    Emails whose key starts with one of `excluding` are left out (an app's emails to
    the mailbox rather than to an account).
    """
    rows = OutboxEmail.objects.filter(recipient__iexact=address)
    for prefix in excluding:
        rows = rows.exclude(key__startswith=prefix)
    return [
        {
            "subject": row.subject,
            "status": row.status,
            "queued_at": row.created_at,
            "sent_at": row.sent_at,
        }
        for row in rows.order_by("created_at")
    ]


def emails_forget(*, address: str, excluding: tuple[str, ...] = ()) -> int:
    """Delete every outbox row addressed to `address` (erasure); return how many.

    Rows not yet rendered carry no address; they name the reader only by ids, and their
    renderer cancels them once those rows are gone. `excluding` as for `emails_to`.
    """
    rows = OutboxEmail.objects.filter(recipient__iexact=address)
    for prefix in excluding:
        rows = rows.exclude(key__startswith=prefix)
    deleted, _ = rows.delete()
    return deleted
