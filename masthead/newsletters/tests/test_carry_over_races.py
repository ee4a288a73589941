"""A confirmation link followed at the very moment its address is proved a reader's, on
PostgreSQL: whichever goes first, the person ends with one record, never two, and is
subscribed exactly when the link said so."""

from __future__ import annotations

import threading

import pytest
from allauth.account.models import EmailAddress
from django.db import connections

from masthead.newsletters import emails, services
from masthead.newsletters.models import Newsletter, OpenSubscriber, Subscription

from .factories import NewsletterFactory, ReaderFactory

pytestmark = [
    # serialized_rollback: the flush after a transactional test would otherwise wipe the
    # rows migrations made (Wagtail's root page and collection) for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgresql,  # concurrent writers
]


def _together(*works):
    barrier = threading.Barrier(len(works))
    results, errors = {}, []

    def run(name, work):
        try:
            barrier.wait()
            results[name] = work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, w)) for n, w in enumerate(works)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [results[n] for n in range(len(works))]


def test_a_confirmation_racing_the_carry_over_leaves_one_record_and_tells_the_truth():
    weekly = NewsletterFactory(audience=Newsletter.Audience.OPEN)
    outcomes = set()
    for n in range(20):
        address = f"sam{n}@example.com"
        reader = ReaderFactory(email=address, verified=False)
        services.open_signup_request(newsletter=weekly, email_address=address)
        row = OpenSubscriber.objects.get(email=address)

        def confirm(row=row):
            return services.open_signup_confirm(
                newsletter=weekly, subscriber_id=row.pk, requested=emails.requested_stamp(row)
            )

        def prove(reader=reader, address=address):
            # As allauth does: the address is saved verified, then the signal carries over.
            EmailAddress.objects.filter(user=reader).update(verified=True)
            return services.open_signups_carry_over(user=reader, address=address)

        said, _moved = _together(confirm, prove)

        outcomes.add(said)
        assert not OpenSubscriber.objects.filter(email=address).exists()  # never two records
        subscribed = Subscription.objects.filter(
            user=reader, newsletter=weekly, active=True
        ).exists()
        # "You're subscribed" means subscribed; a link the carry-over dropped first says
        # it is stale, and nothing was subscribed.
        assert subscribed == (said == services.ConfirmOutcome.CONFIRMED), said
    assert outcomes <= {services.ConfirmOutcome.CONFIRMED, services.ConfirmOutcome.STALE}
