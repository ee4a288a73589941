"""The registration form: the newsroom's rules, applied on the server (the authority).

Invariants:
- Every field's message is ours, says what to fix, and belongs to that field; a
  re-rendered form keeps everything typed except the password and the bot-check answer
  (a solved challenge is good once, so the page solves a fresh one).
- An address that already has an account, in any letter case, never changes what the
  page says beyond "check your inbox": no account is created, the owner is emailed a
  notice with a sign-in link, and an Argon2 hash is still computed so the response
  takes as long as a real registration. A lost race for the same address (two
  requests at once) ends the same way, through the database constraint.
- A filled honeypot, too, looks like success to the bot and creates nothing.
- The per-address signup limit and the bot check run before any account is created;
  the per-network and site-wide limits (readers.signup_limits) before the address is
  even looked up.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.forms import (
    ChangePasswordForm,
    ConfirmLoginCodeForm,
    LoginForm,
    ReauthenticateForm,
    RequestLoginCodeForm,
    ResetPasswordForm,
    ResetPasswordKeyForm,
    SetPasswordForm,
    SignupForm,
)
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from masthead.core.templatetags.error_summary import error_anchor, naming_field
from masthead.newsletters.fields import NewsletterChoiceField
from masthead.newsletters.selectors import newsletters_offered

from . import addresses, fields, validators
from .botcheck import BotCheck, bot_check
from .models import LegalDocument
from .ratelimit import client_ip, limit_source
from .services import SIGNUP_SOURCE, AddressTaken, Origin, legal_pages_in_force, reader_register
from .signin_addresses import account_holding, accounts_answering_to
from .signup_limits import signup_attempt

HONEYPOT_FIELD = "reference"
SIGNUP_LIMIT_MESSAGES = {
    "ip": lambda: gettext(
        "There have been too many registrations from your network in the last few "
        "minutes. Wait a few minutes and try again."
    ),
    "global": lambda: gettext(
        "We're getting a great many registrations just now. Wait a few minutes and try again."
    ),
}


def _request() -> HttpRequest | None:
    return allauth_context.request


def email_normalise(value: str) -> str:
    """The stored form of a typed address (readers.addresses); ValidationError if none.

    The local part is lower-cased as well as the domain, because allauth looks
    addresses up in lower case (password reset, sign-in by code, its EmailAddress
    rows): an account stored as "Zoe@..." would never get its reset email. The domain
    is IDNA 2008-mapped, so one mailbox typed two ways is one account.
    """
    return addresses.email_normalise(value)


class ReaderEmailField(forms.EmailField):
    default_error_messages = {
        "required": _("Enter your email address."),
        "invalid": _("Enter an email address in the right format, like name@example.com."),
        "max_length": _("Your email address must be %(limit_value)d characters or fewer."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault(
            "widget",
            forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return email_normalise(super().to_python(value))


class RegistrationForm(SignupForm):
    """allauth's signup form with our fields and rules (ACCOUNT_FORMS["signup"])."""

    email = ReaderEmailField(label=_("Email address"))
    first_name = fields.first_name_field()
    last_name = fields.last_name_field()
    date_of_birth = fields.date_of_birth_field(help_text=_("You must be 18 or over to register."))
    newsletters = NewsletterChoiceField(
        label=_("Newsletters"),
        queryset=newsletters_offered(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["email", "password1", "first_name", "last_name", "date_of_birth", "newsletters"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = gettext("Email address")
        self.fields["email"].help_text = gettext(
            "We'll send a link to confirm it. We never show it to other readers."
        )
        password = self.fields["password1"]
        password.label = gettext("Password")
        password.help_text = validators.PasswordRulesValidator().get_help_text()
        password.error_messages["required"] = gettext("Enter a password.")
        password.widget.attrs.pop("placeholder", None)
        password.widget.attrs.update({"autocomplete": "new-password", "spellcheck": "false"})
        # Honeypot: invisible to people (and to assistive technology), tempting to bots.
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label=gettext("Leave this field empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.bot_check: BotCheck = bot_check()
        self.fields[self.bot_check.field_name] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )

    # -- rendering helpers ---------------------------------------------------------------
    @property
    def legal_pages(self) -> dict[str, Any]:
        if not hasattr(self, "_legal_pages"):
            self._legal_pages = legal_pages_in_force()
        return self._legal_pages

    @property
    def consent_links(self) -> dict[str, str]:
        """Each legal document's name, linked to its live page when there is one."""
        links: dict[str, str] = {}
        for document in LegalDocument:
            page = self.legal_pages.get(document.value)
            label = str(document.label)
            links[document.value] = (
                format_html('<a href="{}">{}</a>', page.url, label) if page else label
            )
        return links

    @property
    def bot_check_widget(self) -> Any:
        return self.bot_check.widget()

    @property
    def honeypot(self) -> forms.BoundField:
        return self[HONEYPOT_FIELD]

    @property
    def bot_check_field(self) -> forms.BoundField:
        return self[self.bot_check.field_name]

    @property
    def person_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("email", "password1", "first_name", "last_name")]

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor id, message) for every error, in field order, for the summary box."""
        rows: list[tuple[str, str]] = []
        for message in self.non_field_errors():
            rows.append(("", message))
        for name, field in self.fields.items():
            if name == HONEYPOT_FIELD or name not in self.errors:
                continue
            # The bot check is a hidden input: its box (id "botcheck") takes the focus.
            anchor = "botcheck" if name == self.bot_check.field_name else error_anchor(self[name])
            for message in self.errors[name]:
                rows.append((anchor, naming_field(message, field.label)))
        return rows

    # -- cleaning -------------------------------------------------------------------------
    def clean_email(self) -> str:
        request = _request()
        if request is not None:
            # Per network address and in all, tighter under a burst; decided before the
            # address is even looked at (readers.signup_limits).
            verdict = signup_attempt(limit_source(request))
            if not verdict.allowed:
                raise ValidationError(SIGNUP_LIMIT_MESSAGES[verdict.reason](), code="rate_limited")
        value = self.cleaned_data["email"]
        value = get_adapter().clean_email(value)
        if request is not None and not ratelimit.consume(
            request, action="signup_address", key=value.lower()
        ):
            raise ValidationError(
                gettext(
                    "There have been too many attempts to register with this address. "
                    "Wait a few minutes and try again."
                ),
                code="rate_limited",
            )
        return self.validate_unique_email(value)

    def validate_unique_email(self, value: str) -> str:
        """Note an existing account (any letter case) without ever saying so.

        allauth, with optional verification, would put "already registered" on the
        page; our policy is the inbox notice instead (see `try_save`).
        """
        # An account holds the address (the same mailbox, whatever form was typed),
        # or another reader has *verified* it. Someone else's unverified secondary
        # address must not block its owner from registering.
        self.account_already_exists = account_holding(value) is not None
        return value

    def clean_password1(self) -> str:
        password = self.cleaned_data.get("password1", "")
        if len(password) > validators.PASSWORD_MAX_LENGTH:
            # Refused before any validator or hasher sees it.
            raise ValidationError(validators.password_problems(password))
        return password

    def clean(self) -> dict[str, Any]:
        # BaseSignupForm.clean (email2/phone), skipping SignupForm.clean: its password
        # check builds a user without the names, and the names matter for similarity.
        cleaned = super(SignupForm, self).clean()
        password = cleaned.get("password1")
        if password:
            user = get_user_model()(
                email=cleaned.get("email") or "",
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.add_error("password1", error)
        if not self._bot_check_passed():
            self.add_error(self.bot_check.field_name, self.bot_check.failure_message())
        return cleaned

    def _bot_check_passed(self) -> bool:
        if self.cleaned_data.get(HONEYPOT_FIELD):
            return True  # handled in try_save: the bot is shown a fake success
        answer = self.data.get(self.bot_check.field_name, "")
        request = _request()
        return self.bot_check.verify(answer, remote_ip=client_ip(request) if request else None)

    # -- saving ---------------------------------------------------------------------------
    def try_save(self, request: HttpRequest) -> tuple[Any, HttpResponse | None]:
        adapter = get_adapter()
        if self.cleaned_data.get(HONEYPOT_FIELD):
            make_password(self.cleaned_data["password1"])
            return None, adapter.respond_email_verification_sent(request, None)
        if self.account_already_exists:
            return None, self._respond_existing(request)
        try:
            user = self.save(request)
        except AddressTaken:
            return None, self._respond_existing(request)
        return user, None

    def _respond_existing(self, request: HttpRequest) -> HttpResponse:
        # The same Argon2 work a real registration does, so timing tells nothing.
        make_password(self.cleaned_data["password1"])
        email = self.cleaned_data["email"]
        # One notice per address per cooldown, so nobody can flood an inbox with them.
        if ratelimit.consume(request, action="confirm_email", key=email.lower()):
            get_adapter().send_account_already_exists_mail(email)
        return get_adapter().respond_email_verification_sent(request, None)

    def save(self, request: HttpRequest) -> Any:
        data = self.cleaned_data
        return reader_register(
            email=data["email"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            newsletters=data.get("newsletters") or [],
            origin=Origin.from_request(request, source=SIGNUP_SOURCE),
            base_url=request.build_absolute_uri("/"),
        )


class ReaderLoginForm(LoginForm):
    """allauth's sign-in form with our labels (ACCOUNT_FORMS["login"])."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = gettext("Email address")
        login.widget.attrs.pop("placeholder", None)
        login.error_messages["required"] = gettext("Enter your email address.")
        password = self.fields["password"]
        password.label = gettext("Password")
        password.widget.attrs.pop("placeholder", None)
        password.error_messages["required"] = gettext("Enter your password.")
        password.help_text = ""

    def clean_login(self) -> str:
        # The stored form, so `x@BÜCHER.example` finds `x@xn--bcher-kva.example`.
        return addresses.email_lookup_form(super().clean_login())


def plain_email_field(form: forms.Form, *, label: Any = None, required: Any = None) -> None:
    """Our label and messages (the registration form's, ReaderEmailField's, unless
    `label` or the `required` message is given) on an allauth email field, without a
    placeholder."""
    messages = ReaderEmailField.default_error_messages
    field = form.fields["email"]
    field.label = label or gettext("Email address")
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs["autocomplete"] = "email"
    field.error_messages["required"] = required or messages["required"]
    field.error_messages["invalid"] = messages["invalid"]
    # Django's email field takes 320 characters; an address is stored in 254 (the
    # account's and allauth's column), so a longer one is refused here with our words
    # rather than failing to save.
    limit = ReaderEmailField().max_length
    field.max_length = limit
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)] + [
        MaxLengthValidator(limit)
    ]
    field.widget.attrs["maxlength"] = str(limit)
    field.error_messages["max_length"] = messages["max_length"]


