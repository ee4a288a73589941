"""The error summary's helpers (templates/includes/forms/error_summary.html).

`{{ message|naming_field:field.label }}`: an error summary line that names its field.
`{% error_anchor field %}`: the id a summary link points at, so following it lands on
something that takes focus.

Invariants: every line of an error summary says which field it is about, so a form
with several empty fields never lists the same words ("This field is required.")
twice. A message that already names the field (ours: "Enter your current password.")
is left as it is; any other is prefixed with the field's label. A group of tick boxes
or radios is linked through its first choice (the group itself has no id).
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.translation import gettext

register = template.Library()


@register.filter
def naming_field(message: object, label: object) -> str:
    text, name = str(message), str(label or "").strip()
    if not name or name.casefold() in text.casefold():
        return text
    return gettext("%(field)s: %(message)s") % {"field": name, "message": text}


@register.simple_tag
def error_anchor(field: BoundField) -> str:
    if field.use_fieldset and field.auto_id:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id or ""
