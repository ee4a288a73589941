"""The reader's name and date-of-birth fields: one source for registration and profile.

Invariant: the registration form (readers.forms.RegistrationForm) and the account
profile (readers.account.forms.ProfileForm) build these fields only through the
factories here, so both accept and refuse exactly the same names and the same typed
dates (`DATE_INPUT_FORMATS`), with the same messages; the rules themselves live in
readers.validators. Only the wording that depends on where the form is (the hint, the
under-age message) differs, and it is passed in.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import validators

# Typed dates, for browsers without a date picker: ISO first (what the picker sends),
# then day-first with the separators people use.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y"]


class PersonNameField(forms.CharField):
    """A first or last name: trimmed, normalised and checked by validate_person_name."""

    def __init__(self, *, noun: Any, autocomplete: str, **kwargs: Any) -> None:
        self.noun = noun
        super().__init__(
            strip=True,
            widget=forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
            error_messages={"required": format_lazy(_("Enter your {noun}."), noun=noun)},
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        return validators.validate_person_name(value, label=str(self.noun))


class DateOfBirthField(forms.DateField):
    """A date of birth typed or picked; 18 or over, checked by validate_date_of_birth.

    `under_age_message` replaces the validator's "to register" wording where the reader
    already has an account.
    """

    default_error_messages = {
        "required": _("Enter your date of birth."),
        "invalid": _("Enter your date of birth as a real date, for example 27/03/1990."),
    }

    def __init__(self, *, under_age_message: Any = None, **kwargs: Any) -> None:
        self.under_age_message = under_age_message
        super().__init__(
            input_formats=DATE_INPUT_FORMATS,
            widget=forms.DateInput(
                format="%Y-%m-%d", attrs={"type": "date", "autocomplete": "bday"}
            ),
            **kwargs,
        )

    def to_python(self, value: Any) -> datetime.date | None:
        if isinstance(value, str):
            value = " ".join(value.split())
        try:
            return super().to_python(value)
        except (OverflowError, ValueError) as error:  # e.g. year 0 or 99999
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error

    def clean(self, value: Any) -> datetime.date:
        born = super().clean(value)
        try:
            return validators.validate_date_of_birth(born, today=timezone.localdate())
        except ValidationError as error:
            if error.code == "under_age" and self.under_age_message:
                raise ValidationError(self.under_age_message, code="under_age") from error
            raise


def first_name_field() -> PersonNameField:
    return PersonNameField(label=_("First name"), noun=_("first name"), autocomplete="given-name")


def last_name_field() -> PersonNameField:
    return PersonNameField(label=_("Last name"), noun=_("last name"), autocomplete="family-name")


def date_of_birth_field(*, help_text: Any, under_age_message: Any = None) -> DateOfBirthField:
    return DateOfBirthField(
        label=_("Date of birth"), help_text=help_text, under_age_message=under_age_message
    )
