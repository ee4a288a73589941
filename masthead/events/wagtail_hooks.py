"""Events in Wagtail's admin: the registrants page of each event, linked from the page
listing and the page's header."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import ListingButton

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


@hooks.register("masthead_front_page_sections")
def upcoming_events_on_the_front_page(request: Any) -> str:
    """The next events, when an editor switched the list on (the events page's setting)."""
    from .selectors import front_page_events

    events = front_page_events()
    if not events:
        return ""
    return render_to_string("events/includes/front_page.html", {"events": events}, request=request)
