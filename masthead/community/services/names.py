"""Display names: the rules, and giving a reader their public face (a Commenter).

Contract:
- `clean_display_name(value) -> str` returns the name as it will be shown (NFC, spaces
  collapsed, trimmed) or raises InvalidInput with a message saying which rule it breaks.
  Rules: 3-30 characters; letters of any script (with their combining marks), digits,
  spaces, hyphens, apostrophes and underscores; at least one letter or digit.
- `name_key(name) -> str` is the form uniqueness is decided on (NFKC, casefolded).
- `commenter_create(*, user, display_name) -> Commenter` raises InvalidInput when the
  name is taken (case-insensitively, decided by the database's unique constraint, so
  two readers racing for one name cannot both get it) or the reader already has one.
- `name_available(value) -> str`: the cleaned name, or InvalidInput (rules, or taken).
- `commenter_for(user) -> Commenter | None` reads the reader's Commenter, if any.
The reader's legal name is never used: a name exists only when the reader typed it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Commenter
from .errors import InvalidInput

MIN_LENGTH = 3
MAX_LENGTH = 30
PUNCTUATION = {" ", "-", "'", "\u2019", "_"}


def _allowed(char: str) -> bool:
    if char in PUNCTUATION:
        return True
    category = unicodedata.category(char)
    return category[0] in {"L", "M"} or category == "Nd"


def clean_display_name(value: str) -> str:
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", value or "")).strip()
    if not name:
        raise InvalidInput(_("Choose a display name."), code="name_empty")
    if len(name) < MIN_LENGTH:
        raise InvalidInput(
            _("A display name needs at least %(n)d characters.") % {"n": MIN_LENGTH},
            code="name_short",
        )
    if len(name) > MAX_LENGTH:
        raise InvalidInput(
            _("A display name has at most %(n)d characters.") % {"n": MAX_LENGTH},
            code="name_long",
        )
    bad = sorted({c for c in name if not _allowed(c)})
    if bad:
        raise InvalidInput(
            _(
                "A display name may hold letters, digits, spaces, hyphens, apostrophes and "
                "underscores; remove %(chars)s."
            )
            % {"chars": " ".join(f"\u201c{c}\u201d" for c in bad)},
            code="name_characters",
        )
    if not any(unicodedata.category(c)[0] == "L" or c.isdigit() for c in name):
        raise InvalidInput(
            _("A display name needs at least one letter or digit."), code="name_no_letter"
        )
    return name


def name_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def commenter_for(user: Any) -> Commenter | None:
    if user is None or not user.is_authenticated:
        return None
    return Commenter.objects.filter(user=user).first()


def _taken(name: str) -> InvalidInput:
    return InvalidInput(
        _("The display name \u201c%(name)s\u201d is taken. Try another.") % {"name": name},
        code="name_taken",
    )


def name_available(display_name: str) -> str:
    """The cleaned name if it follows the rules and nobody has it, else InvalidInput."""
    name = clean_display_name(display_name)
    if Commenter.objects.filter(display_name_key=name_key(name)).exists():
        raise _taken(name)
    return name


def commenter_create(*, user: Any, display_name: str) -> Commenter:
    name = clean_display_name(display_name)
    if Commenter.objects.filter(user=user).exists():
        raise InvalidInput(_("You already have a display name."), code="name_exists")
    key = name_key(name)
    taken = _taken(name)
    if Commenter.objects.filter(display_name_key=key).exists():
        raise taken
    try:
        with transaction.atomic():
            return Commenter.objects.create(user=user, display_name=name, display_name_key=key)
    except IntegrityError:
        # A reader racing for the same name (or a second tab of this one) won.
        if Commenter.objects.filter(user=user).exists():
            raise InvalidInput(_("You already have a display name."), code="name_exists") from None
        raise taken from None
