"""The editors' forms in the admin: a message to all registrants, a new capacity."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MessageForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        error_messages={"required": _("Write a subject for the message.")},
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Write the message."),
            "max_length": _("Keep the message under 5,000 characters."),
        },
    )

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise forms.ValidationError(_("Write a subject for the message."))
        return subject


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=1_000_000,
        error_messages={
            "required": _("Say how many readers may attend."),
            "invalid": _("Type a whole number of places, such as 50."),
            "min_value": _("An event needs at least one place."),
            "max_value": _("That is more places than an event can have."),
        },
    )
