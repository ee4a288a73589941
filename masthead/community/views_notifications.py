"""The reader's notifications and their settings, and the one-click unsubscribe: thin views.

Invariants:
- The list and the settings are account pages (signed-in readers only, never cached);
  a reader reads and marks only their own notifications.
- Every change is a POST with a CSRF token, except the unsubscribe link's POST: mail
  systems send it without one (RFC 8058), and its signed token is the only authority it
  needs (it can only turn that email off). Its GET only asks for confirmation, so a
  link scanner following it changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from masthead.core.account_sections import account_page, render_account_page
from masthead.core.http import private_no_store
from masthead.core.numbers import parse_id

from . import selectors_notifications as selectors
from .forms_notify import NotificationPreferencesForm
from .models import NotificationKind
from .services import notifications as services
from .services.errors import CommunityError

TITLE = gettext_lazy("Notifications")
SETTINGS_TITLE = gettext_lazy("Notification settings")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@account_page
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    before = parse_id(request.GET["before"]) if "before" in request.GET else None
    page = selectors.notifications_page(request.user, before=before)
    return render_account_page(
        request,
        "community/notifications/list.html",
        title=TITLE,
        context={"page": page, "before": before},
    )


def _back_to_list(request: HttpRequest) -> HttpResponse:
    url = reverse("community:notifications")
    before = parse_id(request.POST.get("before", ""))
    return redirect(f"{url}?before={before}" if before else url)


@account_page
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notification_read(user=request.user, notification_id=notification_id)
    if _wants_json(request):
        return JsonResponse({"unread": selectors.unread_count(request.user)})
    return _back_to_list(request)


@account_page
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_read_all(user=request.user)
    if _wants_json(request):
        return JsonResponse({"unread": 0})
    if count:
        messages.success(request, _("All your notifications are marked as read."))
    return _back_to_list(request)


@account_page
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = services.preferences_for(request.user)
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST, initial=current)
        if form.is_valid():
            try:
                services.preferences_set(user=request.user, choices=form.choices())
            except CommunityError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your notification settings have been saved."))
                return redirect("community:notification-preferences")
    else:
        form = NotificationPreferencesForm(initial=current)
    return render_account_page(
        request,
        "community/notifications/preferences.html",
        title=SETTINGS_TITLE,
        context={"form": form},
    )


def _kind_label(kind: str) -> str:
    if kind == services.DIGEST:
        return _("the daily email of comment notifications")
    return str(NotificationKind(kind).label)


@csrf_exempt
@private_no_store
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    template = "community/notifications/unsubscribe.html"
    try:
        if request.method == "POST":
            _user, kind, _changed = services.unsubscribe(token=token)
            return render(request, template, {"done": True, "what": _kind_label(kind)})
        _user, kind = services.unsubscribe_read(token)
    except CommunityError as error:
        return render(request, template, {"error": error.message}, status=400)
    return render(request, template, {"what": _kind_label(kind), "token": token})
