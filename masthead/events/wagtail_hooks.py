"""Events in Wagtail's admin: the registrants page of each event, linked from the page
listing and the page's header."""

from __future__ import annotations

import time
from typing import Any

from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import ListingButton

from masthead.core.render_cache import cached_fragment, pages_generation

from . import admin_views
from .models import EventPage


@hooks.register("register_admin_urls")
def register_event_admin_urls() -> list[Any]:
    return [
        path(
            "events/<id:event_id>/registrants/",
            admin_views.registrants_view,
            name="events_admin_registrants",
        ),
        path(
            "events/<id:event_id>/attendance/",
            admin_views.attendance_view,
            name="events_admin_attendance",
        ),
        path(
            "events/<id:event_id>/message/", admin_views.message_view, name="events_admin_message"
        ),
        path(
            "events/<id:event_id>/capacity/",
            admin_views.capacity_view,
            name="events_admin_capacity",
        ),
        path(
            "events/<id:event_id>/cancel/",
            admin_views.cancel_event_view,
            name="events_admin_cancel",
        ),
    ]


@hooks.register("register_page_listing_buttons")
def registrants_button(page: Any, user: Any, next_url: str | None = None) -> Any:
    if page.specific_class is EventPage and page.permissions_for_user(user).can_edit():
        yield ListingButton(
            _("Registrants"),
            reverse("events_admin_registrants", kwargs={"event_id": page.pk}),
            icon_name="group",
            priority=30,
        )


# The front page's list of events is shared by every reader who sees the same times,
# and is rendered afresh at least this often (an event that has ended drops off).
FRONT_PAGE_SECONDS = 60


@hooks.register("masthead_front_page_sections")
def upcoming_events_on_the_front_page(request: Any) -> str:
    """The next events, when an editor switched the list on (the events page's setting).

    Rendered once a minute per pages generation (a publish, move, unpublish or a
    cancellation changes it: `services.event_cancel`), language and the reader's chosen
    timezone (the only thing on it that differs between readers), so the front page does
    not query for it on every request."""
    from .selectors import front_page_events, reader_zone

    zone = reader_zone(request)[0]
    minute = int(time.time() // FRONT_PAGE_SECONDS)
    key = f"events:front:{pages_generation(request)}:{get_language()}:{zone}:{minute}"

    def render() -> str:
        events = front_page_events()
        if not events:
            return ""
        return render_to_string(
            "events/includes/front_page.html", {"events": events}, request=request
        )

    return cached_fragment(key, render, request, seconds=FRONT_PAGE_SECONDS)
