"""Events for tests: the listing page under the test newsroom's home, and published events.

Invariant: every page is built through Wagtail's tree API and published, as an editor's
would be (so `page_published` fires and the event's state row records what was announced).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from masthead.events.models import EventIndexPage, EventPage
from masthead.events.timing import wall_time
from masthead.readers.tests.factories import ReaderFactory
from rigs.newsroom import make_home

_counter = itertools.count(1)

__all__ = ["ReaderFactory", "make_event", "make_index", "move_start", "publish", "set_deadline"]


def make_index(**fields: Any) -> EventIndexPage:
    existing = EventIndexPage.objects.first()
    if existing is not None:
        return existing
    home = make_home()
    index = EventIndexPage(title="Events", slug="events", show_in_menus=True, **fields)
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def publish(page: Any) -> Any:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def set_times(page: EventPage, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """The start and end typed as an editor would: wall times in the event's timezone."""
    page.start_date, page.start_time, page.start_occurrence = wall_time(starts_at, page.time_zone)
    page.end_date, page.end_time, page.end_occurrence = wall_time(ends_at, page.time_zone)


def move_start(page: EventPage, by: dt.timedelta) -> None:
    """The editor moves the start by `by` and keeps the end: across midnight too, as the
    date and the time are typed together (moving the time alone would wrap at midnight)."""
    set_times(page, page.starts_at + by, page.ends_at)


def set_deadline(page: EventPage, deadline: dt.datetime | None) -> None:
    """The deadline typed as an editor would: its wall time in the event's timezone."""
    if deadline is None:
        page.deadline_date = page.deadline_time = None
        page.deadline_occurrence = ""
        return
    page.deadline_date, page.deadline_time, page.deadline_occurrence = wall_time(
        deadline, page.time_zone
    )


def make_event(
    *,
    starts_in: dt.timedelta = dt.timedelta(days=3),
    hours: float = 1,
    capacity: int = 10,
    time_zone: str = "Europe/London",
    join_url: str = "https://meet.example/room-42",
    now: dt.datetime | None = None,
    **fields: Any,
) -> EventPage:
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    deadline = fields.pop("registration_deadline", None)
    n = next(_counter)
    event = EventPage(
        title=fields.pop("title", f"Ask the newsroom {n}"),
        slug=f"event-{n}",
        standfirst="Our reporters answer your questions, live.",
        description="<p>Bring your questions.</p>",
        time_zone=time_zone,
        capacity=capacity,
        join_url=join_url,
        **fields,
    )
    set_times(event, now + starts_in, now + starts_in + dt.timedelta(hours=hours))
    set_deadline(event, deadline)
    make_index().add_child(instance=event)
    return publish(event)
