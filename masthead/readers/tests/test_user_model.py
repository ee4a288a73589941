"""The email is the login, and one address is one account whatever its case."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction

from masthead.readers.models import normalize_email_address
from masthead.readers.tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_email_is_the_login_and_there_is_no_username():
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(User, "username")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada@example.com", "ada@example.com"),
        ("ADA@EXAMPLE.COM", "ada@example.com"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_normalising_trims_and_lowercases(raw, expected):
    assert normalize_email_address(raw) == expected


@pytest.mark.parametrize("variant", ["A@x.com", "a@X.COM", "a@x.com"])
def test_database_refuses_a_second_account_differing_only_in_case(variant):
    User.objects.create_user("a@x.com", "pw-Secret-123")
    with pytest.raises(IntegrityError), transaction.atomic():
        # .create() skips normalisation: the database constraint alone must refuse it.
        User.objects.create(email=variant)


def test_sign_in_ignores_the_case_of_the_address():
    User.objects.create_user("Reader@Example.com", "pw-Secret-123")
    user = authenticate(username="READER@example.COM", password="pw-Secret-123")
    assert user is not None
    assert user.email == "reader@example.com"


def test_passwords_are_hashed_with_argon2(argon2_hashers):
    user = ReaderFactory(password="pw-Secret-123")
    # Argon2id with the parameters masthead/readers/hashers.py chose (m=19 MiB, t=2, p=1).
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("pw-Secret-123")
    assert not user.check_password("pw-Secret-124")


def test_the_test_sessions_fast_hashes_are_upgraded_to_argon2_at_sign_in(argon2_hashers):
    """A hash made by another listed hasher verifies, and is replaced by Argon2id."""
    from django.contrib.auth.hashers import make_password

    user = ReaderFactory(email="u@example.com")
    user.password = make_password("pw-Secret-123", hasher="pbkdf2_sha256")
    user.save()
    assert authenticate(username="u@example.com", password="pw-Secret-123") == user
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_the_migration_normalises_old_addresses_and_skips_a_mailbox_held_twice():
    import importlib

    from allauth.account.models import EmailAddress
    from django.apps import apps

    from masthead.readers.models import User as Reader

    migration = importlib.import_module("masthead.readers.migrations.0005_user_email_identity")
    older, newer, alone = ReaderFactory.create_batch(3)
    # Rows as they were stored before: Unicode domains, no identity.
    Reader.objects.filter(pk=older.pk).update(email="x@straße.example", email_identity=None)
    Reader.objects.filter(pk=newer.pk).update(email="x@strasse.example", email_identity=None)
    Reader.objects.filter(pk=alone.pk).update(email="y@bücher.example", email_identity=None)
    EmailAddress.objects.create(user=alone, email="y@bücher.example", primary=True)
    migration.normalise_addresses(apps, None)
    older.refresh_from_db()
    newer.refresh_from_db()
    alone.refresh_from_db()
    assert (older.email, older.email_identity) == ("x@xn--strae-oqa.example", "x@strasse.example")
    assert (newer.email, newer.email_identity) == ("x@strasse.example", None)
    assert alone.email == "y@xn--bcher-kva.example"
    assert EmailAddress.objects.get(user=alone).email == "y@xn--bcher-kva.example"
