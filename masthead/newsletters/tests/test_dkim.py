"""In-app DKIM signing: newsletters sent through a real SMTP server (aiosmtpd) carry a
signature that verifies against the public key (dkimpy), covering From, Subject and
both one-click unsubscribe headers; changing any of them breaks it."""

from __future__ import annotations

import base64
import re
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead.core.tests.smtp import Recorder, SMTPServer
from masthead.newsletters import sending

from .sending_rig import make_issue, subscribers

pytestmark = pytest.mark.django_db


class RawRecorder(Recorder):
    """Also keeps each message's bytes exactly as they arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            with self.lock:
                self.raw.append(envelope.original_content or envelope.content)
        return answer


@pytest.fixture(scope="module")
def key_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture
def raw_smtp(settings):
    server = SMTPServer()
    server.recorder = RawRecorder()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.NEWSLETTER_CONNECTIONS = 1
    yield server
    server.stop()


@pytest.fixture
def signing(settings, key_pair, tmp_path):
    path = tmp_path / "dkim.pem"
    path.write_bytes(key_pair[0])
    settings.DKIM_DOMAIN = "example.org"
    settings.DKIM_SELECTOR = "mh2026"
    settings.DKIM_PRIVATE_KEY_PATH = str(path)
    settings.DKIM_PRIVATE_KEY = ""


def dns(public: bytes):
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mh2026._domainkey.example.org." else None

    return lookup


def send_one(raw_smtp) -> bytes:
    issue = make_issue()
    subscribers(issue.newsletter, 1)
    sending.send_start(issue=issue)
    sending.send_work()
    (raw,) = raw_smtp.recorder.raw
    return raw


def test_a_signed_copy_verifies_and_covers_the_unsubscribe_headers(raw_smtp, signing, key_pair):
    raw = send_one(raw_smtp)

    assert dkim.verify(raw, dnsfunc=dns(key_pair[1]))
    header = re.search(rb"DKIM-Signature:(.*?)\r\n(?=\S)", raw, re.S).group(1)
    signed = re.search(rb"h=([^;]+);", b" ".join(header.split())).group(1)
    names = [n.strip().lower() for n in signed.split(b":")]
    for name in (b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post"):
        assert name in names
    assert b"d=example.org" in header and b"s=mh2026" in header


@pytest.mark.parametrize(
    ("header", "replacement"),
    [
        (rb"List-Unsubscribe:\s+<[^>]+>", b"List-Unsubscribe: <https://evil.example/u>"),
        (rb"List-Unsubscribe-Post: [^\r]+", b"List-Unsubscribe-Post: nothing"),
        (rb"Subject: [^\r]+", b"Subject: Changed"),
        (rb"From: [^\r]+", b"From: someone@evil.example"),
    ],
)
def test_changing_a_signed_header_breaks_the_signature(
    raw_smtp, signing, key_pair, header, replacement
):
    raw = send_one(raw_smtp)
    tampered, count = re.subn(header, replacement, raw, count=1)
    assert count == 1
    assert not dkim.verify(tampered, dnsfunc=dns(key_pair[1]))


def test_another_key_does_not_verify(raw_smtp, signing):
    raw = send_one(raw_smtp)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    public = other.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert not dkim.verify(raw, dnsfunc=dns(public))


def test_without_settings_nothing_is_signed(raw_smtp, settings):
    settings.DKIM_DOMAIN = settings.DKIM_SELECTOR = ""
    assert b"DKIM-Signature" not in send_one(raw_smtp)
