"""The shared field component's input (templates/includes/forms/field.html).

`{% field_input field hint_text hint_template as input %}`: the field's input, described
by the hint the component draws.

Invariant: a hint drawn beside an input is named in the input's aria-describedby (with
the error message's id when there is one), so a screen reader reads it. Django's
BoundField only names `<id>_helptext` when the field has `help_text`; the component
can draw a hint without it (`hint=`, `hint_template=`), and then this tag names it.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field_input(field: BoundField, *hints: object) -> SafeString:
    """The input, with `<id>_helptext` in aria-describedby when any of `hints` is drawn."""
    if not any(hints) or field.help_text or not field.auto_id:
        return field.as_widget()  # Django already names the help text and the error.
    own = str(field.field.widget.attrs.get("aria-describedby", "")).split()
    ids = [*own, f"{field.auto_id}_helptext"]
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return field.as_widget(attrs={"aria-describedby": " ".join(dict.fromkeys(ids))})
