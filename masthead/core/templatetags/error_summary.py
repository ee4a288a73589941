"""`{{ message|naming_field:field.label }}`: an error summary line that names its field.

Invariant: every line of an error summary says which field it is about, so a form with
several empty fields never lists the same words ("This field is required.") twice. A
message that already names the field (ours: "Enter your current password.") is left as
it is; any other is prefixed with the field's label.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def naming_field(message: object, label: object) -> str:
    text, name = str(message), str(label or "").strip()
    if not name or name.casefold() in text.casefold():
        return text
    return gettext("%(field)s: %(message)s") % {"field": name, "message": text}
