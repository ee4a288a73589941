"""The send pipeline: an issue to every subscriber exactly once, through any crash.

A send moves scheduled -> sending -> sent (or paused, or cancelled). When it starts
(`send_freeze`, run by the worker) its recipients are written once, as Delivery rows
grouped into Batch rows; later sign-ups are not included. Workers (`send_work`, run by
the `send_newsletter` task and by `manage.py send_newsletters --loop`) then claim
batches and send them.

Invariants:
- Recipients are readers and, on an open newsletter, confirmed account-less
  subscribers (OpenSubscriber): each Delivery names exactly one of the two (a check
  constraint), and everything below holds for both alike.
- A reader gets an issue only at an address they have proved is theirs: the account's
  current address (user.email) must be a verified allauth EmailAddress of that reader
  (`_readers_receiving`, one query with an Exists subquery, as the other conditions).
  Anyone can register with anyone's address and tick newsletters; the choice is kept
  and takes effect once the address is proved, never before. An open subscriber proved
  their mailbox by the double opt-in; an open row is left out as "also a reader" only
  for a reader who really receives the issue, so an unproved account holding the same
  address never costs the mailbox's owner their copy.
- An address proved or changed mid-send: the list frozen at the start is what it is. A
  reader who proves their address after the freeze is not added (as a later sign-up is
  not); they get the next issue. When a batch is loaded (`_load`) each reader's address
  is read again and checked proved, and the address read there is the one the copy goes
  to: a reader whose current address is no longer proved (changed since the freeze to
  one they have not proved, or its verification withdrawn by staff) is skipped with
  "address not confirmed", never sent at the new address; one who changed to another
  proved address gets it there. The pre-send check (`_check`) does not look again: it
  never re-reads the address either, so the copy goes to the one proved at load (the
  batch's own run, seconds to minutes), never to one changed since. A retry after a
  temporary refusal is loaded, and checked, again.
- One Delivery per (send, reader) and per (send, subscriber): unique constraints. A
  delivery is only ever pending, then sent, failed (a permanent refusal, or temporary ones past
  NEWSLETTER_MAX_ATTEMPTS) or skipped (the reader unsubscribed, stopped marketing
  email, was suppressed or closed the account before their batch went). A sent
  delivery is never sent again, so pausing, resuming and crashes re-send nothing.
- A batch is claimed under a row lock (`select_for_update(skip_locked=True)` on
  PostgreSQL; SQLite serialises writers), moving pending -> sending with a lease and a
  claim number (the fencing token). The worker renews the lease while it sends; a
  worker that dies leaves the batch "sending" with a lease that runs out, and the next
  worker claims it again and sends only its deliveries still pending: no skips.
- Right before each copy goes, one query checks that the batch is still this worker's
  (same claim number: not taken over), the send still sending and the delivery still
  pending (`_check`): a worker whose lease was taken over sends nothing more. Failing a
  delivery is fenced by the claim number too; recording a copy as sent is not (it did
  go, and the new holder then does not send it again), and a copy in flight when a
  cancel lands is counted sent, not skipped.
- A database error while checking or recording one delivery is logged with its context
  and leaves that delivery pending; the sender goes on, and the batch waits a retry
  interval before a later pass picks it up.
- The one window SMTP cannot close: after the server has said 250 and before the
  delivery's UPDATE commits (one autocommitted statement). A crash exactly there sends
  that one copy again, with the same Message-ID (derived from send and reader), which
  mail providers recognise as the same message.
- The issue is rendered once per send (stored on the Send); each copy differs only by
  substitution. Unsubscribes, and a reader's current address, are honoured up to the
  moment a batch is loaded.
- Pause and cancel take effect before the next copy (the pre-send check). A throttle
  caps messages per minute across all workers: a batch is claimed only when the send's
  `next_claim_at` has passed, and messages inside it are paced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import Error, IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from masthead.core import email
from masthead.core.outbox import is_permanent

from . import dkim, per_copy, rendering, selectors, services
from .models import (
    Batch,
    BatchStatus,
    Delivery,
    DeliveryStatus,
    MarketingPreference,
    NewsletterIssue,
    OpenSubscriber,
    Send,
    SendStatus,
    Subscription,
    Suppression,
)

logger = logging.getLogger("masthead.newsletters.sending")

# A batch claimed this many times without finishing killed its worker every time.
MAX_CLAIMS = 10

# The error a cancel writes on the deliveries it skips (see `_mark_sent`).
CANCELLED = "cancelled"

# The error on a reader's delivery skipped because the account's address, when its
# batch went, was not one the reader had proved (see `_load`).
UNPROVED = "address not confirmed"


class SendRefused(ValueError):
    """The issue cannot be sent as asked (already sent, nothing in it, ...)."""


# ----------------------------------------------------------------------------------
# Starting, scheduling, controlling
# ----------------------------------------------------------------------------------


def send_start(*, issue: NewsletterIssue, by: Any = None, when: dt.datetime | None = None) -> Send:
    """Send `issue` now, or schedule it for `when`. An issue is sent at most once."""
    now = timezone.now()
    if when is not None and when <= now:
        raise SendRefused("The time to send must be in the future.")
    if not issue.subject.strip():
        raise SendRefused("The issue needs a subject.")
    with transaction.atomic():
        if Send.objects.filter(issue=issue).exists():
            raise SendRefused("This issue has already been sent or scheduled.")
        try:
            # A second quick click passes the check above too; the one-to-one refuses it.
            with transaction.atomic():
                send = Send.objects.create(
                    issue=issue,
                    status=SendStatus.SCHEDULED if when else SendStatus.SENDING,
                    scheduled_for=when or now,
                    batch_size=max(1, settings.NEWSLETTER_BATCH_SIZE),
                    throttle_per_minute=issue.newsletter.throttle_per_minute,
                    started_by=by,
                )
        except IntegrityError:
            raise SendRefused("This issue has already been sent or scheduled.") from None
        send_id = send.pk
        transaction.on_commit(lambda: _enqueue(send_id, when))
    return send


def _enqueue(send_id: int, when: dt.datetime | None) -> None:
    # Local: tasks imports this module (the task calls send_work).
    from .tasks import send_newsletter

    try:
        task = send_newsletter
        if when is not None:
            if not task.get_backend().supports_defer:
                return  # `send_newsletters --loop` starts it when due
            task = task.using(run_after=when)
        task.enqueue(send_id)
    except Exception:
        logger.warning("could not enqueue send %s; the sweeper will run it", send_id, exc_info=True)


def send_pause(*, send: Send) -> bool:
    return bool(
        Send.objects.filter(pk=send.pk, status=SendStatus.SENDING).update(status=SendStatus.PAUSED)
    )


def send_resume(*, send: Send) -> bool:
    with transaction.atomic():
        resumed = bool(
            Send.objects.filter(pk=send.pk, status=SendStatus.PAUSED).update(
                status=SendStatus.SENDING
            )
        )
        if resumed:
            send_id = send.pk
            transaction.on_commit(lambda: _enqueue(send_id, None))
    return resumed


def send_cancel(*, send: Send) -> bool:
    """Stop for good: deliveries not yet sent are skipped (a scheduled send never starts)."""
    with transaction.atomic():
        cancelled = bool(
            Send.objects.filter(
                pk=send.pk,
                status__in=[SendStatus.SCHEDULED, SendStatus.SENDING, SendStatus.PAUSED],
            ).update(status=SendStatus.CANCELLED, finished_at=timezone.now())
        )
        if cancelled:
            # A copy in flight right now is still recorded as sent (`_mark_sent`).
            Delivery.objects.filter(send=send, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.SKIPPED, error=CANCELLED
            )
    return cancelled


def sends_start_due() -> int:
    """Scheduled sends whose time has come start sending."""
    return Send.objects.filter(
        status=SendStatus.SCHEDULED, scheduled_for__lte=timezone.now()
    ).update(status=SendStatus.SENDING)


# ----------------------------------------------------------------------------------
# Freezing the recipient list
# ----------------------------------------------------------------------------------


def _readers_receiving(newsletter_id: int) -> Any:
    """Readers who get an issue of this newsletter if it goes now: active, subscribed,
    not stopped, their address not suppressed, and that address (user.email) proved
    theirs (a verified allauth EmailAddress). An account that has not proved its address
    keeps its choice, which takes effect once it does: anyone can register with anyone's
    address, and its owner must not be sent bulk email they never asked for."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(
            is_active=True,
            subscriptions__newsletter_id=newsletter_id,
            subscriptions__active=True,
        )
        .filter(selectors.address_proved(user="pk", email="email"))
        .exclude(
            Exists(MarketingPreference.objects.filter(user=OuterRef("pk"), marketing_stopped=True))
        )
        .exclude(Exists(Suppression.objects.filter(email=Lower(OuterRef("email")))))
    )


