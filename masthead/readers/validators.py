"""The newsroom's rules for what a reader may type when registering, as pure functions.

Invariants:
- Each rule raises a ValidationError with a code and our own wording, saying what to
  fix; nothing here touches the database, the request or the clock (callers pass
  `today`), so every rule is tested directly with parametrised cases.
- Names come back NFC-normalised and trimmed; a name that passes holds only letters
  (any script, with their combining marks) joined by single spaces, hyphens or
  apostrophes. Each part between separators starts with a visible letter, never a
  combining mark; a letter carries at most MAX_MARKS_PER_LETTER combining marks; and
  letters and marks that draw nothing (the Hangul fillers, variation selectors and
  the other default-ignorable ones) are refused, so a name is never blank on screen.
- Dates of birth use exact calendar arithmetic: someone born on 29 February comes of
  age on 1 March in a year that has no 29 February (as UK law reckons it).
- The password rule is a Django password validator, so it holds wherever a password is
  set: registration, password change and reset, and the admin.
"""

from __future__ import annotations

import datetime
import itertools
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

NAME_MAX_LENGTH = 40
PASSWORD_MIN_LENGTH = 6
# Argon2 copes with long input, but hashing megabytes on request is a cheap way to tie up
# a server. Real passphrases are far shorter than this.
PASSWORD_MAX_LENGTH = 4096
ADULT_AGE = 18
OLDEST_AGE = 120

# Apostrophes readers really type: ASCII, the typographic right quote and the modifier
# letter apostrophe (U+02BC, used in some transliterations).
APOSTROPHES = "'\u2019\u02bc"
HYPHENS = "-\u2010"
SEPARATORS = set(" " + APOSTROPHES + HYPHENS)
# Combining marks on one letter. Real names need few after NFC (Vietnamese two,
# Devanagari and Tibetan clusters up to three or four); "Zalgo" text stacks dozens.
MAX_MARKS_PER_LETTER = 4
# Code points of letter (L*) or mark (M*) category that Unicode lists as
# Default_Ignorable_Code_Point: they draw nothing, so a name made of them looks empty.
# Python's unicodedata does not expose that property, hence the list (Unicode 15.1).
INVISIBLE = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------
def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _is_letter(char: str) -> bool:
    category = unicodedata.category(char)
    # L*: letters of every script (Lo covers Arabic, CJK...). M*: combining marks, which
    # Arabic, Devanagari and others need, and which stay after NFC when no precomposed
    # form exists. Nothing else: no digits (N*), symbols or emoji (S*), punctuation (P*).
    return category[0] == "L" or category[0] == "M"


def normalise_name(value: str) -> str:
    """NFC, trimmed, with runs of ordinary whitespace inside collapsed to one space."""
    value = unicodedata.normalize("NFC", value or "")
    return " ".join(value.split())


def validate_person_name(value: str, *, label: str | None = None) -> str:
    """Return the name normalised, or raise ValidationError saying what to fix.

    `label` names the field in messages ("first name", "last name").
    """
    label = label or _("name")
    name = normalise_name(value)
    if not name:
        raise ValidationError(_("Enter your %(label)s.") % {"label": label}, code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("Your %(label)s must be %(max)d characters or fewer.")
            % {"label": label, "max": NAME_MAX_LENGTH},
            code="max_length",
        )
    if any(ch.isdigit() or unicodedata.category(ch) == "Nd" for ch in name):
        raise ValidationError(
            _("Your %(label)s can't contain numbers.") % {"label": label}, code="digits"
        )
    if not all((_is_letter(ch) and ord(ch) not in INVISIBLE) or ch in SEPARATORS for ch in name):
        raise ValidationError(
            _(
                "Your %(label)s can only contain letters, with spaces, hyphens or "
                "apostrophes between them."
            )
            % {"label": label},
            code="characters",
        )
    if not _is_letter(name[0]) or not _is_letter(name[-1]):
        raise ValidationError(
            _("Your %(label)s must start and end with a letter.") % {"label": label},
            code="edges",
        )
    if _is_mark(name[0]) or any(
        previous in SEPARATORS and _is_mark(current)
        for previous, current in itertools.pairwise(name)
    ):
        raise ValidationError(
            _("Each part of your %(label)s must start with a letter, not an accent on its own.")
            % {"label": label},
            code="marks",
        )
    marks = 0
    for char in name:
        marks = marks + 1 if _is_mark(char) else 0
        if marks > MAX_MARKS_PER_LETTER:
            raise ValidationError(
                _("Your %(label)s has too many accents on one letter.") % {"label": label},
                code="marks",
            )
    for previous, current in itertools.pairwise(name):
        if previous in SEPARATORS and current in SEPARATORS:
            raise ValidationError(
                _(
                    "Your %(label)s can't have two spaces, hyphens or apostrophes "
                    "next to each other."
                )
                % {"label": label},
                code="separators",
            )
    return name


