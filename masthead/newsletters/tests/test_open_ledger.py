"""The consent ledger of account-less subscribers: each real change of an open sign-up
(the request whose link was followed, the confirmation, leaving, coming back) is one
append-only MarketingChoice row, by address, with when and where; nothing else writes
one, and an address's rows are in its owner's export and go with its erasure."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from masthead.newsletters import emails, privacy, rendering, services
from masthead.newsletters.models import MarketingChoice, Newsletter, OpenSubscriber

from .factories import NewsletterFactory, ReaderFactory

pytestmark = pytest.mark.django_db

A = MarketingChoice.Action


@pytest.fixture
def open_list():
    return NewsletterFactory(
        name="The Harbour Weekly", slug="weekly", audience=Newsletter.Audience.OPEN
    )


def ledger(address: str) -> list[tuple[str, str]]:
    return [
        (c.action, c.source)
        for c in MarketingChoice.objects.filter(email=address).order_by("at", "pk")
    ]


def request(newsletter, address, capture) -> services.SignupOutcome:
    with capture(execute=True):
        return services.open_signup_request(newsletter=newsletter, email_address=address)


def confirm(row: OpenSubscriber, signed_in=None) -> services.ConfirmOutcome:
    row.refresh_from_db()
    return services.open_signup_confirm(
        newsletter=row.newsletter,
        subscriber_id=row.pk,
        requested=emails.requested_stamp(row),
        signed_in=signed_in,
    )


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# -- what is recorded -------------------------------------------------------------------


def test_confirming_records_the_request_that_was_followed_and_the_confirmation(
    open_list, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    request(open_list, "sam@example.com", django_capture_on_commit_callbacks)
    requested_at = timezone.now()
    time_machine.shift(dt.timedelta(hours=2))
    row = OpenSubscriber.objects.get()

    confirm(row)

    rows = list(MarketingChoice.objects.filter(email="sam@example.com").order_by("at"))
    assert [(c.action, c.source, c.at) for c in rows] == [
        (A.REQUEST, services.SOURCE_OPEN_SIGNUP, requested_at),
        (A.SUBSCRIBE, services.SOURCE_DOUBLE_OPT_IN, timezone.now()),
    ]
    assert {(c.newsletter_id, c.subscriber_ref, c.user_id) for c in rows} == {
        (open_list.pk, row.pk, None)
    }


def test_a_request_never_confirmed_leaves_no_trace_of_the_address(
    open_list, django_capture_on_commit_callbacks, settings, time_machine
):
    # Anyone can type anyone's address: until its owner confirms, the ledger keeps none.
    time_machine.move_to(timezone.now())
    request(open_list, "stranger@example.com", django_capture_on_commit_callbacks)
    time_machine.shift(dt.timedelta(minutes=settings.NEWSLETTER_CONFIRM_RESEND_MINUTES + 1))
    request(open_list, "stranger@example.com", django_capture_on_commit_callbacks)
    assert ledger("stranger@example.com") == []

    time_machine.shift(dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS + 1))
    assert services.open_signups_expire() == 1

    assert not MarketingChoice.objects.filter(email="stranger@example.com").exists()


def test_leaving_and_coming_back_by_the_links_record_how(client, open_list):
    row = OpenSubscriber.objects.create(
        newsletter=open_list, email="sam@example.com", status=OpenSubscriber.Status.ACTIVE
    )
    one_click = path_of(rendering.open_unsubscribe_url(subscriber_id=row.pk, newsletter=open_list))
    preferences = path_of(
        rendering.open_preferences_url(subscriber_id=row.pk, newsletter=open_list)
    )

    Client(enforce_csrf_checks=True).post(
        one_click, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    client.post(preferences, {"action": "subscribe"})
    client.post(preferences, {"action": "unsubscribe"})

    assert ledger("sam@example.com") == [
        (A.UNSUBSCRIBE, "one-click"),
        (A.SUBSCRIBE, "email-link"),
        (A.UNSUBSCRIBE, "email-link"),
    ]


def test_only_a_real_change_writes_a_row(open_list, django_capture_on_commit_callbacks):
    request(open_list, "sam@example.com", django_capture_on_commit_callbacks)
    request(open_list, "sam@example.com", django_capture_on_commit_callbacks)  # too soon
    row = OpenSubscriber.objects.get()
    confirm(row)
    confirm(row)  # the link again
    assert request(open_list, "sam@example.com", django_capture_on_commit_callbacks) == (
        services.SignupOutcome.ALREADY
    )
    for _ in range(2):
        services.open_subscriber_unsubscribe(
            subscriber_id=row.pk, newsletter=open_list, source="one-click"
        )
    for _ in range(2):
        services.open_subscriber_resubscribe(subscriber=row, source="email-link")

    assert [action for action, _source in ledger("sam@example.com")] == [
        A.REQUEST,
        A.SUBSCRIBE,
        A.UNSUBSCRIBE,
        A.SUBSCRIBE,
    ]


def test_confirming_onto_a_readers_account_records_it_as_the_readers(open_list):
    reader = ReaderFactory(email="sam@example.com", verified=True)
    row = OpenSubscriber.objects.create(newsletter=open_list, email="sam@example.com")

    confirm(row, signed_in=reader)

    assert ledger("sam@example.com") == []
    assert sorted(
        MarketingChoice.objects.filter(user=reader).values_list(
            "action", "source", "subscriber_ref"
        )
    ) == [
        (A.REQUEST, services.SOURCE_OPEN_SIGNUP, row.pk),
        (A.SUBSCRIBE, services.SOURCE_DOUBLE_OPT_IN, row.pk),
        (A.SUBSCRIBE, services.SOURCE_CARRIED_OVER, row.pk),
    ]


def test_a_row_is_a_readers_or_an_addresss_never_both(open_list):
    reader = ReaderFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        MarketingChoice.objects.create(
            user=reader, email="sam@example.com", newsletter=open_list, action=A.SUBSCRIBE
        )
    # Neither is what a reader's row becomes when the reader is erased.
    MarketingChoice.objects.create(newsletter=open_list, action=A.SUBSCRIBE, source="x")


# -- export and erasure -------------------------------------------------------------------


@pytest.fixture
def history(open_list, django_capture_on_commit_callbacks):
    """sam@example.com confirmed and left; someone else confirmed too."""
    for address in ("sam@example.com", "other@example.com"):
        request(open_list, address, django_capture_on_commit_callbacks)
        confirm(OpenSubscriber.objects.get(email=address))
    services.open_subscriber_unsubscribe(
        subscriber_id=OpenSubscriber.objects.get(email="sam@example.com").pk,
        newsletter=open_list,
        source="one-click",
    )


@pytest.mark.parametrize("proved", [True, False])
def test_an_account_holding_the_address_neither_sees_nor_erases_its_ledger(history, proved):
    # The account may be a stranger's that the owner's click proved: what is kept by
    # address is the mailbox's, reached through the links in its emails.
    holder = ReaderFactory(email="sam@example.com", verified=proved)

    assert "open_marketing_choices" not in privacy.export_newsletters(holder)
    services.marketing_erase(user=holder)
    assert len(ledger("sam@example.com")) == 3


def test_deleting_an_account_leaves_what_is_kept_by_its_address(history, open_list):
    from masthead.readers.account.services import account_erase

    reader = ReaderFactory(email="sam@example.com", verified=True)

    account_erase(user=reader)

    assert len(ledger("sam@example.com")) == 3
    assert OpenSubscriber.objects.filter(email="sam@example.com").exists()


def test_forgetting_from_the_preferences_link_deletes_the_ledger_too(client, history, open_list):
    row = OpenSubscriber.objects.get(email="sam@example.com")
    path = path_of(rendering.open_preferences_url(subscriber_id=row.pk, newsletter=open_list))

    client.post(path, {"action": "forget"})

    assert ledger("sam@example.com") == []
    assert len(ledger("other@example.com")) == 2


# -- sign-ups from before the ledger ------------------------------------------------------


def test_the_upgrade_records_what_each_confirmed_row_already_held(open_list):
    backfill = importlib.import_module(
        "masthead.newsletters.migrations.0006_open_subscriber_ledger_backfill"
    )
    then = timezone.now() - dt.timedelta(days=30)
    day = dt.timedelta(days=1)
    here = OpenSubscriber.objects.create(
        newsletter=open_list,
        email="here@example.com",
        status=OpenSubscriber.Status.ACTIVE,
        requested_at=then,
        confirmed_at=then + day,
        changed_at=then + day,
    )
    left = OpenSubscriber.objects.create(
        newsletter=open_list,
        email="left@example.com",
        status=OpenSubscriber.Status.UNSUBSCRIBED,
        requested_at=then,
        confirmed_at=then + day,
        changed_at=then + 2 * day,
    )
    OpenSubscriber.objects.create(newsletter=open_list, email="pending@example.com")
    back = OpenSubscriber.objects.create(  # confirmed, left, then asked again
        newsletter=open_list,
        email="back@example.com",
        status=OpenSubscriber.Status.PENDING,
        requested_at=then + 3 * day,
        confirmed_at=then + day,
        changed_at=then + 3 * day,
    )

    backfill.backfill(apps, None)
    backfill.backfill(apps, None)  # applied again: nothing twice

    def recorded(row):
        return [
            (c.action, c.at, c.subscriber_ref)
            for c in MarketingChoice.objects.filter(email=row.email).order_by("at")
        ]

    assert recorded(here) == [(A.REQUEST, then, here.pk), (A.SUBSCRIBE, then + day, here.pk)]
    assert recorded(left) == [
        (A.REQUEST, then, left.pk),
        (A.SUBSCRIBE, then + day, left.pk),
        (A.UNSUBSCRIBE, then + 2 * day, left.pk),
    ]
    assert recorded(back) == [
        (A.SUBSCRIBE, then + day, back.pk),
        (A.UNSUBSCRIBE, then + 3 * day, back.pk),  # at the new request at the latest
    ]
    assert ledger("pending@example.com") == []
    assert all(s.endswith("recorded at upgrade") for _a, s in ledger("left@example.com"))

    backfill.remove(apps, None)
    assert not MarketingChoice.objects.exists()


# -- whatever happens ---------------------------------------------------------------------


@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.sampled_from(["request", "confirm", "unsubscribe", "resubscribe", "wait", "expire"]),
        max_size=14,
    )
)
def test_replaying_the_ledger_always_gives_the_rows_state(
    open_list, django_capture_on_commit_callbacks, settings, time_machine, steps
):
    """Whatever the person does, the address's ledger alternates subscribe/unsubscribe
    (one row per real change, never two alike in a row), each confirmation follows its
    request, and replaying it says whether the row receives the newsletter."""
    OpenSubscriber.objects.all().delete()
    MarketingChoice.objects.all().delete()
    time_machine.move_to(timezone.now())
    address = "sam@example.com"
    for step in steps:
        row = OpenSubscriber.objects.filter(email=address).first()
        if step == "request":
            request(open_list, address, django_capture_on_commit_callbacks)
        elif step == "confirm" and row is not None:
            confirm(row)
        elif step == "unsubscribe" and row is not None:
            services.open_subscriber_unsubscribe(
                subscriber_id=row.pk, newsletter=open_list, source="one-click"
            )
        elif step == "resubscribe" and row is not None:
            services.open_subscriber_resubscribe(subscriber=row, source="email-link")
        elif step == "wait":
            time_machine.shift(dt.timedelta(minutes=20))
        elif step == "expire":
            time_machine.shift(dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS + 1))
            services.open_signups_expire()

        actions = [action for action, _source in ledger(address)]
        changes = [a for a in actions if a != A.REQUEST]
        assert all(a != b for a, b in itertools.pairwise(changes))
        assert changes[:1] in ([], [A.SUBSCRIBE])
        for n, action in enumerate(actions):
            if action == A.SUBSCRIBE:  # a confirmation after its request, or a comeback
                assert n > 0 and actions[n - 1] in (A.REQUEST, A.UNSUBSCRIBE)
        row = OpenSubscriber.objects.filter(email=address).first()
        receives = row is not None and row.status == OpenSubscriber.Status.ACTIVE
        assert receives == (changes[-1:] == [A.SUBSCRIBE])
