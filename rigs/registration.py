"""A registration form's data with a solved bot check, and the legal pages it links.

Shared by the registration, sign-in, email and bot-check tests and bench/bench_accounts.py.

`solved_altcha()` solves a real challenge from our endpoint's code the way the browser
script does (SHA-256 of salt + n), so tests exercise the same verification path.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from masthead.readers.botcheck import AltchaCheck

PASSWORD = "Harbour-lights-42"  # noqa: S105 - a test reader's password, meets the rules


def solved_altcha(max_number: int = 2000) -> str:
    challenge = AltchaCheck(max_number=max_number).challenge()
    for number in range(challenge["maxNumber"] + 1):
        digest = hashlib.sha256(f"{challenge['salt']}{number}".encode()).hexdigest()
        if digest == challenge["challenge"]:
            payload = {
                "algorithm": challenge["algorithm"],
                "challenge": challenge["challenge"],
                "number": number,
                "salt": challenge["salt"],
                "signature": challenge["signature"],
            }
            return base64.b64encode(json.dumps(payload).encode()).decode()
    raise AssertionError("challenge had no solution")


def registration_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "new.reader@example.com",
        "password1": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1990-03-27",
        "reference": "",
    }
    data.update(overrides)
    if "altcha" not in data:
        data["altcha"] = solved_altcha()
    return {key: value for key, value in data.items() if value is not None}


def make_legal_pages(version: str = "3") -> dict[str, Any]:
    """Live Terms of use, Cookie policy and Privacy notice pages under the home page."""
    from masthead.readers.models import LegalDocument, LegalPage
    from rigs.newsroom import make_home

    home = make_home()
    pages = {}
    for document in LegalDocument:
        existing = LegalPage.objects.filter(document=document.value).first()
        if existing:
            pages[document.value] = existing
            continue
        page = LegalPage(
            title=str(document.label),
            slug=f"legal-{document.value}",
            document=document.value,
            version=version,
            body="<p>Plain words about what we do.</p>",
        )
        home.add_child(instance=page)
        pages[document.value] = page
    return pages
