"""The reader's account page: thin views that parse, call a service, and render.

Invariants: every view here requires a signed-in reader (except the farewell page after
erasure) and every response, redirects included, carries `Cache-Control: private,
no-store`; every form posts with a CSRF token; writes happen only in services.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.usersessions.forms import ManageUserSessionsForm
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from masthead.core.http import private_no_store as no_store
from masthead.newsletters import selectors as newsletter_selectors
from masthead.readers import privacy
from masthead.readers.models import ConsentRecord

from . import services
from .forms import DeleteAccountForm, NewsletterChoiceForm, ProfileForm

View = Callable[..., HttpResponseBase]


def account_page(view: View) -> View:
    """Signed-in readers only; never cached."""
    return no_store(login_required(view))


TITLES = {
    "profile": gettext_lazy("Your profile"),
    "newsletters": gettext_lazy("Newsletters and email"),
    "reading": gettext_lazy("Your premium articles"),
    "history": gettext_lazy("Consent history"),
    "sessions": gettext_lazy("Where you're signed in"),
    "data": gettext_lazy("Download your data"),
    "delete": gettext_lazy("Delete your account"),
}


def _render(request: HttpRequest, template: str, section: str, **context: Any) -> HttpResponse:
    title = TITLES[section]
    form = context.get("form")
    if form is not None and form.errors:
        # Screen readers announce the title first: say at once that something is wrong.
        title = _("Error: %(title)s") % {"title": title}
    context = {"section": section, "page_title": title, **context}
    return render(request, f"readers/account/{template}", context)


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
@require_http_methods(["GET", "POST"])
def newsletters(request: HttpRequest) -> HttpResponse:
    user = request.user
    choices = newsletter_selectors.newsletters_for_choice(user)
    if request.method == "POST":
        form = NewsletterChoiceForm(request.POST, choices=choices)
        if form.is_valid():
            services.newsletters_choose(user=user, newsletters=form.cleaned_data["newsletters"])
            messages.success(request, _("Your newsletter choices have been saved."))
            return redirect("account:newsletters")
    else:
        current = [s.newsletter for s in newsletter_selectors.subscriptions_for(user)]
        form = NewsletterChoiceForm(initial={"newsletters": current}, choices=choices)
    return _render(
        request,
        "newsletters.html",
        "newsletters",
        form=form,
        stopped=newsletter_selectors.marketing_stopped(user),
    )


@account_page
@require_POST
def marketing_switch(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "stop":
        services.marketing_stop(user=request.user)
        messages.success(request, _("We won't send you any marketing email."))
    elif request.POST.get("action") == "allow":
        services.marketing_allow(user=request.user)
        messages.success(
            request, _("Marketing email is allowed again. Choose the newsletters you want.")
        )
    return redirect("account:newsletters")


@account_page
@require_GET
def reading(request: HttpRequest) -> HttpResponse:
    from masthead.access.selectors import meter_summary

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
            privacy.export_for(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
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