def _recipients(send: Send) -> Any:
    """Readers who should get this send now (`_readers_receiving`), by id: one query."""
    return _readers_receiving(send.issue.newsletter_id).order_by("pk").values_list("pk", flat=True)


def _open_recipients(send: Send) -> Any:
    """Confirmed account-less subscribers who should get this send now: not suppressed,
    and not also receiving it as a reader (an address that registered, proved the
    address and chose the newsletter on the account, before the carry-over moved the
    row). Only a reader who really receives it counts: an account that has not proved
    the address gets nothing, so the row's owner does."""
    newsletter_id = send.issue.newsletter_id
    as_reader = _readers_receiving(newsletter_id).filter(email=OuterRef("email"))
    return (
        OpenSubscriber.objects.filter(
            newsletter_id=newsletter_id, status=OpenSubscriber.Status.ACTIVE
        )
        .exclude(Exists(Suppression.objects.filter(email=OuterRef("email"))))
        .exclude(Exists(as_reader))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def send_freeze(*, send_id: int) -> bool:
    """Write the recipient list and render the issue, once; True if this call did it.

    One transaction, with the Send row locked: two workers cannot both write it, and a
    worker that dies midway leaves nothing (the next one starts over).
    """
    with transaction.atomic():
        send = (
            Send.objects.select_for_update()
            .select_related("issue__newsletter")
            .filter(pk=send_id, frozen=False, status=SendStatus.SENDING)
            .first()
        )
        if send is None:
            return False
        rendered = rendering.issue_rendered(send.issue)
        total = 0
        number = 0
        chunk: list[tuple[int | None, int | None]] = []  # (reader, subscriber)

        def flush() -> None:
            nonlocal number, total
            batch = Batch.objects.create(send=send, number=number)
            Delivery.objects.bulk_create(
                [
                    Delivery(send=send, batch=batch, user_id=user_id, subscriber_id=subscriber_id)
                    for user_id, subscriber_id in chunk
                ]
            )
            number += 1
            total += len(chunk)
            chunk.clear()

        for user_id in _recipients(send).iterator(chunk_size=2000):
            chunk.append((user_id, None))
            if len(chunk) >= send.batch_size:
                flush()
        if send.issue.newsletter.audience == send.issue.newsletter.Audience.OPEN:
            for subscriber_id in _open_recipients(send).iterator(chunk_size=2000):
                chunk.append((None, subscriber_id))
                if len(chunk) >= send.batch_size:
                    flush()
        if chunk:
            flush()
        now = timezone.now()
        Send.objects.filter(pk=send.pk).update(
            frozen=True,
            total=total,
            started_at=now,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )
    return True


# ----------------------------------------------------------------------------------
# Claiming and sending batches
# ----------------------------------------------------------------------------------


@dataclass
class Claim:
    batch_id: int
    send_id: int
    token: int  # the claim number: only its holder may write the outcome


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)


