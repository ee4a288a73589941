"""Open newsletters in articles: what content's sign-up box offers (content.signup_boxes,
registered in wagtail_hooks), the box every reader gets, and what retires it.

Invariants:
- A box offers an open newsletter (anyone, with double opt-in) and nothing else. A list
  for registered readers only is no offer, nor is a deleted one: their boxes render
  nothing, and an editor cannot save a box that names one.
- The box rendered here is cached with the article's body and shared by every reader:
  it holds nothing about the reader and no CSRF token. Its slot links to the sign-up
  page; the page's script fills it from `box_views.signup_box` (private, never stored)
  with this reader's part: the form, one-click subscribe, or "you're subscribed".
- A change to a newsletter (its name, description, audience) or its deletion retires
  every cached body and shell once the change commits (the pages generation) and
  purges the pages filed under its offer's cache tag from shared caches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from masthead.access.api import purge_later
from masthead.content.signup_boxes import offer_value
from masthead.core.cache_tags import offer_tag
from masthead.core.numbers import parse_id
from masthead.core.render_cache import pages_changed

from .models import Newsletter
from .selectors import open_newsletters

KIND = "newsletter"


class NewsletterBoxes:
    """The provider content's sign-up boxes ask (content.signup_boxes.SignupBoxProvider)."""

    kind = KIND

    def choices(self) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in open_newsletters().values_list("pk", "name")]

    def offers(self, keys: Iterable[str]) -> dict[str, Newsletter]:
        ids = {pk for key in keys if (pk := parse_id(key)) is not None}
        if not ids:
            return {}
        return {str(n.pk): n for n in open_newsletters().filter(pk__in=ids)}

    def render(self, offer: Any, *, heading: str, text: str, box_id: str) -> SafeString:
        return mark_safe(  # a template's output, escaped by it
            render_to_string(
                "newsletters/signup_box/box.html",
                {"newsletter": offer, "heading": heading, "text": text, "box_id": box_id},
            )
        )


PROVIDER = NewsletterBoxes()


def offer_for(newsletter: Newsletter) -> str:
    """What a sign-up box stores to offer `newsletter` (the demo builds boxes with it)."""
    return offer_value(KIND, newsletter.pk)


def newsletter_changed(sender: Any, instance: Newsletter, **kwargs: Any) -> None:
    """Signal receiver (post_save, post_delete): boxes showing this newsletter are
    rendered afresh, or not at all (see the module docstring)."""
    transaction.on_commit(pages_changed)
    purge_later([], tags=[offer_tag(KIND, instance.pk)])
