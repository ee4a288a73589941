"""Factories for readers and newsletters, shared by the newsletter and account tests."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model

from masthead.newsletters.models import Newsletter

PASSWORD = "Reader-pass-2024"  # meets the registration rules


class ReaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    date_of_birth = datetime.date(1985, 12, 10)

    @factory.post_generation
    def password(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(PASSWORD if extracted is None else extracted)
        if create:
            obj.save(update_fields=["password"])


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter

    name = factory.Sequence(lambda n: f"The Briefing {n}")
    slug = factory.Sequence(lambda n: f"briefing-{n}")
    description = "The day's stories in five minutes."
    cadence = "Every weekday"
    is_offered = True
    sort_order = factory.Sequence(lambda n: n)
