"""Issues go only to an address its reader has proved, and a choice made before that
waits for it.

Rules (newsletters/sending.py, newsletters/services.py):
- An issue goes to a reader's account only if the account's current address is a
  verified allauth EmailAddress of that reader. Anyone can register with anyone's address
  and tick newsletters; the address's owner is sent nothing they never asked for.
- The choice itself is kept: an unproved reader may choose newsletters, the choice is in
  the ledger, and issues start once the address is proved.
- Mid-send: the frozen list is what it is (proving the address after the freeze brings
  the next issue, not this one); when a batch is loaded each reader's address is read
  and checked again, and the copy goes to that address: one changed since the freeze to
  an unproved address gets nothing, one changed to another proved address gets it there,
  one changed after the load gets it at the proved address read at the load.
- The recipient list and a batch's load stay one query each, however many readers.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.newsletters import sending, services
from masthead.newsletters.models import (
    Delivery,
    DeliveryStatus,
    MarketingChoice,
    Send,
    Subscription,
)

from .factories import NewsletterFactory, ReaderFactory
from .sending_rig import change_address, make_issue, subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_connection(settings):
    # In-process tests run inside the test's transaction: one database connection.
    settings.NEWSLETTER_CONNECTIONS = 1


def send_now(issue) -> Send:
    send = sending.send_start(issue=issue)
    sending.send_work()
    return send


def test_an_issue_goes_only_to_readers_who_proved_their_address(smtp_settings):
    issue = make_issue()
    newsletter = issue.newsletter
    (proved,) = subscribers(newsletter, 1, prefix="proved")
    subscribers(newsletter, 1, prefix="unproved", verified=False)
    no_address_row = ReaderFactory(email="norow@example.com")  # as createsuperuser makes
    other_proved = ReaderFactory(email="current@example.com", verified=False)
    EmailAddress.objects.create(user=other_proved, email="old@example.com", verified=True)
    for reader in (no_address_row, other_proved):
        services.subscriptions_set(user=reader, newsletters=[newsletter], source="account")

    send = send_now(issue)

    assert smtp_settings.recorder.recipients() == [proved.email]
    assert list(Delivery.objects.filter(send=send).values_list("user", flat=True)) == [proved.pk]


def test_an_unproved_readers_choice_is_kept_and_takes_effect_once_proved(smtp_settings):
    newsletter = NewsletterFactory()
    reader = ReaderFactory(email="newcomer@example.com", verified=False)
    services.subscriptions_set(user=reader, newsletters=[newsletter], source="signup")

    send_now(make_issue(newsletter))

    assert smtp_settings.recorder.messages == []
    assert Subscription.objects.get(user=reader, newsletter=newsletter).active
    assert MarketingChoice.objects.filter(
        user=reader, newsletter=newsletter, action=MarketingChoice.Action.SUBSCRIBE
    ).exists()

    EmailAddress.objects.filter(user=reader).update(verified=True)
    send_now(make_issue(newsletter))

    assert smtp_settings.recorder.recipients() == ["newcomer@example.com"]


def test_proving_the_address_mid_send_brings_the_next_issue_not_this_one(smtp_settings):
    issue = make_issue()
    (reader,) = subscribers(issue.newsletter, 1, verified=False)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    EmailAddress.objects.filter(user=reader).update(verified=True)

    sending.send_work()

    assert smtp_settings.recorder.messages == []
    assert not Delivery.objects.filter(send=send).exists()


def test_an_address_changed_mid_send_to_an_unproved_one_gets_no_copy(smtp_settings):
    issue = make_issue()
    kept, moved = subscribers(issue.newsletter, 2)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)  # both on the list, at proved addresses
    # Staff (or anything outside allauth's flow) puts an address nobody proved on the
    # account; the old, proved one is still among its addresses.
    type(moved).objects.filter(pk=moved.pk).update(email="elsewhere@example.com")
    EmailAddress.objects.create(user=moved, email="elsewhere@example.com", verified=False)

    sending.send_work()

    assert smtp_settings.recorder.recipients() == [kept.email]
    skipped = Delivery.objects.get(send=send, user=moved)
    assert skipped.status == DeliveryStatus.SKIPPED and skipped.error == sending.UNPROVED


def test_an_address_changed_mid_send_to_another_proved_one_gets_it_there(smtp_settings):
    issue = make_issue()
    (reader,) = subscribers(issue.newsletter, 1)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    change_address(reader, "new.home@example.com", verified=True)

    sending.send_work()

    assert smtp_settings.recorder.recipients() == ["new.home@example.com"]
    assert Delivery.objects.get(send=send).status == DeliveryStatus.SENT


def test_a_change_after_the_batch_is_loaded_does_not_redirect_the_copy(smtp_settings, monkeypatch):
    # The copy goes to the address read (and found proved) when its batch was loaded;
    # the per-copy check never reads the address again, so a change to an unproved
    # address in between cannot send it there.
    issue = make_issue()
    (reader,) = subscribers(issue.newsletter, 1)
    proved_address = reader.email
    load = sending._load

    def load_then_change(claim):
        recipients = load(claim)
        change_address(reader, "taken.over@example.com", verified=False)
        return recipients

    monkeypatch.setattr(sending, "_load", load_then_change)

    send_now(issue)

    assert smtp_settings.recorder.recipients() == [proved_address]


def queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


@pytest.mark.parametrize("step", ["freeze", "load"])
def test_asking_whether_addresses_are_proved_costs_no_query_per_reader(settings, step):
    settings.NEWSLETTER_BATCH_SIZE = 1000
    counts = []
    # The first send warms what is cached per process (the site's name): not counted.
    for size, prefix in ((1, "warm"), (2, "few"), (40, "many")):
        issue = make_issue()
        subscribers(issue.newsletter, size, prefix=prefix)
        subscribers(issue.newsletter, size, prefix=f"un{prefix}", verified=False)
        send = sending.send_start(issue=issue)
        if step == "freeze":
            counts.append(queries(lambda send=send: sending.send_freeze(send_id=send.pk)))
            assert Delivery.objects.filter(send=send).count() == size
        else:
            sending.send_freeze(send_id=send.pk)
            claim = sending.batch_claim(send_id=send.pk)
            counts.append(queries(lambda claim=claim: sending._load(claim)))

    assert counts[1] == counts[2]
