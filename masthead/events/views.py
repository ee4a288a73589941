"""Registering, cancelling, joining, and the calendars: thin views over services/selectors.

Invariants:
- Writes are POST only (CSRF-protected) and go through `services`; a refusal is shown
  as the service's message, on the event's page.
- The join view hands out the platform's address only in the join window, by a
  redirect marked private, no-store and no-referrer; its answers are never cached.
- Calendar files for the public carry no join link and no reader.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from masthead.core.account_sections import account_page, render_account_page
from masthead.core.http import private_no_store
from masthead.core.newsroom import newsroom_name

from . import calendars, links, selectors, services
from .models import EventPage, Registration

TITLE = gettext_lazy("Your events")


def _event_or_404(event_id: int) -> EventPage:
    return get_object_or_404(EventPage.objects.live().public(), pk=event_id)


def _back(request: HttpRequest, event: EventPage) -> HttpResponseRedirect:
    return HttpResponseRedirect((event.get_url(request) or "/") + "#registration")


@private_no_store
@require_POST
def register(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    if not request.user.is_authenticated:
        # Without an account: register for the site first, then back here, registered.
        return redirect(selectors.event_page_context(event=event, request=request)["signup_url"])
    try:
        registration = services.registration_create(
            event=event, user=request.user, base_url=request.build_absolute_uri("/")
        )
    except services.RegistrationRefused as refused:
        messages.error(request, refused.message)
        return _back(request, event)
    if registration.status == Registration.Status.CONFIRMED:
        messages.success(request, _("You're registered. We've emailed you the invitation."))
    else:
        messages.warning(
            request,
            _(
                "The event is full, so you're on the waiting list (number %(n)s). We'll "
                "email you if a place opens."
            )
            % {"n": selectors.waiting_position(registration)},
        )
    return _back(request, event)


@private_no_store
@login_required
@require_POST
def cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    try:
        services.registration_cancel(
            event=event, user=request.user, base_url=request.build_absolute_uri("/")
        )
    except services.RegistrationRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Your registration is cancelled."))
    if request.POST.get("from") == "account":
        return redirect("events:mine")
    return _back(request, event)


@private_no_store
@require_GET
def join(request: HttpRequest, token: str) -> HttpResponse:
    registration_id = links.registration_id_from(token)
    registration = (
        Registration.objects.select_related("event", "event__state")
        .filter(pk=registration_id)
        .first()
        if registration_id
        else None
    )
    if registration is None:
        raise Http404(_("This join link is not valid. Use the link in your latest email."))
    event = registration.event
    now = timezone.now()
    state = getattr(event, "state", None)
    window = links.window_for(event.starts_at, event.ends_at)
    context = {
        "event": event,
        "opens_time": date_format(window.opens_at.astimezone(event.zone), "H:i"),
        "opens_date": date_format(window.opens_at.astimezone(event.zone), "l j F"),
        "event_url": event.get_url(request),
        "join_opens_minutes": links.opens_minutes(),
    }
    if state is not None and state.cancelled_at:
        reason = "cancelled"
    elif registration.status != Registration.Status.CONFIRMED or not event.live:
        reason = "not-registered"
    elif not event.join_url:
        reason = "no-link"
    else:
        reason = str(window.at(now))
    if reason == "open":
        response = HttpResponseRedirect(event.join_url)
        response["Referrer-Policy"] = "no-referrer"
        return response
    response = render(request, "events/join.html", {**context, "reason": reason})
    response["Referrer-Policy"] = "no-referrer"
    return response


def _calendar_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_GET
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    if event.starts_at is None:
        raise Http404
    return _calendar_response(calendars.public_calendar([event]), f"event-{event.pk}.ics")


@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    events = selectors.upcoming_events()[:200]
    data = calendars.public_calendar(events, name=_("%(name)s events") % {"name": newsroom_name()})
    return _calendar_response(data, "events.ics")


@account_page
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = (
        Registration.objects.filter(user=request.user)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("event")
        .order_by("event__starts_at")
    )
    upcoming = [r for r in rows if r.event.ends_at and r.event.ends_at >= now]
    past = [r for r in rows if r.event.ends_at and r.event.ends_at < now]
    for row in upcoming:
        row.join_path = links.join_path(row.pk)
        row.cancellable = row.event.starts_at > now
    return render_account_page(
        request,
        "events/account/mine.html",
        title=TITLE,
        context={"upcoming": upcoming, "past": past},
    )
