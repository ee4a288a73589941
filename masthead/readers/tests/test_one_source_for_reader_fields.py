"""One source for each rule: the account profile accepts and refuses exactly the names
and typed dates registration does, with the same messages (readers.fields); only the
under-age wording differs ("to have an account" / "to register").

Each case is posted to both forms with a literal expectation, so a form that drifted
(its own date formats, its own name rules) fails here; the profile page is also posted
end to end with a date format it once refused.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from masthead.newsletters.tests.factories import ReaderFactory
from masthead.readers.account.forms import ProfileForm
from masthead.readers.forms import RegistrationForm

TODAY = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)
BORN = datetime.date(1990, 3, 27)
FORMS = [ProfileForm, RegistrationForm]
NOT_A_DATE = "Enter your date of birth as a real date, for example 27/03/1990."
NAME_LETTERS = (
    "Your first name can only contain letters, with spaces, hyphens or apostrophes between them."
)


def _post(form_class: type, name: str, typed: str) -> tuple[object, list[str]]:
    """What the form makes of `typed` in field `name`: (cleaned value, its messages)."""
    form = form_class(data={name: typed})
    form.is_valid()
    return form.cleaned_data.get(name), list(form.errors.get(name, []))


def test_both_forms_build_their_fields_from_the_same_factories():
    for name in ("first_name", "last_name", "date_of_birth"):
        profile, registration = (f.base_fields[name] for f in FORMS)
        assert type(profile) is type(registration), name
        assert profile.label == registration.label, name
        assert profile.widget.attrs == registration.widget.attrs, name
    profile, registration = (f.base_fields["date_of_birth"] for f in FORMS)
    assert profile.input_formats == registration.input_formats


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
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
    ],
)
@time_machine.travel(TODAY, tick=False)
def test_every_registration_date_format_is_accepted_by_both(form_class, typed):
    assert _post(form_class, "date_of_birth", typed) == (BORN, [])


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("03/27/1990", NOT_A_DATE),  # month first: no such month
        ("1990/03/27", NOT_A_DATE),
        ("27031990", NOT_A_DATE),
        ("31/02/1990", NOT_A_DATE),
        ("27/03/99999", NOT_A_DATE),
        ("yesterday", NOT_A_DATE),
        ("", "Enter your date of birth."),
        ("2030-01-01", "Your date of birth must be in the past."),
        ("1900-01-01", "Check the year: that date is more than 120 years ago."),
    ],
)
@time_machine.travel(TODAY, tick=False)
def test_a_refused_date_gets_the_same_message_from_both(form_class, typed, message):
    assert _post(form_class, "date_of_birth", typed) == (None, [message])


@pytest.mark.parametrize(
    ("form_class", "message"),
    [
        (ProfileForm, "You must be 18 or over to have an account."),
        (RegistrationForm, "You must be 18 or over to register."),
    ],
    ids=["profile", "registration"],
)
@time_machine.travel(TODAY, tick=False)
def test_too_young_is_refused_by_both_each_in_its_own_words(form_class, message):
    assert _post(form_class, "date_of_birth", "2007-06-16") == (None, [message])  # 18 tomorrow
    assert _post(form_class, "date_of_birth", "2007-06-15") == (datetime.date(2007, 6, 15), [])


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("Ada", "Ada"),
        ("  Mary   Ann ", "Mary Ann"),  # spaces tidied
        ("Jean-Luc", "Jean-Luc"),
        ("O'Brien", "O'Brien"),
        ("Zoë", "Zoë"),
        ("عبد السلام", "عبد السلام"),
        ("x" * 40, "x" * 40),
    ],
)
def test_a_name_is_accepted_and_tidied_alike(form_class, typed, cleaned):
    assert _post(form_class, "first_name", typed) == (cleaned, [])


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your first name."),
        ("R2D2", "Your first name can't contain numbers."),
        ("<b>Bold</b>", NAME_LETTERS),
        ("Ada\u200bLovelace", NAME_LETTERS),
        ("-Ada", "Your first name must start and end with a letter."),
        ("x" * 41, "Your first name must be 40 characters or fewer."),
    ],
)
def test_a_refused_name_gets_the_same_message_from_both(form_class, typed, message):
    assert _post(form_class, "first_name", typed) == (None, [message])


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_the_profile_page_saves_a_date_typed_with_dots(client):
    reader = ReaderFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(reader)
    response = client.post(
        reverse("account:profile"),
        {"first_name": "  Ada   Mary ", "last_name": "Lovelace", "date_of_birth": "27.03.1990"},
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert (reader.first_name, reader.date_of_birth) == ("Ada Mary", BORN)
