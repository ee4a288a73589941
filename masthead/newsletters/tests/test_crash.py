"""A worker killed with SIGKILL mid-send: every subscriber still gets exactly one copy.

5,000 subscribers, a real worker process (`manage.py send_newsletters --loop`, four
SMTP connections) and a real SMTP server (aiosmtpd) in this process. The server is
made to hold every DATA once some of the issue has gone, so the worker is killed while
messages are in flight (never in the one window SMTP cannot close: between the
server's 250 and the delivery's UPDATE). A second worker then finishes the send.

The newsletter is open: 3,500 of the subscribers are readers and 1,500 confirmed
account-less subscribers, so the fourth batch holds both kinds, and the worker is killed
while it sends that batch's subscribers.
"""

from __future__ import annotations

import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest

from masthead.core.tests.processes import processes, wait_for, worker_env
from masthead.core.tests.smtp import Recorder, SMTPServer
from masthead.newsletters import sending
from masthead.newsletters.models import (
    Delivery,
    DeliveryStatus,
    Newsletter,
    OpenSubscriber,
    Send,
    SendStatus,
)

from .factories import NewsletterFactory
from .sending_rig import make_issue, subscribers

SUBSCRIBERS = 5000
READERS = 3500  # then 1,500 account-less subscribers; batches of 1,000


class CountingRecorder(Recorder):
    """Also counts mail transactions open and those held in DATA.

    Records each message's headers only (To and Message-ID are what is counted): parsing
    5,000 whole MIME messages in this process took CPU the worker under test then lacked.
    """

    parse = staticmethod(BytesHeaderParser().parsebytes)

    def __init__(self) -> None:
        super().__init__()
        self.open = 0
        self.held = 0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            self.open += 1
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.held += 0 if self.flowing.is_set() else 1
        try:
            return await super().handle_DATA(server, session, envelope)
        finally:
            with self.lock:
                self.open -= 1

    def all_held(self) -> bool:
        with self.lock:
            return self.held > 0 and self.open == self.held


@pytest.fixture(autouse=True)
def _database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_worker_killed_mid_send_leaves_every_subscriber_exactly_one_copy(
    shared_database: dict[str, str], tmp_path: Path
):
    server = SMTPServer()
    server.recorder = recorder = CountingRecorder()
    server.start()
    issue = make_issue(
        NewsletterFactory(audience=Newsletter.Audience.OPEN, sender_address="desk@example.org")
    )
    readers = subscribers(issue.newsletter, READERS)
    open_rows = OpenSubscriber.objects.bulk_create(
        OpenSubscriber(
            newsletter=issue.newsletter,
            email=f"open{n}@example.net",
            status=OpenSubscriber.Status.ACTIVE,
        )
        for n in range(SUBSCRIBERS - READERS)
    )
    addresses = [r.email for r in readers] + [o.email for o in open_rows]
    send = sending.send_start(issue=issue)
    env = worker_env(
        shared_database,
        EMAIL_URL=f"smtp://127.0.0.1:{server.port}",
        MASTHEAD_EMAIL_TIMEOUT="10",
        MASTHEAD_NEWSLETTER_LEASE_SECONDS="1",
        MASTHEAD_NEWSLETTER_CONNECTIONS="4",
        MASTHEAD_NEWSLETTER_BATCH_SIZE="1000",
    )
    try:
        with processes(env, tmp_path) as running:
            first = running.start("sender", "send_newsletters", "--loop", "--interval", "0.1")
            wait_for(
                # Into the fourth batch (readers 3,001-3,500, then subscribers 1-500),
                # past its readers: subscribers' copies are in flight at the kill.
                lambda: len(recorder.messages) >= READERS + 150,
                seconds=90,
                what="the fourth batch's subscribers to be arriving",
                log=running.output,
            )
            recorder.flowing.clear()

            def settled() -> bool:
                # Every open transaction held in DATA, twice in a row a moment apart.
                if not recorder.all_held():
                    return False
                before = len(recorder.messages)
                time.sleep(0.2)
                return recorder.all_held() and len(recorder.messages) == before

            wait_for(settled, seconds=30, what="the worker to be held mid-send", log=running.output)
            arrived_before_kill = len(recorder.messages)
            open_before_kill = sum(1 for a in recorder.recipients() if a.startswith("open"))
            running.kill(first)
            recorder.flowing.set()
            assert 0 < arrived_before_kill < SUBSCRIBERS
            assert 0 < open_before_kill < SUBSCRIBERS - READERS

            running.start("sender", "send_newsletters", "--loop", "--interval", "0.1")
            wait_for(
                lambda: Send.objects.get(pk=send.pk).status == SendStatus.SENT,
                # A bound, not a target: generous, so a loaded machine is slow, not red.
                seconds=300,
                what="the send to finish",
                log=running.output,
            )
    finally:
        server.stop()

    assert Counter(recorder.recipients()) == Counter({address: 1 for address in addresses})
    assert len(set(recorder.message_ids())) == SUBSCRIBERS
    assert Counter(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {
        DeliveryStatus.SENT: SUBSCRIBERS
    }
