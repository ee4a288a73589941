"""The account page's forms: they validate and say what is wrong, and never write.

Invariant: the profile is checked by the same rules as registration
(masthead.readers.validators), so an account can never hold a name or a date of birth
that registration would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.core.numbers import BoundedModelMultipleChoiceField
from masthead.newsletters.models import Newsletter
from masthead.readers import validators


class AccessibleForm(forms.Form):
    """Ties each input to its hint and its error (aria-describedby), marks it invalid.

    The ids match the template (`<id>_helptext`, `<id>_error`), so a screen reader reads
    the message when it reaches the field.
    """

    def full_clean(self) -> None:
        super().full_clean()
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            described = []
            if field.help_text:
                described.append(f"{auto_id}_helptext")
            if self._errors and name in self._errors:
                described.append(f"{auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)


class ProfileForm(AccessibleForm):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=200,  # the 40-character rule is checked after trimming, with our words
        error_messages={"required": _("Enter your first name.")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=200,
        error_messages={"required": _("Enter your last name.")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        help_text=_("For example, 27 3 1990. You must be 18 or over."),
        error_messages={
            "required": _("Enter your date of birth."),
            "invalid": _("Enter your date of birth as a real date, for example 27 3 1990."),
        },
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )

    def clean_first_name(self) -> str:
        return validators.validate_person_name(
            self.cleaned_data["first_name"], label=str(_("first name"))
        )

    def clean_last_name(self) -> str:
        return validators.validate_person_name(
            self.cleaned_data["last_name"], label=str(_("last name"))
        )

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data["date_of_birth"]
        try:
            return validators.validate_date_of_birth(born, today=timezone.localdate())
        except forms.ValidationError as error:
            if error.code == "under_age":
                raise forms.ValidationError(
                    _("You must be 18 or over to have an account."), code="under_age"
                ) from error
            raise


class NewsletterChoiceForm(AccessibleForm):
    newsletters = BoundedModelMultipleChoiceField(
        label=_("Newsletters"),
        queryset=Newsletter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the newsletters listed.")},
    )

    def __init__(self, *args: Any, choices: QuerySet[Newsletter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = choices


class DeleteAccountForm(AccessibleForm):
    """Confirms erasure: the password when the account has one, and an explicit tick."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my data will be erased for good."),
        error_messages={"required": _("Tick the box to confirm you want to delete your account.")},
    )

    code = forms.CharField(
        label=_("The code we emailed you"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        may_try: bool = True,
        check_code: Callable[[str], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        """`may_try` False (rate limit reached) refuses without checking the secret.

        Accounts with a password confirm with it; the others with an emailed code,
        checked by `check_code`.
        """
        super().__init__(*args, **kwargs)
        self.user = user
        self.may_try = may_try
        self.check_code = check_code
        if user.has_usable_password():
            del self.fields["code"]
        else:
            del self.fields["password"]

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "").strip()
        if not code:
            raise forms.ValidationError(_("Enter the code we emailed you."), code="required")
        if not self.may_try:
            raise forms.ValidationError(
                _("Too many attempts. Wait a few minutes, then try again."), code="rate_limited"
            )
        if self.check_code is None or not self.check_code(code):
            raise forms.ValidationError(
                _("That code is not right or has expired. Check it, or ask for a new one."),
                code="wrong",
            )
        return code

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not password:
            raise forms.ValidationError(_("Enter your password."), code="required")
        if not self.may_try:
            raise forms.ValidationError(
                _("Too many attempts. Wait a few minutes, then try again."), code="rate_limited"
            )
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That password is not right. Check it and try again."), code="wrong"
            )
        return password
