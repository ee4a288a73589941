"""The readers app's pages in the account area (masthead.core.account_sections).

Invariant: every page of readers.account.urls that a reader navigates to is registered
here, with the title its view shows (`TITLES`), so the navigation and the page agree.
Two-factor sign-in (allauth.mfa) is offered to staff only (masthead.readers.mfa).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from masthead.core import account_sections

# The page titles, which the views use too. Navigation labels may be shorter.
TITLES = {
    "profile": _("Your profile"),
    "reading": _("Your premium articles"),
    "history": _("Consent history"),
    "sessions": _("Where you're signed in"),
    "data": _("Download your data"),
    "delete": _("Delete your account"),
}


def _may_use_two_factor(request: HttpRequest) -> bool:
    user = request.user
    return user.is_staff or user.has_perm("wagtailadmin.access_admin")


account_sections.register("profile", label=_("Profile"), url_name="account:profile", order=10)
# 20: newsletters (masthead.newsletters.account_sections)
account_sections.register(
    "reading", label=_("Premium articles"), url_name="account:reading", order=30
)
account_sections.register("history", label=TITLES["history"], url_name="account:history", order=40)
account_sections.register(
    "two_factor",
    label=_("Two-factor sign-in"),
    url_name="mfa_index",
    order=50,
    is_shown=_may_use_two_factor,
)
account_sections.register(
    "sessions", label=TITLES["sessions"], url_name="account:sessions", order=60
)
account_sections.register("data", label=TITLES["data"], url_name="account:data", order=900)
account_sections.register("delete", label=TITLES["delete"], url_name="account:delete", order=910)