def _renew_every() -> float:
    """Seconds between lease renewals: well inside the lease, as a copy goes only while
    the lease is live (`_check`)."""
    return min(1.0, settings.NEWSLETTER_LEASE_SECONDS / 3)


def batch_claim(*, send_id: int | None = None) -> Claim | None:
    """Take the next batch that is due, or was abandoned by a dead worker."""
    now = timezone.now()
    with transaction.atomic():
        candidates = Batch.objects.filter(
            Q(status=BatchStatus.PENDING, run_after__lte=now)
            | Q(status=BatchStatus.SENDING, lease_until__lt=now),
            send__status=SendStatus.SENDING,
            send__frozen=True,
            send__next_claim_at__lte=now,
        )
        if send_id is not None:
            candidates = candidates.filter(send_id=send_id)
        batch = (
            candidates.select_for_update(skip_locked=True, of=("self",))
            .order_by("send_id", "number")
            .select_related("send")
            .first()
        )
        if batch is None:
            return None
        send = batch.send
        if send.throttle_per_minute:
            # Serialise claims on a throttled send, so the pace holds across workers.
            send = Send.objects.select_for_update().get(pk=send.pk)
            if send.next_claim_at > now:
                return None
            size = batch.deliveries.filter(status=DeliveryStatus.PENDING).count()
            Send.objects.filter(pk=send.pk).update(
                next_claim_at=now + dt.timedelta(minutes=size / send.throttle_per_minute)
            )
        Batch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.SENDING, lease_until=now + _lease(), claims=F("claims") + 1
        )
        return Claim(batch_id=batch.pk, send_id=send.pk, token=batch.claims + 1)


