"""The account page's forms: they validate and say what is wrong, and never write.

Invariant: the profile is built from registration's own fields (masthead.readers.fields),
so an account can never hold a name or a date of birth that registration would refuse,
and both accept the same typed dates. Django's BoundField ties each input to its hint
and its error (aria-describedby) and marks it invalid; the shared field component
(templates/includes/forms/field.html) carries the ids it points at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from masthead.readers import fields


class ProfileForm(forms.Form):
    """The reader's names and date of birth: registration's own fields (readers.fields)."""

    first_name = fields.first_name_field()
    last_name = fields.last_name_field()
    date_of_birth = fields.date_of_birth_field(
        help_text=_("For example, 27/03/1990. You must be 18 or over."),
        under_age_message=_("You must be 18 or over to have an account."),
    )


class DeleteAccountForm(forms.Form):
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
