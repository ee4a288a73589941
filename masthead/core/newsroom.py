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
"""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from typing import Any

from django.db import DatabaseError
from django.utils.translation import gettext


def site_display_name(site: Any) -> str:
    """A Site's name as readers should see it: its name, else its host (Wagtail's rule)."""
    if site is None:
        return ""
    return site.site_name or site.hostname or ""


def newsroom_name(site: Any = None) -> str:
    """The name of `site`, by default the default Site; a neutral word if there is none."""
    if site is None:
        from wagtail.models import Site

        try:
            site = Site.objects.filter(is_default_site=True).only("site_name", "hostname").first()
        except DatabaseError:
            # Before migrations have run (or with the database away) there is no Site to
            # ask; an error page or a log email still needs a name.
            site = None
    return site_display_name(site) or gettext("Newsroom")


def sender_address(configured: str) -> str:
    """`configured`'s address, shown as coming from the newsroom by name."""
    address = parseaddr(configured)[1] or configured
    return formataddr((newsroom_name(), address))
