"""The one way tests make a reader, and the one way they sign in through the form.

Invariants:
- `ReaderFactory` makes readers as registration leaves them: a lower-case email, names,
  a date of birth, a password (PASSWORD unless given; `password=False`: none).
  With `verified=True` or `verified=False` it also makes allauth's primary address row
  (verified or not), as sign-in and the account pages expect; without it, no row.
  `editor=True` makes a staff superuser (the newsroom's editors), `staff=True` staff
  without any permission.
- `sign_in` posts the sign-in form as a browser would (optionally from a given IP, with
  extra fields such as the bot check's answer, or a `next` in the query string).
Tests needing particular names or addresses pass them; nothing else builds a reader,
except tests of the user manager itself (its normalising, in test_user_model and
test_registration's sign-in with a domain in any form), which call create_user.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "Reader-pass-2024"  # meets the registration rules
LOGIN = "/accounts/login/"


class ReaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    class Params:
        editor = factory.Trait(is_staff=True, is_superuser=True)
        staff = factory.Trait(is_staff=True)

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    date_of_birth = datetime.date(1985, 12, 10)

    @factory.post_generation
    def password(obj: Any, create: bool, extracted: str | bool | None, **kwargs: Any) -> None:
        if extracted is False:
            obj.set_unusable_password()  # signs in by emailed code only
        else:
            obj.set_password(PASSWORD if extracted is None else extracted)
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def verified(obj: Any, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if extracted is None or not create:
            return
        EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=extracted)


def sign_in(
    client: Client,
    email: str,
    password: str = PASSWORD,
    ip: str = "127.0.0.1",
    *,
    next: str | None = None,
    **fields: str,
) -> Any:
    """Post the sign-in form; the response (302 when signed in)."""
    url = f"{LOGIN}?next={next}" if next else LOGIN
    return client.post(url, {"login": email, "password": password, **fields}, REMOTE_ADDR=ip)
