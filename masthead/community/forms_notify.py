"""The notification settings form: how the reader wants to hear of each kind.

Invariant: only the deliveries a kind allows are offered and accepted (a reader cannot
switch off moderation decisions about their own comments); anything else is refused
with our message. The form validates; services.notifications saves.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Delivery, NotificationKind
from .services.notifications import ALLOWED_DELIVERY

HINTS = {
    NotificationKind.REPLY: _("Someone answers one of your comments."),
    NotificationKind.MENTION: _("Someone writes @ and your display name in a comment."),
    NotificationKind.FOLLOWED_COMMENT: _("A reader you follow posts a comment or a reply."),
    NotificationKind.THREAD_REPLY: _("Someone replies in a conversation you chose to follow."),
    NotificationKind.FEATURED: _("The editors pick one of your comments as featured."),
    NotificationKind.MODERATION: _(
        "A moderator approves or rejects your comment, or decides about your commenting. "
        "These can't be switched off, so you always know why."
    ),
}


class NotificationPreferencesForm(forms.Form):
    def __init__(self, *args: Any, initial: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, initial=initial, **kwargs)
        for kind in NotificationKind:
            allowed = ALLOWED_DELIVERY[kind.value]
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                help_text=HINTS[kind],
                choices=[(d.value, d.label) for d in Delivery if d.value in allowed],
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose how you want to hear about this."),
                    "invalid_choice": _("Choose one of the options listed."),
                },
            )

    def choices(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in NotificationKind.values}
