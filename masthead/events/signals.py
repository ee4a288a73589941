"""Signal receivers: turn a framework event into one service call (the project's rule).

- Wagtail's `page_published` for an event: `services.event_published` (updated
  invitations when the time or join link changed, promotions when places were added).
- Wagtail's `page_unpublished` (by an editor, a scheduled expiry, or Wagtail itself
  just before it deletes a live page) and Django's `pre_delete` for an event:
  `services.event_cancel`, so its registrants get METHOD:CANCEL once, when the change
  commits (the emails carry what they need of the event, so a deletion is no obstacle).
- allauth's `user_signed_up` and `user_logged_in`: a reader who came from an event's
  "register for the site" or "sign in" link (its `next` carries `?rsvp=<event id>`) is
  registered for that event on arrival. This is how the events app plugs into the
  registration the access wall uses, without importing the readers app: the same
  `next` the wall's links carry brings the reader back to the page.

Invariant: a failure here never breaks publishing, signing up or signing in.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from allauth.account.signals import user_logged_in, user_signed_up
from django.contrib import messages
from django.db.models.signals import pre_delete
from django.utils.translation import gettext as _
from wagtail.signals import page_published, page_unpublished

from masthead.core.numbers import parse_id

logger = logging.getLogger("masthead.events")


def event_id_from_next(next_url: str) -> int | None:
    """The event a `next` address asks to register for (`...?rsvp=<id>`), if any."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//"):
        return None
    values = parse_qs(urlsplit(next_url).query).get("rsvp", [])
    return parse_id(values[0]) if len(values) == 1 else None


def on_page_published(sender: Any, instance: Any, **kwargs: Any) -> None:
    from . import services
    from .models import EventPage

    if not isinstance(instance, EventPage):
        return
    try:
        services.event_published(event_id=instance.pk)
    except Exception:
        logger.exception("could not announce the changes to event %s", instance.pk)


def on_page_unpublished(sender: Any, instance: Any, **kwargs: Any) -> None:
    from . import services
    from .models import EventPage

    if not isinstance(instance, EventPage):
        return
    try:
        services.event_cancel(event_id=instance.pk, reason="unpublished")
    except Exception:
        logger.exception("could not tell the registrants of unpublished event %s", instance.pk)


def on_event_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from . import services

    try:
        services.event_cancel(event_id=instance.pk, reason="deleted")
    except Exception:
        logger.exception("could not tell the registrants of deleted event %s", instance.pk)


def register_on_arrival(request: Any, user: Any, **kwargs: Any) -> None:
    from . import services
    from .models import EventPage

    if request is None:
        return
    event_id = event_id_from_next(request.POST.get("next") or request.GET.get("next") or "")
    if event_id is None:
        return
    event = EventPage.objects.live().public().filter(pk=event_id).first()
    if event is None:
        return
    try:
        registration = services.registration_create(
            event=event, user=user, base_url=request.build_absolute_uri("/")
        )
    except services.RegistrationRefused as refused:
        if refused.code not in ("already", "already-waiting"):
            messages.error(request, refused.message)
        return
    except Exception:
        logger.exception("could not register reader %s for event %s", user.pk, event_id)
        return
    messages.success(request, _success_message(registration))


def _success_message(registration: Any) -> str:
    if registration.status == registration.Status.CONFIRMED:
        return _("You're registered. We've emailed you the invitation.")
    return _("The event is full, so you're on the waiting list. We'll email you if a place opens.")


def connect() -> None:
    from .models import EventPage

    page_published.connect(on_page_published, dispatch_uid="events-page-published")
    page_unpublished.connect(on_page_unpublished, dispatch_uid="events-page-unpublished")
    pre_delete.connect(on_event_deleted, sender=EventPage, dispatch_uid="events-page-deleted")
    user_signed_up.connect(register_on_arrival, dispatch_uid="events-register-on-signup")
    user_logged_in.connect(register_on_arrival, dispatch_uid="events-register-on-login")
