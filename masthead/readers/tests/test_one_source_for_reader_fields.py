"""One source for each rule: the account profile accepts and refuses exactly the names
and typed dates registration does, with the same messages (readers.fields)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django import forms

from masthead.readers.account.forms import ProfileForm
from masthead.readers.forms import RegistrationForm

TODAY = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


def _outcome(field: forms.Field, value: str) -> tuple[str, object]:
    try:
        return ("ok", field.clean(value))
    except forms.ValidationError as error:
        return ("refused", error.code or error.messages)


def _pair(name: str) -> tuple[forms.Field, forms.Field]:
    return ProfileForm.base_fields[name], RegistrationForm.base_fields[name]


def test_both_forms_build_their_fields_from_the_same_factories():
    for name in ("first_name", "last_name", "date_of_birth"):
        profile, registration = _pair(name)
        assert type(profile) is type(registration), name
        assert profile.label == registration.label, name
        assert profile.widget.attrs == registration.widget.attrs, name
    profile, registration = _pair("date_of_birth")
    assert profile.input_formats == registration.input_formats


@pytest.mark.parametrize(
    "typed",
    [
        "1990-03-27",
        "27/03/1990",
        "27/3/1990",
        "27-03-1990",
        "27.03.1990",
        "27 03 1990",
        "27 3 1990",
        "  27   3  1990 ",
        "03/27/1990",  # month first: no such month
        "1990/03/27",
        "27031990",
        "31/02/1990",
        "0000-01-01",
        "27/03/99999",
        "2030-01-01",  # the future
        "1900-01-01",  # more than 120 years ago
        "2007-06-16",  # 18 tomorrow
        "2007-06-15",  # 18 today
        "",
        "yesterday",
    ],
)
@time_machine.travel(TODAY, tick=False)
def test_the_profile_takes_the_dates_registration_takes(typed):
    profile, registration = _pair("date_of_birth")
    mine, theirs = _outcome(profile, typed), _outcome(registration, typed)
    assert mine == theirs


@pytest.mark.parametrize(
    "typed",
    [
        "Ada",
        "  Ada  ",
        "Jean-Luc",
        "O'Brien",
        "Mary Ann",
        "李",
        "عبد السلام",
        "Zoë",
        "R2D2",
        "<b>Bold</b>",
        "Ada  Lovelace",
        "-Ada",
        "Ada-",
        "x" * 40,
        "x" * 41,
        "",
        "Ada\u200bLovelace",
    ],
)
@pytest.mark.parametrize("name", ["first_name", "last_name"])
def test_the_profile_takes_the_names_registration_takes(name, typed):
    profile, registration = _pair(name)
    assert _outcome(profile, typed) == _outcome(registration, typed)
