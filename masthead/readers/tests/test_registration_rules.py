"""Each registration rule on its own: names, dates of birth, passwords, email addresses."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from masthead.readers import validators
from masthead.readers.fields import DateOfBirthField
from masthead.readers.forms import ReaderEmailField
from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.validators import (
    add_years,
    age_on,
    validate_date_of_birth,
    validate_person_name,
)

D = datetime.date


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "Abdel-Salam",
        "O'Brien",
        "O\u2019Brien",  # typographic apostrophe
        "Anne Marie",
        "José",
        "Zoë",
        "Łukasz",
        "عبد السلام",
        "李",
        "Nguyễn",
        "Şükrü",
        "Ólafur",
        "Дмитрий",
        "Αλέξανδρος",
        "हिन्दी",  # combining vowel signs (category Mc/Mn) are part of letters
        "བསྒྲུབས",  # Tibetan: stacked subjoined letters are marks too
        "Nguyê\u0303n",  # a letter with two accents (NFC keeps one combining)
        "한글",
        "Mary-Jane O'Neil",
        "d'Artagnan",
        "A",
        "x" * 40,
    ],
)
def test_names_of_every_script_pass(name):
    assert validate_person_name(name) == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("x" * 41, "max_length"),
        ("Ada2", "digits"),
        ("R2D2", "digits"),
        ("٣", "digits"),  # Arabic-Indic digit
        ("Ada 😀", "characters"),
        ("😀", "characters"),
        ("<b>Ada</b>", "characters"),
        ("<script>", "characters"),
        ("Ada!", "characters"),
        ("Ada_Lovelace", "characters"),
        ("Ada.", "characters"),
        ("Ada & Bob", "characters"),
        ("Ada@home", "characters"),
        ("Ada\u200bLovelace", "characters"),  # zero-width space
        ("-Ada", "edges"),
        ("Ada-", "edges"),
        ("'Ada", "edges"),
        ("Ada--Lovelace", "separators"),
        ("Ada -Lovelace", "separators"),
        ("O''Brien", "separators"),
        # Letters that draw nothing: a name of them looks blank.
        ("\u3164", "characters"),  # Hangul filler
        ("\uffa0\uffa0", "characters"),  # halfwidth Hangul filler
        ("\u115f\u1160", "characters"),  # Hangul choseong and jungseong fillers
        ("Ada\u3164", "characters"),
        ("Ada\ufe0f", "characters"),  # variation selector
        # Combining marks with no letter to sit on, or stacked ("Zalgo").
        ("\u0301", "marks"),
        ("\u0301\u0308\u0327", "marks"),
        ("\u093f", "marks"),  # a Devanagari vowel sign on its own
        ("Ada \u0301Lovelace", "marks"),
        ("Z" + "\u0336\u0334\u0335\u0337\u0338", "marks"),
        ("Za\u0300\u0301\u0302\u0303\u0304\u0305lgo", "marks"),
    ],
)
def test_names_with_digits_symbols_or_markup_are_refused(name, code):
    with pytest.raises(ValidationError) as caught:
        validate_person_name(name, label="first name")
    assert caught.value.code == code
    assert "first name" in caught.value.messages[0].lower()


def test_names_are_trimmed_collapsed_and_nfc_normalised():
    decomposed = "Jose\u0301  Mari\u0301a "  # e + combining acute, double space
    assert validate_person_name(decomposed) == "José María"
    assert unicodedata.is_normalized("NFC", validate_person_name(decomposed))


def test_the_40_character_limit_counts_after_normalising():
    # 40 letters typed in decomposed form are more than 40 code points before NFC.
    assert len(validate_person_name("e\u0301" * 40)) == 40


# --------------------------------------------------------------------------------------
# Date of birth
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (D(2000, 1, 1), D(2018, 1, 1), 18),
        (D(2000, 1, 2), D(2018, 1, 1), 17),
        (D(2000, 2, 29), D(2018, 2, 28), 17),
        (D(2000, 2, 29), D(2018, 3, 1), 18),  # leapling comes of age on 1 March
        (D(2000, 2, 29), D(2020, 2, 29), 20),
        (D(2000, 2, 29), D(2020, 2, 28), 19),
        (D(1999, 12, 31), D(2017, 12, 31), 18),
    ],
)
def test_age_is_exact_calendar_arithmetic(born, today, age):
    assert age_on(born, today) == age


def test_adding_years_to_29_february_lands_on_1_march_in_common_years():
    assert add_years(D(2004, 2, 29), 1) == D(2005, 3, 1)
    assert add_years(D(2004, 2, 29), 4) == D(2008, 2, 29)


@pytest.mark.parametrize(
    ("born", "today"),
    [
        (D(2000, 6, 15), D(2018, 6, 15)),  # 18th birthday today
        (D(2000, 2, 29), D(2018, 3, 1)),
        (D(1950, 1, 1), D(2024, 5, 5)),
        (D(1904, 5, 5), D(2024, 5, 5)),  # exactly 120 years
    ],
)
def test_adults_pass(born, today):
    assert validate_date_of_birth(born, today=today) == born


@pytest.mark.parametrize(
    ("born", "today", "code"),
    [
        (D(2000, 6, 16), D(2018, 6, 15), "under_age"),  # 18 tomorrow
        (D(2000, 2, 29), D(2018, 2, 28), "under_age"),
        (D(2010, 1, 1), D(2024, 1, 1), "under_age"),
        (D(2024, 1, 2), D(2024, 1, 1), "future"),
        (D(2099, 1, 1), D(2024, 1, 1), "future"),
        (D(1904, 5, 4), D(2024, 5, 5), "too_old"),
        (D(1800, 1, 1), D(2024, 5, 5), "too_old"),
    ],
)
def test_minors_future_dates_and_implausible_dates_each_get_their_own_message(born, today, code):
    with pytest.raises(ValidationError) as caught:
        validate_date_of_birth(born, today=today)
    assert caught.value.code == code


def test_messages_differ_for_future_too_old_and_under_age():
    messages = set()
    for born in (D(2030, 1, 1), D(1800, 1, 1), D(2015, 1, 1)):
        with pytest.raises(ValidationError) as caught:
            validate_date_of_birth(born, today=D(2024, 1, 1))
        messages.add(caught.value.messages[0])
    assert len(messages) == 3


def test_the_day_is_the_site_timezone_day(settings, time_machine):
    # 23:30 UTC on 14 June is already 15 June in Auckland: an 18th birthday there.
    settings.TIME_ZONE = "Pacific/Auckland"
    time_machine.move_to(datetime.datetime(2018, 6, 14, 23, 30, tzinfo=datetime.UTC))
    assert DateOfBirthField().clean("2000-06-15") == D(2000, 6, 15)
    settings.TIME_ZONE = "America/Los_Angeles"
    with pytest.raises(ValidationError):
        DateOfBirthField().clean("2000-06-15")


@pytest.mark.parametrize(
    "typed", ["1990-03-27", "27/03/1990", "27-3-1990", "27.03.1990", " 27 3 1990 "]
)
def test_date_of_birth_accepts_the_formats_people_type(typed, time_machine):
    time_machine.move_to(datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC))
    assert DateOfBirthField().clean(typed) == D(1990, 3, 27)


@pytest.mark.parametrize(
    "typed", ["31/02/1990", "1990-13-01", "yesterday", "0000-01-01", "99999-01-01"]
)
def test_impossible_dates_are_refused_with_our_message(typed):
    with pytest.raises(ValidationError) as caught:
        DateOfBirthField().clean(typed)
    assert "real date" in caught.value.messages[0]


# --------------------------------------------------------------------------------------
# Passwords
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password",
    [
        "Abcde1",  # the shortest that meets every rule
        "Harbour-lights-42",
        "Äpfel und Birnen 7",  # non-ASCII capitals count
        "Жёлтый дом 1984",
        "Correct Horse Battery Staple 9 " * 3,  # 90+ characters
        "Ünïcödé ☃ passphrase with a 1 in it and emoji 🎉 too" * 2,
        "A1" + "x" * (validators.PASSWORD_MAX_LENGTH - 2),  # exactly the limit
    ],
)
def test_passwords_meeting_the_rules_pass(password):
    validators.PasswordRulesValidator().validate(password)


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Abc1", {"password_too_short"}),
        ("", {"password_too_short", "password_no_upper", "password_no_lower", "password_no_digit"}),
        ("abcdef1", {"password_no_upper"}),
        ("ABCDEF1", {"password_no_lower"}),
        ("Abcdefg", {"password_no_digit"}),
        ("123456", {"password_no_upper", "password_no_lower"}),
        ("A1" + "x" * validators.PASSWORD_MAX_LENGTH, {"password_too_long"}),
    ],
)
def test_each_broken_password_rule_has_its_own_message(password, codes):
    with pytest.raises(ValidationError) as caught:
        validators.PasswordRulesValidator().validate(password)
    assert {error.code for error in caught.value.error_list} == codes


def test_common_passwords_and_ones_like_the_name_are_refused_too():
    user = ReaderFactory.build(
        email="ada.lovelace@example.com", first_name="Ada", last_name="Lovelace"
    )
    with pytest.raises(ValidationError):
        password_validation.validate_password("Password1", user)  # in Django's common list
    with pytest.raises(ValidationError) as caught:
        password_validation.validate_password("Lovelace1", user)
    assert any(e.code == "password_too_similar" for e in caught.value.error_list)
    password_validation.validate_password("Harbour-lights-42", user)


# --------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Reader@Example.COM  ", "reader@example.com"),
        ("reader@EXAMPLE.com", "reader@example.com"),
        ("o'brien+news@example.co.uk", "o'brien+news@example.co.uk"),
        # Internationalised domains are stored as their IDNA 2008 A-label, whichever
        # form was typed (see readers.addresses for why not the Unicode form).
        ("anna@BÜCHER.de", "anna@xn--bcher-kva.de"),
        ("anna@xn--bcher-kva.de", "anna@xn--bcher-kva.de"),
        ("anna@XN--BCHER-KVA.DE", "anna@xn--bcher-kva.de"),
        ("anna@\uff42\u00fc\uff43\uff48\uff45\uff52\uff0ede", "anna@xn--bcher-kva.de"),  # fullwidth
        ("anna@bu\u0308cher.de", "anna@xn--bcher-kva.de"),  # u + combining diaeresis
        ("wang@例え.jp", "wang@xn--r8jz45g.jp"),
        ("reader@example.com.", "reader@example.com"),  # the DNS root's dot
        ("Zoe.Reader@example.org", "zoe.reader@example.org"),  # local part: lower case only
        ("x" * 64 + "@example.com", "x" * 64 + "@example.com"),
    ],
)
def test_email_is_trimmed_and_lower_cased_domain_and_all(typed, stored):
    assert ReaderEmailField().clean(typed) == stored


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("x@bücher.example", "x@xn--bcher-kva.example"),
        ("x@BÜCHER.example", "x@\uff42\u00fc\uff43\uff48\uff45\uff52.example"),
        ("x@straße.example", "x@strasse.example"),
        ("x@STRASSE.example", "x@xn--strae-oqa.example"),
    ],
)
def test_one_mailbox_typed_two_ways_has_one_identity(one, other):
    from masthead.readers.addresses import email_identity

    assert email_identity(ReaderEmailField().clean(one)) == email_identity(
        ReaderEmailField().clean(other)
    )


def test_mail_goes_to_the_domain_typed_even_where_the_identity_folds_it():
    # straße.example and strasse.example are different DNS names under IDNA 2008.
    assert ReaderEmailField().clean("x@straße.example") == "x@xn--strae-oqa.example"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("reader@localhost", "domain"),
        ("reader@LOCALHOST", "domain"),
        ("reader@mail.localhost", "domain"),
        ("reader@printer.local", "domain"),
        ("reader@example.invalid", "domain"),
        ("reader@[127.0.0.1]", "address_literal"),
        ("reader@[IPv6:::1]", "address_literal"),
        ("x" * 65 + "@example.com", "local_part_too_long"),
        ("\u00e9" * 33 + "@example.com", "local_part_too_long"),  # 66 octets in UTF-8
        ("reader@exa_mple.com", "invalid"),
        ("reader@-example.com", "invalid"),
    ],
)
def test_addresses_no_readers_mailbox_can_have_are_refused(typed, code):
    with pytest.raises(ValidationError) as caught:
        ReaderEmailField().clean(typed)
    assert code in {error.code for error in caught.value.error_list}


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "reader",
        "reader@",
        "@example.com",
        "reader@@example.com",
        "reader@example",
        "a b@example.com",
        "reader@exa mple.com",
        "x" * 250 + "@example.com",
    ],
)
def test_malformed_email_addresses_are_refused(typed):
    with pytest.raises(ValidationError):
        ReaderEmailField().clean(typed)
