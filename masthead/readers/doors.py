"""One door in: every sign-in and password reset goes through allauth's own pages.

Invariant: no view other than allauth's checks a person's password or sends a
password-reset email. The Wagtail admin's and Django admin's sign-in pages, Wagtail's
front-end login (/_util/login/, used by private pages) and the Wagtail admin's
password reset only redirect to allauth's sign-in or reset page, keeping where the
person was going. So they all share allauth's rate limits (masthead.readers.ratelimit),
its anti-enumeration and, for staff, its second-factor stage (masthead.readers.mfa).
A POST to an old door checks nothing: it is redirected like a GET. Someone already
signed in who is sent to a door (an admin or a private page they may not use) is told
so, rather than bounced between the door and the page for ever.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from masthead.core.http import is_internal_path


def _to_sign_in(
    request: HttpRequest, default_next: str, *, may_enter: bool = False
) -> HttpResponse:
    next_url = request.GET.get(REDIRECT_FIELD_NAME) or default_next
    if not is_internal_path(next_url):
        next_url = default_next
    if request.user.is_authenticated and may_enter:
        return HttpResponseRedirect(next_url or "/")
    if request.user.is_authenticated:
        # The admin or page refused this account: allauth would send a signed-in
        # person straight back to it, and round it would go.
        return render(request, "account/no_access.html", status=403)
    query = urlencode({REDIRECT_FIELD_NAME: next_url}) if next_url else ""
    return HttpResponseRedirect(reverse("account_login") + (f"?{query}" if query else ""))


@never_cache
def wagtail_admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/: sign in with allauth, then on to the Wagtail admin."""
    return _to_sign_in(
        request,
        reverse("wagtailadmin_home"),
        may_enter=request.user.has_perm("wagtailadmin.access_admin"),
    )


@never_cache
def django_admin_login(request: HttpRequest) -> HttpResponse:
    """/django-admin/login/: sign in with allauth, then on to the Django admin."""
    user = request.user
    return _to_sign_in(request, reverse("admin:index"), may_enter=user.is_active and user.is_staff)


@never_cache
def frontend_login(request: HttpRequest) -> HttpResponse:
    """/_util/login/ (Wagtail's login for private pages): allauth's sign-in."""
    return _to_sign_in(request, "")


@never_cache
def admin_password_reset(request: HttpRequest, rest: str = "") -> HttpResponseRedirect:
    """/admin/password_reset/...: allauth's reset, limited per IP and per address."""
    return HttpResponseRedirect(reverse("account_reset_password"))