def _renew(claim: Claim) -> bool:
    """Extend the lease; False if the send was paused or cancelled, or the batch lost."""
    return bool(
        Batch.objects.filter(
            pk=claim.batch_id,
            claims=claim.token,
            status=BatchStatus.SENDING,
            send__status=SendStatus.SENDING,
        ).update(lease_until=timezone.now() + _lease())
    )


@dataclass
class Recipient:
    delivery_id: int
    user_id: int | None
    address: str
    first_name: str
    attempts: int
    subscriber_id: int | None = None  # an account-less subscriber (then user_id is None)


def _load(claim: Claim) -> list[Recipient]:
    """The batch's deliveries still to send; those no longer wanted are skipped here."""
    now = timezone.now()
    send = Send.objects.select_related("issue").get(pk=claim.send_id)
    pending = Delivery.objects.filter(batch_id=claim.batch_id, status=DeliveryStatus.PENDING)
    wanted = Exists(
        Subscription.objects.filter(
            user=OuterRef("user"), newsletter_id=send.issue.newsletter_id, active=True
        )
    )
    stopped = Exists(
        MarketingPreference.objects.filter(user=OuterRef("user"), marketing_stopped=True)
    )
    suppressed = Exists(Suppression.objects.filter(email=Lower(OuterRef("user__email"))))
    pending.filter(user__isnull=False).filter(
        ~wanted | stopped | suppressed | Q(user__is_active=False)
    ).update(status=DeliveryStatus.SKIPPED, error="no longer subscribed")
    # The address read below is where the copy goes: it must be one the reader has
    # proved (it changed since the freeze, by staff or an unverified address made theirs).
    pending.filter(user__isnull=False).exclude(
        selectors.address_proved(user="user", email="user__email")
    ).update(status=DeliveryStatus.SKIPPED, error=UNPROVED)
    subscriber_suppressed = Exists(Suppression.objects.filter(email=OuterRef("subscriber__email")))
    pending.filter(subscriber__isnull=False).filter(
        ~Q(subscriber__status=OpenSubscriber.Status.ACTIVE) | subscriber_suppressed
    ).update(status=DeliveryStatus.SKIPPED, error="no longer subscribed")
    rows = (
        pending.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list(
            "pk",
            "user_id",
            Coalesce("user__email", "subscriber__email"),
            Coalesce("user__first_name", Value("")),
            "attempts",
            "subscriber_id",
        )
    )
    return [Recipient(*row) for row in rows]


def message_id(
    *,
    send_id: int,
    user_id: int | None = None,
    subscriber_id: int | None = None,
    domain: str | None = None,
) -> str:
    """The same id for the same copy, whichever worker sends it and however often."""
    who = str(user_id) if user_id is not None else f"s{subscriber_id}"
    return f"<newsletter.{send_id}.{who}@{domain or email.sender_domain()}>"


def _backoff(attempts: int) -> dt.timedelta:
    base = settings.NEWSLETTER_RETRY_BASE_SECONDS
    return dt.timedelta(seconds=min(3600.0, base * 2 ** max(attempts - 1, 0)))


class _Check:
    """What the pre-send check found: send this copy, skip it, or stop the share."""

    SEND = "send"
    SKIP = "skip"
    STOP = "stop"


def _check(claim: Claim, recipient: Recipient) -> str:
    """Right before a copy goes: is the batch still ours (its claim number unchanged), the
    send still sending, and the delivery still pending? One query by primary key.

    A lease that ran out with nobody taking over does not stop the copy: only a takeover
    (which bumps the claim number) makes another worker send this batch. Stopping on the
    clock alone would make a busy worker drop and re-claim its batch over and over.

    The reader's address is not checked again here: the copy goes to the address `_load`
    read and found proved, never to one the account has changed to since (see the module
    docstring), so a check here would cost a join per copy and change nothing."""
    row = per_copy.claim_row(recipient.delivery_id)
    if row is None:
        return _Check.SKIP
    status, claims, batch_status, send_status = row
    if (
        claims != claim.token
        or batch_status != BatchStatus.SENDING
        or send_status != SendStatus.SENDING
    ):
        return _Check.STOP
    return _Check.SEND if status == DeliveryStatus.PENDING else _Check.SKIP


