"""The newsroom's own name, and the sender its emails come from.

Invariants:
- Wherever a reader or an editor sees the publication's name (page titles, emails and
  their sender, Wagtail's admin), it is the name the newsroom gave its Wagtail Site
  (Settings > Sites), read when it is shown, so a rename shows at once everywhere.
  It is never the name of the software.
- `settings.WAGTAIL_SITE_NAME` and `settings.DEFAULT_FROM_EMAIL` are lazy strings built
  on these functions, so code that reads the settings (Wagtail's admin, allauth,
  Django's mail) follows the Site without knowing about it. Evaluating them needs the
  app registry, so they are never turned into text while settings load.
- The sender's address is the one configured (MASTHEAD_FROM_EMAIL); its display name is
  always the newsroom's name.
- The default Site's name is asked of the database at most once per NAME_SECONDS per
  process (the lazy settings are turned into text many times a request: Python's
  address parser alone reads the sender character by character). Saving or deleting a
  Site forgets it at once in the process that saved; other app servers follow within
  NAME_SECONDS.
"""

from __future__ import annotations

import threading
import time
import uuid
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext


def site_display_name(site: Any) -> str:
    """A Site's name as readers should see it: its name, else its host (Wagtail's rule)."""
    if site is None:
        return ""
    return site.site_name or site.hostname or ""


NAME_SECONDS = 30.0
_remembered: tuple[float, str] | None = None
_lock = threading.Lock()


def _default_site_name() -> str:
    global _remembered
    now = time.monotonic()
    remembered = _remembered
    if remembered is not None and now - remembered[0] < NAME_SECONDS:
        return remembered[1]
    # Imported here: settings.py reaches this module (the sender's name), and
    # wagtail.models may not be imported before the app registry is ready.
    from wagtail.models import Site

    try:
        site = Site.objects.filter(is_default_site=True).only("site_name", "hostname").first()
    except DatabaseError:
        # Before migrations have run (or with the database away) there is no Site to
        # ask; an error page or a log email still needs a name. Not remembered.
        return ""
    name = site_display_name(site)
    with _lock:
        _remembered = (now, name)
    return name


def newsroom_name_forget(**_signal_kwargs: Any) -> None:
    """Forget the remembered name (connected to Site's save and delete signals)."""
    global _remembered
    with _lock:
        _remembered = None


def newsroom_name(site: Any = None) -> str:
    """The name of `site`, by default the default Site; a neutral word if there is none."""
    name = _default_site_name() if site is None else site_display_name(site)
    return name or gettext("Newsroom")


def sender_address(configured: str) -> str:
    """`configured`'s address, shown as coming from the newsroom by name."""
    address = parseaddr(configured)[1] or configured
    return formataddr((newsroom_name(), address))


def sender_domain() -> str:
    """The domain of the newsroom's sending address (for Message-IDs); "localhost" when
    it has none.

    `DEFAULT_FROM_EMAIL` is lazy (it names the newsroom from the database), so it is made
    a string first: the `parseaddr` of Pythons with the CVE-2023-27043 fix (3.11.10,
    3.12.6, 3.13, and Debian's 3.11.2) gives ('', '') for anything but a str.
    """
    return parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1].rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """A fresh Message-ID (angle brackets included) on the sender's domain.

    Its unique part is 128 bits from the operating system's generator, not
    `email.utils.make_msgid`'s time and `random` module: anything that seeds `random`
    (a property-based test does, for every example) would repeat make_msgid's ids
    within a clock tick, and the outbox keeps them unique.
    """
    return f"<{uuid.uuid4().hex}@{sender_domain()}>"
