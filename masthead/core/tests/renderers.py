"""An outbox renderer for tests; worker processes import it by its dotted path."""

from __future__ import annotations

from django.core.mail import EmailMessage

from masthead.core import email, outbox


@outbox.renderer
def note(*, to: str, n: int = 0) -> EmailMessage | None:
    if not to:
        return None  # what a renderer does when the row it was about has gone
    return EmailMessage(f"Note {n}", f"This is note {n}.\n", None, [to])


@email.renderer
def greeting(*, to: str, name: str, unsubscribe: str = "") -> EmailMessage:
    """Built by core.email from tests/email/greeting (the test templates directory)."""
    return email.message(
        "tests/email/greeting",
        to=to,
        context={"name": name},
        list_unsubscribe=unsubscribe or None,
    )
