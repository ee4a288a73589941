"""The readers app's account pages: thin views that parse, call a service, and render.

Invariants: every view here requires a signed-in reader (except the farewell page after
erasure) and every response, redirects included, carries `Cache-Control: private,
no-store` (core.account_sections.account_page); every form posts with a CSRF token;
writes happen only in services. The pages are listed in the account navigation by
readers.account_sections.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.usersessions.forms import ManageUserSessionsForm
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import logout
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from masthead.access.selectors import meter_summary
from masthead.core.account_sections import account_page, render_account_page
from masthead.core.http import private_no_store as no_store
from masthead.newsletters import selectors as newsletter_selectors
from masthead.readers.account_sections import TITLES
from masthead.readers.models import ConsentRecord

from . import selectors, services
from .forms import DeleteAccountForm, ProfileForm


def _render(request: HttpRequest, template: str, section: str, **context: Any) -> HttpResponse:
    return render_account_page(
        request, f"readers/account/{template}", title=TITLES[section], context=context
    )


@account_page
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.profile_update(user=user, **form.cleaned_data)
            messages.success(request, _("Your profile has been saved."))
            return redirect("account:profile")
    else:
        form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "date_of_birth": user.date_of_birth,
            }
        )
    confirmed = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    return _render(request, "profile.html", "profile", form=form, email_confirmed=confirmed)


@account_page
@require_GET
def reading(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "reading.html",
        "reading",
        meter=meter_summary(user=request.user, request=request),
    )


@account_page
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "history.html",
        "history",
        consents=ConsentRecord.objects.filter(user=request.user),
        choices=newsletter_selectors.marketing_history(request.user),
    )


@account_page
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # allauth's own form ends every other session (store and record).
        ManageUserSessionsForm({}, request=request).save(request)
        messages.success(request, _("You've been signed out of every other session."))
        return redirect("account:sessions")
    listed = sorted(
        UserSession.objects.purge_and_list(request.user),
        key=lambda s: s.last_seen_at,
        reverse=True,
    )
    current_key = request.session.session_key
    return _render(
        request,
        "sessions.html",
        "sessions",
        sessions=[(s, s.session_key == current_key) for s in listed],
        others=sum(1 for s in listed if s.session_key != current_key),
    )


@account_page
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        payload = json.dumps(
            selectors.personal_data(request.user),
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
            indent=2,
        )
        response = HttpResponse(payload, content_type="application/json; charset=utf-8")
        filename = f"masthead-data-{timezone.localdate():%Y-%m-%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return _render(request, "data.html", "data")


@account_page
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    refused = user.is_staff or user.is_superuser
    needs_code = not user.has_usable_password()
    if request.method == "POST" and not refused and request.POST.get("action") == "send-code":
        if needs_code and ratelimit.consume(request, action="reauthenticate", user=user):
            services.erasure_code_send(user=user, session=request.session)
            messages.success(request, _("We've emailed you a code. It works for 10 minutes."))
        elif needs_code:
            messages.error(request, _("Too many attempts. Wait a few minutes, then try again."))
        return redirect("account:delete")
    if request.method == "POST" and not refused:
        may_try = ratelimit.consume(request, action="reauthenticate", user=user)
        form = DeleteAccountForm(
            request.POST,
            user=user,
            may_try=may_try,
            check_code=lambda code: services.erasure_code_check(
                user=user, session=request.session, code=code
            ),
        )
        if form.is_valid():
            services.account_erase(user=user)
            logout(request)
            return redirect("account:deleted")
    else:
        form = DeleteAccountForm(user=user)
    return _render(
        request, "delete.html", "delete", form=form, refused=refused, needs_code=needs_code
    )


@no_store
@require_GET
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "readers/account/deleted.html")
