"""The newsletters app's forms: they validate and say what is wrong, and never write.

Invariant: a reader can tick only a newsletter the page offered them
(selectors.newsletters_for_choice); anything else is refused with our message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .fields import NewsletterChoiceField
from .models import Newsletter


class NewsletterChoiceForm(forms.Form):
    newsletters = NewsletterChoiceField(
        label=_("Newsletters"),
        queryset=Newsletter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the newsletters listed.")},
    )

    def __init__(self, *args: Any, choices: QuerySet[Newsletter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = choices
