"""Factories for newsletters (readers come from masthead/readers/tests/factories.py)."""

from __future__ import annotations

import factory

from masthead.newsletters.models import Newsletter
from masthead.readers.tests.factories import PASSWORD, ReaderFactory

__all__ = ["PASSWORD", "NewsletterFactory", "ReaderFactory"]


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter

    name = factory.Sequence(lambda n: f"The Briefing {n}")
    slug = factory.Sequence(lambda n: f"briefing-{n}")
    description = "The day's stories in five minutes."
    cadence = "Every weekday"
    is_offered = True
    sort_order = factory.Sequence(lambda n: n)
