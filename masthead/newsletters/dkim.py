"""Optional DKIM signing in the app (dkimpy), for a newsroom whose mail server does not sign.

Set MASTHEAD_DKIM_DOMAIN, MASTHEAD_DKIM_SELECTOR and the private key (a PEM file at
MASTHEAD_DKIM_PRIVATE_KEY_PATH, or the PEM itself in MASTHEAD_DKIM_PRIVATE_KEY) and
every newsletter copy is signed as it is turned into bytes, whichever backend sends it.

Invariants:
- The signature covers From, Subject and both one-click unsubscribe headers
  (`List-Unsubscribe`, `List-Unsubscribe-Post`, as RFC 8058 asks), with To, Date,
  Message-ID, Reply-To and the MIME headers; relaxed canonicalisation, so re-folding a
  header on the way does not break it.
- What is signed is exactly what the SMTP backend sends (`as_bytes` with CRLF); the
  DKIM-Signature header is added to that same message object, and nothing after it
  changes the signed headers or the body.
- Without the three settings nothing is signed; with only some of them the app refuses
  to start in production (settings.py) and signs nothing elsewhere.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dkim as dkimpy
from django.conf import settings

SIGNED_HEADERS = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"Reply-To",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"MIME-Version",
    b"Content-Type",
)


@dataclass(frozen=True)
class Signer:
    domain: str
    selector: str
    private_key: bytes

    def signature(self, data: bytes) -> tuple[str, str]:
        """The DKIM-Signature header (name, value) for the message `data`."""
        header = dkimpy.sign(
            data,
            selector=self.selector.encode(),
            domain=self.domain.encode(),
            privkey=self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        ).decode("ascii")
        name, value = header.split(":", 1)
        # Unfolded: the message's own policy folds it again (relaxed canonicalisation).
        return name, " ".join(value.split())


@functools.cache
def _read_key(path: str) -> bytes:
    return Path(path).read_bytes()


def signer() -> Signer | None:
    """The configured signer, or None when in-app signing is off."""
    domain, selector = settings.DKIM_DOMAIN, settings.DKIM_SELECTOR
    key = settings.DKIM_PRIVATE_KEY.encode() if settings.DKIM_PRIVATE_KEY else b""
    if not key and settings.DKIM_PRIVATE_KEY_PATH:
        key = _read_key(settings.DKIM_PRIVATE_KEY_PATH)
    if not (domain and selector and key):
        return None
    return Signer(domain=domain, selector=selector, private_key=key)


def sign(message: Any, with_signer: Signer) -> Any:
    """`message` (a Django EmailMessage), signed when it is turned into MIME."""
    build = message.message

    def signed_message(*args: Any, **kwargs: Any) -> Any:
        mime = build(*args, **kwargs)
        name, value = with_signer.signature(mime.as_bytes(linesep="\r\n"))
        mime[name] = value
        return mime

    message.message = signed_message
    return message
