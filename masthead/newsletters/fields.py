"""The newsletters app's public form field: other apps build their newsletter choice with it.

Public surface: `NewsletterChoiceField`. Apps call each other through services,
selectors and this module, never through another app's forms (DESIGN.md), so the
registration form (readers) and the newsletters page share one field from here.

Invariant: a reader can tick only a newsletter in the field's queryset, which the caller
takes from `selectors.newsletters_offered` / `newsletters_for_choice` (bounded by
`BoundedModelMultipleChoiceField`); each choice is labelled with the newsletter's name.
"""

from __future__ import annotations

from typing import Any

from masthead.core.numbers import BoundedModelMultipleChoiceField

__all__ = ["NewsletterChoiceField"]


class NewsletterChoiceField(BoundedModelMultipleChoiceField):
    """Newsletters as tick boxes, labelled by name (registration and the account page)."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.name
