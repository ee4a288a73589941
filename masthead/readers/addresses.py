"""One form for every email address a reader types, and one key for "the same mailbox".

Invariants:
- `email_normalise` is the only way an address typed by a reader becomes the stored
  form, and every lookup (sign-in, code, reset, registration's duplicate check, email
  change) goes through it, so what is stored and what is compared never drift apart.
- The stored form is `local@domain` where the local part is trimmed, NFC-normalised
  and lower-cased (allauth matches addresses in lower case; see `models`), and the
  domain is mapped by UTS 46 (IDNA 2008: case, width and compatibility forms folded)
  and kept as its ASCII A-label. `x@bücher.example`, `x@XN--BCHER-KVA.example` and a
  fullwidth `x@ｂüｃｈｅｒ.example` are all stored as `x@xn--bcher-kva.example`. The
  A-label is stored, not the Unicode form, because Django's mail path converts a
  Unicode domain with Python's IDNA 2003 codec, which would send mail for
  `straße.example` to `strasse.example`, a different domain under IDNA 2008.
- `email_identity` is the key that says two stored addresses are one mailbox for the
  purpose of "one account per address". It also folds UTS 46's four *deviation*
  characters the way transitional processing did (ß -> ss, final sigma -> sigma, ZWJ and ZWNJ
  dropped), so `x@straße.example` and `x@strasse.example` cannot hold two accounts.
  Mail still goes to the domain the reader typed (nontransitional, as browsers and
  registries resolve it); only the uniqueness check is the stricter one, because two
  accounts for what a reader sees as one address is the worse failure.
- An address no reader's mailbox can have is refused with its own message: an address
  literal (`x@[127.0.0.1]`), a single-label or special-use domain (`localhost`,
  `*.localhost`, `*.local`, `*.invalid`), a local part over 64 octets (RFC 5321), a
  domain IDNA 2008 refuses, or a stored form over 254 characters.
"""

from __future__ import annotations

import unicodedata

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LOCAL_PART_MAX_OCTETS = 64
ADDRESS_MAX_LENGTH = 254
# RFC 6761 / 6762 names that never reach a reader's mailbox on the public internet.
SPECIAL_USE_DOMAINS = ("localhost", "local", "invalid")
# The characters where UTS 46 transitional and nontransitional processing differ.
DEVIATIONS = str.maketrans({"\u00df": "ss", "\u03c2": "\u03c3", "\u200c": None, "\u200d": None})


def _invalid() -> ValidationError:
    return ValidationError(
        _("Enter an email address in the right format, like name@example.com."), code="invalid"
    )


def _split(value: str) -> tuple[str, str]:
    value = (value or "").strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise _invalid()
    return local, domain


def _domain_a_label(domain: str) -> str:
    try:
        return idna.encode(
            domain.rstrip(".\u3002\uff0e\uff61"), uts46=True, std3_rules=True
        ).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as error:
        raise _invalid() from error


def email_normalise(value: str) -> str:
    """The stored form of `value`, or ValidationError saying what is wrong with it."""
    local, domain = _split(value)
    if domain.startswith("[") or domain.endswith("]"):
        raise ValidationError(
            _("Enter an address at a domain name, like name@example.com, not an IP address."),
            code="address_literal",
        )
    local = unicodedata.normalize("NFC", local).lower()
    if len(local.encode("utf-8")) > LOCAL_PART_MAX_OCTETS:
        raise ValidationError(
            _("The part before the @ is too long for an email address. Check it and try again."),
            code="local_part_too_long",
        )
    domain = _domain_a_label(domain)
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1] in SPECIAL_USE_DOMAINS or domain == "localhost":
        raise ValidationError(
            _("Enter an address at a real domain, like name@example.com."), code="domain"
        )
    address = f"{local}@{domain}"
    if len(address) > ADDRESS_MAX_LENGTH:
        raise ValidationError(
            _("Your email address must be %(limit_value)d characters or fewer.")
            % {"limit_value": ADDRESS_MAX_LENGTH},
            code="max_length",
        )
    return address


def email_lookup_form(value: str) -> str:
    """`email_normalise` for looking an address up: never raises.

    Input that could never have been stored comes back trimmed and lower-cased, so it
    simply matches nothing.
    """
    try:
        return email_normalise(value)
    except ValidationError:
        return (value or "").strip().lower()


def email_identity(value: str) -> str:
    """The one-account-per-mailbox key of an address (see the module docstring)."""
    address = email_lookup_form(value)
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    try:
        unicode_domain = idna.decode(domain)
        folded = idna.encode(unicode_domain.translate(DEVIATIONS), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        folded = domain
    return f"{local}@{folded}"
