"""Two-factor sign-in for staff: allauth's MFA (TOTP, WebAuthn passkeys, recovery codes).

Invariants:
- Where staff second factors are required (MASTHEAD_REQUIRE_STAFF_MFA, on by default
  in production), no page of the Wagtail admin or the Django admin is served to a
  staff member unless this session proved a second factor: one without an
  authenticator is sent to set up TOTP (after confirming their email address if they
  have not: allauth's precondition for an authenticator), one with an authenticator who signed in
  without it (a session from before it was set up, say) is asked for a code first.
  Only the admins' sign-out stays open.
- Signing in itself is allauth's (masthead.readers.doors), whose MFA stage asks for
  the code or passkey of anyone who has an authenticator, staff or reader.
- Passkeys are bound to the host of MASTHEAD_BASE_URL (the WebAuthn relying party),
  not to whatever Host header a request carries.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
# Always open, so a staff member can leave without a second factor.
OPEN_ADMIN_PATHS = ("/admin/logout/", "/django-admin/logout/")
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


class MastheadMFAAdapter(DefaultMFAAdapter):
    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        host = urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "localhost"
        return {"id": host, "name": self._get_site_name()}

    def get_totp_issuer(self) -> str:
        return settings.WAGTAIL_SITE_NAME


def is_staff_member(user: AbstractBaseUser) -> bool:
    """Anyone who may use either admin (the people a second factor is required of)."""
    return bool(
        user.is_authenticated
        and (
            getattr(user, "is_staff", False)
            or getattr(user, "is_superuser", False)
            or user.has_perm("wagtailadmin.access_admin")
        )
    )


def has_verified_address(user: AbstractBaseUser) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def session_has_second_factor(request: HttpRequest) -> bool:
    """True when this session's sign-in (or a later check) used an authenticator."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


class StaffSecondFactorMiddleware:
    """Keeps the admins closed to staff sessions without a second factor (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.refusal(request)
        return response if response is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if not getattr(settings, "MASTHEAD_REQUIRE_STAFF_MFA", False):
            return None
        path = request.path
        if not path.startswith(ADMIN_PREFIXES) or path.startswith(OPEN_ADMIN_PATHS):
            return None
        user = request.user
        if not is_staff_member(user):
            return None  # the admins send everyone else to sign in themselves
        if not is_mfa_enabled(user, SECOND_FACTORS) and not has_verified_address(user):
            # allauth adds an authenticator only to a proven address (an unproven one
            # could be a squatter's), and `createsuperuser` proves none.
            messages.info(
                request,
                _(
                    "The editors' admin needs two-factor sign-in. First confirm your "
                    "email address: send the verification email below and follow its link."
                ),
            )
            return HttpResponseRedirect(reverse("account_email"))
        if not is_mfa_enabled(user, SECOND_FACTORS):
            messages.info(
                request,
                _(
                    "The editors' admin needs two-factor sign-in. Set up an "
                    "authenticator app to continue."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not session_has_second_factor(request):
            next_url = request.get_full_path() if request.method == "GET" else path
            return HttpResponseRedirect(_with_next(reverse("mfa_reauthenticate"), next_url))
        return None
