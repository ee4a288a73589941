"""Editors' pages for one event in Wagtail's admin: registrants, the waiting list, CSV,
attendance, a message to everyone registered, capacity, and cancelling the event.

Invariants: only staff who may edit the event's page see or change anything here (Wagtail's
page permissions); every change is a POST through `services`; the CSV cannot run as a
formula in a spreadsheet (cells starting with = + - @ are quoted).
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from masthead.core.numbers import parse_id

from . import selectors, services
from .forms import CapacityForm, MessageForm
from .models import EventPage

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _event_for_editor(request: HttpRequest, event_id: int) -> EventPage:
    event = get_object_or_404(EventPage, pk=event_id)
    if not event.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    return event


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def registrants_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_for_editor(request, event_id)
    rows = selectors.registrants(event)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-registrants.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                _("First name"),
                _("Last name"),
                _("Email"),
                _("Status"),
                _("Waiting list"),
                _("Registered at"),
                _("Attended"),
            ]
        )
        position = 0
        for row in rows:
            waiting = ""
            if row.status == row.Status.WAITING:
                position += 1
                waiting = str(position)
            writer.writerow(
                [
                    _safe_cell(v)
                    for v in (
                        row.user.first_name,
                        row.user.last_name,
                        row.user.email,
                        row.get_status_display(),
                        waiting,
                        row.queued_at.isoformat(),
                        _("yes") if row.attended else _("no"),
                    )
                ]
            )
        return response
    return _render(
        request, event, MessageForm(), CapacityForm(initial={"capacity": event.capacity})
    )


def _render(
    request: HttpRequest, event: EventPage, message_form: MessageForm, capacity_form: CapacityForm
) -> TemplateResponse:
    rows = list(selectors.registrants(event))
    return TemplateResponse(
        request,
        "events/admin/registrants.html",
        {
            "event": event,
            "page_title": _("Registrants: %(title)s") % {"title": event.title},
            "confirmed": [r for r in rows if r.status == r.Status.CONFIRMED],
            "waiting": [r for r in rows if r.status == r.Status.WAITING],
            "cancelled_count": sum(r.status == r.Status.CANCELLED for r in rows),
            "event_cancelled": selectors.is_cancelled(event),
            "message_form": message_form,
            "capacity_form": capacity_form,
        },
    )


@require_POST
def attendance_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_for_editor(request, event_id)
    registration_id = parse_id(request.POST.get("registration"))
    attended = request.POST.get("attended") == "1"
    if registration_id is None or not services.attendance_set(
        event=event, registration_id=registration_id, attended=attended
    ):
        messages.error(request, _("That reader is not registered for this event."))
    return redirect("events_admin_registrants", event_id=event.pk)


@require_POST
def message_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_for_editor(request, event_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        response = _render(request, event, form, CapacityForm(initial={"capacity": event.capacity}))
        response.status_code = 400
        return response
    services.message_send(event=event, **form.cleaned_data)
    messages.success(request, _("Your message is on its way to everyone registered."))
    return redirect("events_admin_registrants", event_id=event.pk)


@require_POST
def capacity_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_for_editor(request, event_id)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        response = _render(request, event, MessageForm(), form)
        response.status_code = 400
        return response
    capacity = form.cleaned_data["capacity"]
    with transaction.atomic():
        # The live page and its latest revision both get the new number, so a later
        # publish of the draft keeps it.
        EventPage.objects.filter(pk=event.pk).update(capacity=capacity)
        revision = event.latest_revision
        if revision is not None and isinstance(revision.content, dict):
            revision.content["capacity"] = capacity
            revision.save(update_fields=["content"])
        services.event_published(event_id=event.pk)
    confirmed = selectors.counts(event)["confirmed"]
    if confirmed > capacity:
        messages.warning(
            request,
            _(
                "Capacity is now %(n)s, but %(c)s readers are already registered: nobody "
                "loses their place, and nobody new gets one until the number falls below it."
            )
            % {"n": capacity, "c": confirmed},
        )
    else:
        messages.success(request, _("Capacity is now %(n)s.") % {"n": capacity})
    return redirect("events_admin_registrants", event_id=event.pk)


@require_POST
def cancel_event_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_for_editor(request, event_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the event is cancelled."))
        return redirect("events_admin_registrants", event_id=event.pk)
    told = services.event_cancel(event_id=event.pk)
    messages.success(
        request, _("The event is cancelled. %(n)s readers are being told.") % {"n": told}
    )
    return redirect("events_admin_registrants", event_id=event.pk)