class ReaderRequestLoginCodeForm(RequestLoginCodeForm):
    """allauth's "email me a sign-in code" form with our wording."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_email_field(self)

    def clean_email(self) -> str:
        email = super().clean_email()
        if email:
            # A code goes only to an address the account owns (readers.signin_addresses).
            users = accounts_answering_to(email, is_active=True)
            self._user = users[0] if users else None
        return email


class ReaderResetPasswordForm(ResetPasswordForm):
    """allauth's password reset request with our wording; it reveals nothing either way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_email_field(self)

    def clean_email(self) -> str:
        email = super().clean_email()
        # A reset link goes only to an address the account owns (readers.signin_addresses).
        self.users = accounts_answering_to(email, is_active=True)
        return email


# Our label and "required" message for each field of allauth's password and code forms:
# a message that names its field, so an error summary never lists the same words twice.
OUR_WORDING: dict[str, tuple[Any, Any]] = {
    "oldpassword": (_("Current password"), _("Enter your current password.")),
    "password": (_("Password"), _("Enter your password.")),
    "password1": (_("New password"), _("Enter a new password.")),
    "password2": (_("New password again"), _("Enter the new password again, to be sure.")),
    "code": (_("Sign-in code"), _("Enter the code from the email we sent you.")),
}


def _our_wording(form: forms.Form) -> None:
    for name, (label, required) in OUR_WORDING.items():
        field = form.fields.get(name)
        if field is None:
            continue
        field.label = label
        field.widget.attrs.pop("placeholder", None)
        field.error_messages["required"] = required
        if name != "password1":
            field.help_text = ""  # allauth's "Forgot your password?" link, in its words


class ReaderChangePasswordForm(ChangePasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _our_wording(self)


class ReaderSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _our_wording(self)
        self.fields["password1"].label = _("Password")
        self.fields["password1"].error_messages["required"] = _("Enter a password.")
        self.fields["password2"].label = _("Password again")
        self.fields["password2"].error_messages["required"] = _(
            "Enter the password again, to be sure."
        )


class ReaderResetPasswordKeyForm(ResetPasswordKeyForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _our_wording(self)


class ReaderReauthenticateForm(ReauthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _our_wording(self)


class ReaderConfirmLoginCodeForm(ConfirmLoginCodeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _our_wording(self)