# --------------------------------------------------------------------------------------
# Date of birth
# --------------------------------------------------------------------------------------
def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later; 29 February becomes 1 March when needed."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # Only 29 February can fail; the next day is 1 March of that (non-leap) year.
        return datetime.date(day.year + years, 3, 1)


def age_on(born: datetime.date, today: datetime.date) -> int:
    """Whole years completed by `today` (exact: no 365.25 approximations)."""
    years = today.year - born.year
    if today < add_years(born, years):
        years -= 1
    return years


def validate_date_of_birth(born: datetime.date, *, today: datetime.date) -> datetime.date:
    """Raise ValidationError unless the reader is at least 18 on `today`.

    A future date and one more than 120 years back each get their own message; the
    caller passes `today` in the site's timezone.
    """
    if born > today:
        raise ValidationError(_("Your date of birth must be in the past."), code="future")
    if born < add_years(today, -OLDEST_AGE):
        raise ValidationError(
            _("Check the year: that date is more than %(years)d years ago.")
            % {"years": OLDEST_AGE},
            code="too_old",
        )
    if today < add_years(born, ADULT_AGE):
        raise ValidationError(
            _("You must be %(age)d or over to register.") % {"age": ADULT_AGE},
            code="under_age",
        )
    return born


# --------------------------------------------------------------------------------------
# Passwords
# --------------------------------------------------------------------------------------
def password_problems(password: str) -> list[ValidationError]:
    """Every rule of ours the password breaks (empty when it passes)."""
    problems: list[ValidationError] = []
    if len(password) > PASSWORD_MAX_LENGTH:
        # Checked first and alone: the other messages mean nothing for such input.
        return [
            ValidationError(
                _("Your password is too long: use %(max)d characters or fewer.")
                % {"max": PASSWORD_MAX_LENGTH},
                code="password_too_long",
            )
        ]
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            ValidationError(
                ngettext(
                    "Your password must be at least %(min)d character long.",
                    "Your password must be at least %(min)d characters long.",
                    PASSWORD_MIN_LENGTH,
                )
                % {"min": PASSWORD_MIN_LENGTH},
                code="password_too_short",
            )
        )
    if not any(ch.isupper() for ch in password):
        problems.append(
            ValidationError(
                _("Your password must include a capital letter."), code="password_no_upper"
            )
        )
    if not any(ch.islower() for ch in password):
        problems.append(
            ValidationError(
                _("Your password must include a lower-case letter."), code="password_no_lower"
            )
        )
    if not any(ch.isdigit() for ch in password):
        problems.append(
            ValidationError(_("Your password must include a number."), code="password_no_digit")
        )
    return problems


class PasswordRulesValidator:
    """Django password validator: 6+ characters with an upper, a lower and a digit.

    Upper and lower are Unicode-aware ("Ä", "ж" count), so passphrases in any script
    that has case qualify.
    """

    def validate(self, password: str, user: Any = None) -> None:
        problems = password_problems(password)
        if problems:
            raise ValidationError(problems)

    def get_help_text(self) -> str:
        return _(
            "Use at least %(min)d characters, with a capital letter, a lower-case letter "
            "and a number."
        ) % {"min": PASSWORD_MIN_LENGTH}
