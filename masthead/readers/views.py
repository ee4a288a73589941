"""Registration's own small views; the forms and flows themselves are allauth's.

Invariants:
- The ALTCHA challenge endpoint is the only dynamic part of the registration page that
  a cache must never keep: each GET returns a fresh challenge with `no-store`, sets no
  cookie and reads no session, so the page around it stays cacheable.
- Every page under /accounts/ is sent `Cache-Control: private, no-store` (applied to
  allauth's URL patterns in readers.urls), since they show or change a reader's own data.
- The sign-up fragment (the form embedded in an article's wall) is allauth's own signup
  view with a fragment template: the same form, adapter, rate limits, records, emails
  and anti-enumeration as the sign-up page. It never answers with a redirect (a fetch
  would follow it into a whole page): signed in is a 200 carrying
  `HX-Trigger: masthead:signed-in`, everything else is a fragment to show in place.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.account.views import ConfirmEmailView, SignupView
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET

from .botcheck import AltchaCheck


@require_GET
def altcha_challenge(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(AltchaCheck().challenge())
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 429 page allauth's rate limits (and ours) show, in our words and layout."""
    response = render(request, "account/429.html", status=429)
    response["Retry-After"] = "60"
    add_never_cache_headers(response)
    return response


SIGNED_IN_EVENT = "masthead:signed-in"


class SignupFragmentView(SignupView):
    """The registration form as an HTML fragment, for the wall to embed and submit."""

    template_name = "account/signup_fragment.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            # Already signed in (another tab, say): the wall may continue at once.
            return self.signed_in_response()
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 429:
            response = render(request, "account/too_many_fragment.html", status=429)
            response["Retry-After"] = "60"
        elif response.status_code in (301, 302, 303):
            # Not expected with our settings; say where to go rather than let the
            # browser's fetch follow the redirect into a whole page.
            location = response["Location"]
            response = render(request, "account/signed_in_fragment.html", status=200)
            response["HX-Redirect"] = location
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form_action"] = reverse("account_signup_fragment")
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if self.user is not None and self.request.user.is_authenticated:
            return self.signed_in_response()
        if self.user is None:
            # An address that already has an account, or a bot that filled the
            # honeypot: the form said "check your inbox" by redirecting to that page.
            return TemplateResponse(self.request, "account/verification_sent_fragment.html")
        return response

    def signed_in_response(self) -> HttpResponse:
        response = render(self.request, "account/signed_in_fragment.html")
        response["HX-Trigger"] = SIGNED_IN_EVENT
        response["X-Masthead-Signed-In"] = "1"
        return response


signup_fragment = SignupFragmentView.as_view()


def account_header(request: HttpRequest) -> HttpResponse:
    """The header's account links for this reader (account-nav.js swaps them in after
    registering or signing in within a page). Private and never stored (readers.urls)."""
    return render(request, "includes/account_nav.html")


def password_change_done(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "account/password_change_done.html")


def already_confirmed_address(key: str) -> EmailAddress | None:
    """The address a confirmation link is for, when that address is already confirmed.

    allauth only finds links for unconfirmed addresses, so a second click reads as
    "expired". The link is signed (or a stored random key), so only its recipient
    learns this; the signature's age is not checked because "already confirmed" stays
    true however old the link is.
    """
    if allauth_settings.EMAIL_CONFIRMATION_HMAC:
        try:
            pk = signing.loads(key, salt=allauth_settings.SALT)
        except signing.BadSignature:
            pk = None
        if pk is not None:
            return EmailAddress.objects.filter(pk=pk, verified=True).first()
    stored = EmailConfirmation.objects.filter(key=key.lower()).select_related("email_address")
    confirmation = stored.first()
    if confirmation is not None and confirmation.email_address.verified:
        return confirmation.email_address
    return None


class ReaderConfirmEmailView(ConfirmEmailView):
    """allauth's confirmation page that tells "already confirmed" from "expired"."""

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(*args, **kwargs)
        except Http404:
            # Pressed twice, or confirmed in another tab: say so, not "not found".
            self.object = None
            return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not self.object:
            context["already_confirmed"] = already_confirmed_address(self.kwargs["key"])
        return context


confirm_email = ReaderConfirmEmailView.as_view()
