"""A real SMTP server for tests (aiosmtpd on a free loopback port) that records what it accepts.

Also a pytest plugin (the root conftest.py lists it in `pytest_plugins`), so every test
can ask for its fixtures: `smtp_server` (a started server) and `smtp_settings` (Django's
SMTP backend pointed at it; the same server, to read `.recorder.messages`).

Invariant: a message is recorded only once the server has decided to answer 250 to the
end of its DATA; a client that vanishes before that (a killed worker) leaves nothing
recorded, as with a real mail server. Addresses starting `refused@` get a permanent
550 at RCPT (while `refusing`), `busy@` a temporary 451.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    # How an accepted message is recorded: parsed whole. A recorder that only reads
    # headers (thousands of messages) may parse only those (`BytesHeaderParser`).
    parse: Callable[[bytes], Message] = staticmethod(message_from_bytes)

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        # Cleared to keep every DATA waiting (a slow server); `in_data` tells the test
        # a client is in the middle of sending.
        self.flowing = threading.Event()
        self.flowing.set()
        self.in_data = threading.Event()
        self.abandoned = threading.Event()
        # Set to False when "the cause is fixed" (the mailbox now exists).
        self.refusing = True

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("refused@") and self.refusing:
            return "550 5.1.1 No such mailbox here"
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_data.set()
        try:
            while not self.flowing.is_set():
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            # aiosmtpd cancels the handler when the client goes away: nothing accepted.
            self.abandoned.set()
            raise
        if server.transport is None:
            return "421 Connection gone"
        with self.lock:
            self.messages.append(self.parse(envelope.content))
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(m["To"]) for m in self.messages]


class SMTPServer:
    """Start and stop a recording SMTP server on a fixed port (so it can come back)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.recorder = Recorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp_server: SMTPServer) -> SMTPServer:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server
