"""The newsletters app's forms: they validate and say what is wrong, and never write.

Invariants: a reader can tick only a newsletter the page offered them
(selectors.newsletters_for_choice); anything else is refused with our message. The open
sign-up form runs registration's own checks (core.person_checks: the same bot check,
network limits and address rules), keeps the typed address when it is refused, and
never says whether the address is already subscribed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from masthead.core import person_checks

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


HONEYPOT_FIELD = "reference"
LIMIT_MESSAGES = {
    "ip": lambda: gettext(
        "There have been too many sign-ups from your network in the last few minutes. "
        "Wait a few minutes and try again."
    ),
    "global": lambda: gettext(
        "We're getting a great many sign-ups just now. Wait a few minutes and try again."
    ),
}


class OpenSignupForm(forms.Form):
    """An address for an open newsletter, from someone who may have no account."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We'll email you a link to confirm it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address in the right format, like name@example.com."),
            "max_length": _("Your email address must be %(limit_value)d characters or fewer."),
        },
    )

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.checks = person_checks.get()
        # Honeypot: invisible to people (and to assistive technology), tempting to bots.
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label=gettext("Leave this field empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.bot_check = self.checks.bot_check()
        self.fields[self.bot_check.field_name] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )

    @property
    def is_bot(self) -> bool:
        """A filled honeypot: answer as if it worked, do nothing."""
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))

    @property
    def honeypot(self) -> forms.BoundField:
        return self[HONEYPOT_FIELD]

    @property
    def bot_check_widget(self) -> Any:
        return self.bot_check.widget()

    @property
    def bot_check_field(self) -> forms.BoundField:
        return self[self.bot_check.field_name]

    def error_summary(self) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = [("", str(m)) for m in self.non_field_errors()]
        for message in self.errors.get("email", []):
            rows.append(("id_email", str(message)))
        for message in self.errors.get(self.bot_check.field_name, []):
            rows.append(("botcheck", str(message)))
        return rows

    def clean_email(self) -> str:
        if self.request is not None:
            # Counted with registrations, before the address is looked at.
            refused = self.checks.attempt(self.request)
            if refused:
                raise ValidationError(LIMIT_MESSAGES[refused](), code="rate_limited")
        return self.checks.email_normalise(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get(HONEYPOT_FIELD):
            return cleaned
        answer = self.data.get(self.bot_check.field_name, "")
        ip = self.checks.client_ip(self.request) if self.request is not None else None
        if not self.bot_check.verify(answer, remote_ip=ip):
            self.add_error(
                self.bot_check.field_name,
                gettext(
                    "We couldn't confirm you're a person. Make sure JavaScript is on, wait "
                    "for the check under the form to finish, then press Subscribe again."
                ),
            )
        return cleaned
