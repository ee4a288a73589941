"""Numbers taken from a request, range-checked before they reach the database.

Invariant: an id from a URL, a form or a query string is a whole number from 1 to
2**63 - 1 (a signed 64-bit column, the widest any of our databases has) before any
query sees it; anything else is "not found" or the form's own "choose from the list"
message. PostgreSQL would refuse larger numbers itself, but SQLite (what `make demo`
runs) has no range for Django to check against, and Python's sqlite3 raises
OverflowError, a 500, for anything past 64 bits.

- `id` is a path converter (registered in masthead/urls.py) for every route that
  takes an id: `path("articles/<id:article_id>/body/", ...)`.
- `parse_id` is the same rule for a value from request.GET or request.POST.
- `BoundedModelChoiceField` and `BoundedModelMultipleChoiceField` are Django's model
  choice fields that check each submitted primary key the same way first.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

ID_MAX = 2**63 - 1
# 19 digits hold every number up to ID_MAX (and some above, which to_python refuses).
ID_PATTERN = "[0-9]{1,19}"


def parse_id(value: Any) -> int | None:
    """`value` as an id (1..ID_MAX), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        # ASCII digits only: int() would also take "١٢", "+1", "1_000" and huge strings.
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 1 <= number <= ID_MAX else None


class IdConverter:
    """A path converter for ids: ASCII digits, 1..ID_MAX; anything else is a 404."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # Django treats it as "no match": a 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def _is_integer_key(queryset: Any, key: str) -> bool:
    field = queryset.model._meta.pk if key == "pk" else queryset.model._meta.get_field(key)
    field = getattr(field, "target_field", field)  # a one-to-one primary key (Wagtail pages)
    return isinstance(field, models.IntegerField)


class _BoundedKeys:
    """Refuses out-of-range or non-numeric keys the way an unknown choice is refused."""

    queryset: Any
    to_field_name: str | None
    error_messages: dict[str, Any]

    def _refuse_unless_id(self, value: Any) -> None:
        if value in (None, ""):
            return
        if _is_integer_key(self.queryset, self.to_field_name or "pk") and parse_id(value) is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(value)[:40]},
            )


class BoundedModelChoiceField(_BoundedKeys, forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            self._refuse_unless_id(value)
        return super().to_python(value)


class BoundedModelMultipleChoiceField(_BoundedKeys, forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        if isinstance(value, (list, tuple, set, frozenset)):
            for each in value:
                self._refuse_unless_id(each)
        return super()._check_values(value)