def _mark_sent(claim: Claim, recipient: Recipient) -> bool:
    """Record a copy the server accepted; True if this call recorded it.

    Not fenced by the claim, on purpose: the copy did go out, so recording it is the
    truth, and a worker that took the batch over meanwhile then sees "sent" in its own
    pre-send check and does not send it again (fencing this write would make it do so).
    A cancel that arrived while this copy was in flight skipped it: it is counted sent.
    """
    updated = per_copy.record_sent(recipient.delivery_id, skipped_by=CANCELLED)
    if not updated:
        logger.warning(
            "send %s: delivery %s was sent but was no longer pending (batch %s, claim %s)",
            claim.send_id,
            recipient.delivery_id,
            claim.batch_id,
            claim.token,
        )
    return bool(updated)


def _mark_failed(
    claim: Claim, recipient: Recipient, error: BaseException, *, permanent: bool = False
) -> bool:
    """Record a refusal, only while the batch is still ours (fenced by the claim number):
    a worker whose lease was taken over must not fail a copy the new holder may send."""
    attempts = recipient.attempts + 1
    description = f"{type(error).__name__}: {error}"[:500]
    pending = Delivery.objects.filter(
        pk=recipient.delivery_id, status=DeliveryStatus.PENDING
    ).filter(
        Exists(
            Batch.objects.filter(pk=claim.batch_id, claims=claim.token, status=BatchStatus.SENDING)
        )
    )
    # A provider's API (anymail) that refuses the address: as final as an SMTP 5xx.
    permanent = permanent or isinstance(error, AnymailRecipientsRefused | AnymailInvalidAddress)
    if permanent or is_permanent(error) or attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
        updated = pending.update(status=DeliveryStatus.FAILED, attempts=attempts, error=description)
    else:
        updated = pending.update(
            attempts=attempts,
            error=description,
            next_attempt_at=timezone.now() + _backoff(attempts),
        )
    return bool(updated)


_FAILED = object()


def _guarded(what: str, claim: Claim, recipient: Recipient, write: Callable[[], Any]) -> Any:
    """Run a database call for one delivery and return its result; a database error is
    logged, not raised, and gives `_FAILED`.

    The delivery then stays pending (claimable), the share goes on with the next reader,
    and the batch is put back for a later pass (see `batch_send`). Inside an outer
    transaction (tests; a caller's atomic block) a savepoint keeps that transaction usable.
    """
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                return write()
        return write()
    except Error:  # DatabaseError, and InterfaceError from a connection that is gone
        logger.exception(
            "send %s: could not %s delivery %s (reader %s, batch %s, claim %s); "
            "it stays pending for a later pass",
            claim.send_id,
            what,
            recipient.delivery_id,
            recipient.user_id,
            claim.batch_id,
            claim.token,
        )
        # A connection the server closed is replaced on the next query.
        with contextlib.suppress(Exception):
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        return _FAILED


class _Pacer:
    """Spaces messages out to a rate shared by this worker's connections."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        if not self.interval:
            return
        with self.lock:
            at = max(self.next_at, time.monotonic())
            self.next_at = at + self.interval
        stop.wait(max(0.0, at - time.monotonic()))


def _open_connection() -> Any:
    backend = settings.NEWSLETTER_EMAIL_BACKEND or None
    conn = get_connection(backend=backend, fail_silently=False)
    conn.open()
    return conn


def _send_share(
    *,
    claim: Claim,
    recipients: list[Recipient],
    send: Send,
    rendered: email.Rendered,
    stop: threading.Event,
    troubled: threading.Event,
    pacer: _Pacer,
    own_thread: bool,
    renew: Callable[[], bool] | None = None,
) -> None:
    """Send `recipients` over one connection, reused for every message.

    `renew` (when this runs on the caller's thread, the only sender) is called about
    once a second to keep the lease; False stops the share (a pause or a cancel). Each
    copy is checked against the claim right before it goes (`_check`); a database error
    while checking or recording sets `troubled` and leaves that delivery pending.
    """
    conn = None
    if own_thread and connection.vendor == "postgresql":
        # This thread's own session: a delivery's "sent" needs no flush to disk before
        # the next message goes (a worker's crash loses nothing committed; only the
        # database server's own crash could, and those copies would be sent again with
        # the same Message-ID).
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    from_email = rendering.sender(send.issue.newsletter)
    domain = email.sender_domain()
    signer = dkim.signer()
    try:
        renewed = time.monotonic()
        for recipient in recipients:
            if renew is not None and time.monotonic() - renewed >= _renew_every():
                renewed = time.monotonic()
                if not renew():
                    stop.set()
            if stop.is_set():
                return
            pacer.wait(stop)
            if stop.is_set():
                return
            verdict = _guarded("check", claim, recipient, lambda r=recipient: _check(claim, r))
            if verdict is _FAILED:
                troubled.set()
                continue
            if verdict == _Check.STOP:
                # The batch was taken over, or the send paused or cancelled: send no more.
                stop.set()
                return
            if verdict == _Check.SKIP:
                continue
            try:
                message = rendering.copy_for(
                    rendered,
                    newsletter=send.issue.newsletter,
                    user_id=recipient.user_id,
                    subscriber_id=recipient.subscriber_id,
                    address=recipient.address,
                    first_name=recipient.first_name,
                    issue_id=send.issue_id,
                    message_id=message_id(
                        send_id=send.pk,
                        user_id=recipient.user_id,
                        subscriber_id=recipient.subscriber_id,
                        domain=domain,
                    ),
                    from_email=from_email,
                )
                if signer is not None:
                    message = dkim.sign(message, signer)
                # An address no message can go to fails here, for good.
                sanitize_address(recipient.address, settings.DEFAULT_CHARSET)
            except Exception as error:
                # Not only a bad address: any error building this copy (say a KeyError from
                # a placeholder) fails this delivery for good, or the batch would be
                # reclaimed and crash on it again without end.
                if not isinstance(error, ValueError):
                    logger.exception(
                        "could not build send %s's message for delivery %s",
                        send.pk,
                        recipient.delivery_id,
                    )
                if _FAILED is _guarded(
                    "mark failed",
                    claim,
                    recipient,
                    lambda r=recipient, e=error: _mark_failed(claim, r, e, permanent=True),
                ):
                    troubled.set()
                continue
            try:
                if conn is None:
                    conn = _open_connection()
                conn.send_messages([message])
            except Exception as error:
                if isinstance(error, smtplib.SMTPServerDisconnected) or (
                    isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)
                ):
                    # The connection is gone: open a fresh one for the next message.
                    _close(conn)
                    conn = None
                if _FAILED is _guarded(
                    "mark failed",
                    claim,
                    recipient,
                    lambda r=recipient, e=error: _mark_failed(claim, r, e),
                ):
                    troubled.set()
                continue
            if _FAILED is _guarded(
                "mark sent", claim, recipient, lambda r=recipient: _mark_sent(claim, r)
            ):
                troubled.set()
    finally:
        _close(conn)
        if own_thread:
            connection.close()


def _close(conn: Any) -> None:
    if conn is None:
        return
    # A broken connection may fail even to say QUIT.
    with contextlib.suppress(Exception):
        conn.close()


def batch_send(claim: Claim, *, connections: int | None = None) -> None:
    """Send one claimed batch over several connections, then record how it ended."""
    connections = connections or settings.NEWSLETTER_CONNECTIONS
    send = Send.objects.select_related("issue__newsletter").get(pk=claim.send_id)
    rendered = email.Rendered(subject=send.subject, text=send.text, html=send.html)
    recipients = _load(claim)
    stop = threading.Event()
    troubled = threading.Event()
    pacer = _Pacer(send.throttle_per_minute)
    count = max(1, min(connections, len(recipients)))
    # On SQLite each thread would wait for the one writer anyway; one connection there.
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        count = 1
    shares = [recipients[i::count] for i in range(count)]
    kwargs = {
        "claim": claim,
        "send": send,
        "rendered": rendered,
        "stop": stop,
        "troubled": troubled,
        "pacer": pacer,
    }
    if count == 1:
        _send_share(recipients=shares[0], own_thread=False, renew=lambda: _renew(claim), **kwargs)
    else:
        threads = [
            threading.Thread(
                target=_send_share, kwargs={"recipients": share, "own_thread": True, **kwargs}
            )
            for share in shares
        ]
        for thread in threads:
            thread.start()
        while alive := [t for t in threads if t.is_alive()]:
            # Wait on a thread still running (the first may finish early: no busy loop).
            alive[0].join(timeout=_renew_every())
            if not stop.is_set() and not _renew(claim):
                stop.set()
        for thread in threads:
            thread.join()
    _batch_finish(claim, troubled=troubled.is_set())


def _batch_finish(claim: Claim, *, troubled: bool = False) -> None:
    """Back to pending if anything is left to send (retries, a pause); else sent.

    After a database error (`troubled`) the batch waits a retry interval, so the same
    pass does not claim it straight back while the database is still failing.
    """
    if troubled and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
    left = Delivery.objects.filter(batch_id=claim.batch_id, status=DeliveryStatus.PENDING)
    mine = Batch.objects.filter(pk=claim.batch_id, claims=claim.token, status=BatchStatus.SENDING)
    if left.exists():
        now = timezone.now()
        retry_at = left.aggregate(at=Min("next_attempt_at"))["at"]
        run_after = max(retry_at or now, now)
        if troubled:
            run_after = max(run_after, now + _backoff(1))
        mine.update(status=BatchStatus.PENDING, lease_until=None, run_after=run_after)
    else:
        mine.update(status=BatchStatus.SENT, lease_until=None)


def _give_up_poison() -> None:
    """A batch claimed MAX_CLAIMS times killed its worker each time: mark it failed."""
    now = timezone.now()
    for batch_id in Batch.objects.filter(
        status=BatchStatus.SENDING, lease_until__lt=now, claims__gte=MAX_CLAIMS
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if Batch.objects.filter(pk=batch_id, status=BatchStatus.SENDING).update(
                status=BatchStatus.FAILED, lease_until=None
            ):
                Delivery.objects.filter(batch_id=batch_id, status=DeliveryStatus.PENDING).update(
                    status=DeliveryStatus.FAILED, error="gave up: the worker stopped each time"
                )
                logger.error("newsletter batch %s failed: its worker died each time", batch_id)


def sends_finish() -> int:
    """Sending sends with nothing left to do are sent."""
    open_batches = Batch.objects.filter(
        send=OuterRef("pk"), status__in=[BatchStatus.PENDING, BatchStatus.SENDING]
    )
    return (
        Send.objects.filter(status=SendStatus.SENDING, frozen=True)
        .exclude(Exists(open_batches))
        .update(status=SendStatus.SENT, finished_at=timezone.now())
    )


def send_work(
    *,
    send_id: int | None = None,
    stop: Callable[[], bool] = lambda: False,
    connections: int | None = None,
) -> int:
    """Freeze what needs freezing, then send batches until none is due; batches sent.

    Each pass also deletes open newsletters' sign-ups whose confirmation expired."""
    done = 0
    # Housekeeping each pass: open newsletters' sign-ups never confirmed are forgotten.
    services.open_signups_expire()
    sends_start_due()
    todo = Send.objects.filter(status=SendStatus.SENDING, frozen=False)
    if send_id is not None:
        todo = todo.filter(pk=send_id)
    for pk in todo.values_list("pk", flat=True):
        send_freeze(send_id=pk)
    _give_up_poison()
    while not stop():
        claim = batch_claim(send_id=send_id)
        if claim is None:
            break
        batch_send(claim, connections=connections)
        done += 1
    sends_finish()
    return done


# ----------------------------------------------------------------------------------
# Progress
# ----------------------------------------------------------------------------------


def send_progress(send: Send) -> dict[str, Any]:
    counts = dict(
        Delivery.objects.filter(send=send)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    sent = counts.get(DeliveryStatus.SENT, 0)
    failed = counts.get(DeliveryStatus.FAILED, 0)
    skipped = counts.get(DeliveryStatus.SKIPPED, 0)
    send.refresh_from_db(fields=["status", "total", "frozen"])
    total = send.total
    done = sent + failed + skipped
    return {
        "status": send.status,
        "status_label": SendStatus(send.status).label,
        "total": total,
        "sent": sent,
        "failed": failed,
        "skipped": skipped,
        "remaining": max(0, total - done),
        "percent": round(100 * done / total) if total else (100 if send.frozen else 0),
    }
