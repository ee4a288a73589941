"""Someone who joined an open newsletter without an account and then proves that address
is their account's (verifying it when registering, when changing the address, or by
signing in with an emailed code) finds the subscription on the account, and nowhere
else: one person, one record per newsletter, one place to manage it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from masthead.newsletters import emails, privacy, rendering, sending, services, tokens
from masthead.newsletters.models import (
    Delivery,
    MarketingChoice,
    MarketingPreference,
    Newsletter,
    OpenSubscriber,
    Subscription,
)
from masthead.readers.tests.registration_support import PASSWORD

from .factories import NewsletterFactory, ReaderFactory
from .sending_rig import make_issue

pytestmark = pytest.mark.django_db

A = MarketingChoice.Action
ADDRESS = "sam@example.com"
Status = OpenSubscriber.Status


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.NEWSLETTER_CONNECTIONS = 1  # in-process sends share the test's connection
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def weekly():
    return NewsletterFactory(name="The Harbour Weekly", slug="weekly", audience="open")


@pytest.fixture
def daily():
    return NewsletterFactory(name="The Harbour Daily", slug="daily", audience="open")


def joined(newsletter: Newsletter, address: str = ADDRESS) -> OpenSubscriber:
    """Signed up without an account and followed the emailed link."""
    services.open_signup_request(newsletter=newsletter, email_address=address)
    row = OpenSubscriber.objects.get(newsletter=newsletter, email=address)
    services.open_signup_confirm(
        newsletter=newsletter, subscriber_id=row.pk, requested=emails.requested_stamp(row)
    )
    row.refresh_from_db()
    return row


def left(row: OpenSubscriber) -> None:
    services.open_subscriber_unsubscribe(
        subscriber_id=row.pk, newsletter=row.newsletter, source="one-click"
    )


def receives(reader) -> set[str]:
    """The newsletters the reader's account gets now."""
    if MarketingPreference.objects.filter(user=reader, marketing_stopped=True).exists():
        return set()
    return set(
        Subscription.objects.filter(user=reader, active=True).values_list(
            "newsletter__slug", flat=True
        )
    )


def prove(reader, address: str = ADDRESS, *, session=None) -> None:
    """The verification link followed, by default in the reader's own signed-in
    browser; `session` is another client (signed out, or someone else's)."""
    email_address = EmailAddress.objects.get(user=reader, email=address)
    if session is None:
        session = Client()
        session.force_login(reader)
    key = EmailConfirmationHMAC(email_address).key
    response = session.post(f"/accounts/confirm-email/{key}/")
    assert response.status_code == 302
    assert EmailAddress.objects.get(pk=email_address.pk).verified


def open_rows(address: str = ADDRESS) -> list[str]:
    return list(OpenSubscriber.objects.filter(email=address).values_list("status", flat=True))


# -- when: the address is proved, whichever way -------------------------------------------


def test_confirming_the_address_after_registering_brings_the_subscription_to_the_account(
    client, weekly
):
    joined(weekly)
    reader = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=False)
    assert receives(reader) == set() and open_rows() == [Status.ACTIVE]  # not proved yet

    prove(reader)

    assert receives(reader) == {"weekly"}
    assert open_rows() == []
    assert MarketingChoice.objects.filter(
        user=reader, newsletter=weekly, action=A.SUBSCRIBE, source=services.SOURCE_CARRIED_OVER
    ).exists()
    client.post("/accounts/login/", {"login": ADDRESS, "password": PASSWORD})
    page = client.get("/account/newsletters/")
    assert [n.slug for n in page.context["form"].initial["newsletters"]] == ["weekly"]


def test_joining_by_the_open_form_while_the_account_is_unproved_ends_on_the_account(
    client, weekly, smtp_settings
):
    # Sam registered, ticked the newsletter, and has not followed the link yet: the
    # account gets nothing, so the open form is not told "already subscribed". Sam joins
    # there, gets the issues at the confirmed address, and once the account proves the
    # address the open row is carried over: one subscription, on the account.
    reader = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=False)
    services.subscriptions_set(user=reader, newsletters=[weekly], source="signup")

    row = joined(weekly)
    assert row.status == Status.ACTIVE
    first = sending.send_start(issue=make_issue(weekly))
    sending.send_work()
    assert [m["To"] for m in smtp_settings.recorder.messages] == [ADDRESS]
    assert Delivery.objects.get(send=first).subscriber_id == row.pk

    prove(reader)

    assert open_rows() == [] and receives(reader) == {"weekly"}
    second = sending.send_start(issue=make_issue(weekly))
    sending.send_work()
    assert [m["To"] for m in smtp_settings.recorder.messages] == [ADDRESS, ADDRESS]
    assert Delivery.objects.get(send=second).user_id == reader.pk


def test_registering_through_the_service_and_confirming_carries_it_over(weekly):
    from masthead.readers.services import Origin, reader_register

    joined(weekly)
    reader = reader_register(
        email=ADDRESS,
        password=PASSWORD,
        first_name="Sam",
        last_name="Reader",
        date_of_birth=dt.date(1990, 1, 1),
        newsletters=[],
        origin=Origin(ip_address=None, user_agent="", source="signup"),
    )
    assert open_rows() == [Status.ACTIVE]

    prove(reader)

    assert receives(reader) == {"weekly"} and open_rows() == []


def test_changing_the_account_to_the_address_carries_it_over_once_the_address_is_proved(
    client, weekly
):
    joined(weekly)
    reader = ReaderFactory(email="before@example.org", password=PASSWORD, verified=True)
    client.post("/accounts/login/", {"login": reader.email, "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    client.post("/accounts/email/", {"action_add": "", "email": ADDRESS})
    assert receives(reader) == set() and open_rows() == [Status.ACTIVE]  # only asked

    prove(reader)

    reader.refresh_from_db()
    assert reader.email == ADDRESS
    assert receives(reader) == {"weekly"} and open_rows() == []


def test_signing_in_with_a_code_proves_the_address_but_carries_nothing_over(
    client, weekly, mailoutbox
):
    joined(weekly)
    reader = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=False)
    mailoutbox.clear()

    response = client.post("/accounts/login/code/", {"email": ADDRESS})
    (message,) = mailoutbox
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.M)[1]
    client.post(response["Location"], {"code": code})

    # allauth proves the address before it signs the session in: at that moment the
    # mailbox is proved and the account is not, so the sign-up stays the address's
    # (whoever holds the mailbox can sign in to an account a stranger made with it).
    assert EmailAddress.objects.get(user=reader).verified
    assert receives(reader) == set() and open_rows() == [Status.ACTIVE]


def test_an_address_not_proved_is_never_carried_over(weekly):
    # Registering with someone else's address must not show or steer their subscription.
    joined(weekly)
    squatter = ReaderFactory(email=ADDRESS, verified=False)
    owner_elsewhere = ReaderFactory(email="owner@example.com", verified=True)

    assert services.open_signups_carry_over(user=squatter, address=ADDRESS) == 0
    assert services.open_signups_carry_over(user=owner_elsewhere, address=ADDRESS) == 0

    assert open_rows() == [Status.ACTIVE]
    assert not Subscription.objects.exists()
    assert not MarketingChoice.objects.exclude(email=ADDRESS).exists()


def test_a_verified_address_that_is_not_the_accounts_own_carries_nothing(weekly):
    joined(weekly)
    reader = ReaderFactory(email="main@example.com", verified=True)
    EmailAddress.objects.create(user=reader, email=ADDRESS, verified=True)

    assert services.open_signups_carry_over(user=reader, address=ADDRESS) == 0
    assert open_rows() == [Status.ACTIVE]


def test_confirming_an_address_fails_nobody_when_carrying_over_fails(weekly, monkeypatch, caplog):
    joined(weekly)
    reader = ReaderFactory(email=ADDRESS, verified=False)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "open_signups_carry_over", broken)
    prove(reader)  # still answered, and the address is verified

    assert "could not carry the open sign-ups" in caplog.text
    assert open_rows() == [Status.ACTIVE]  # the address keeps receiving, as before


@pytest.mark.parametrize("who", ["signed out", "someone else", "staff"])
def test_proving_the_address_from_any_other_session_carries_nothing(weekly, who):
    # A stranger registered with Sam's address; allauth emailed Sam "confirm it", and
    # Sam did, in a browser not signed in to that account (or staff marked it): the
    # mailbox is proved, not that the account is Sam's. Sam's sign-up stays Sam's.
    row = joined(weekly)
    stranger = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=False)
    session = Client()
    if who != "signed out":
        session.force_login(ReaderFactory(email="other@example.org", is_staff=who == "staff"))

    prove(stranger, session=session)

    assert open_rows() == [Status.ACTIVE] and receives(stranger) == set()
    assert not MarketingChoice.objects.filter(user=stranger).exists()
    assert MarketingChoice.objects.filter(email=ADDRESS, subscriber_ref=row.pk).exists()


def test_confirming_an_open_sign_up_signed_in_to_the_proved_account_brings_it_over(client, weekly):
    # Sam proved the address elsewhere earlier, so nothing came over then; joining
    # again by the open form while signed in shows both at once.
    reader = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=True)
    services.open_signup_request(newsletter=weekly, email_address=ADDRESS)
    row = OpenSubscriber.objects.get(email=ADDRESS)
    client.force_login(reader)

    token = tokens.confirm_token(
        subscriber_id=row.pk, newsletter_id=weekly.pk, requested=emails.requested_stamp(row)
    )
    assert client.post(f"/newsletters/join/weekly/confirm/{token}/").status_code == 200

    assert receives(reader) == {"weekly"} and open_rows() == []
    assert set(MarketingChoice.objects.filter(user=reader).values_list("action", flat=True)) >= {
        A.REQUEST,
        A.SUBSCRIBE,
    }


# -- what: each row by its status ---------------------------------------------------------


def test_a_pending_sign_up_is_dropped_never_subscribed(weekly):
    services.open_signup_request(newsletter=weekly, email_address=ADDRESS)  # never confirmed
    reader = ReaderFactory(email=ADDRESS, verified=True)

    assert services.open_signups_carry_over(user=reader, address=ADDRESS) == 1

    assert open_rows() == [] and not Subscription.objects.exists()
    assert not MarketingChoice.objects.exists()  # nobody consented to anything


def test_an_unsubscribed_row_resubscribes_nobody(weekly):
    left(joined(weekly))
    reader = ReaderFactory(email=ADDRESS, verified=True)

    services.open_signups_carry_over(user=reader, address=ADDRESS)

    assert receives(reader) == set() and open_rows() == []
    assert not Subscription.objects.exists()


def test_every_row_of_the_address_goes_and_nobody_elses(weekly, daily):
    joined(weekly)
    left(joined(daily))
    extra = NewsletterFactory(slug="extra", audience="open")
    services.open_signup_request(newsletter=extra, email_address=ADDRESS)
    joined(weekly, "other@example.com")
    reader = ReaderFactory(email=ADDRESS, verified=True)

    assert services.open_signups_carry_over(user=reader, address=ADDRESS) == 3

    assert receives(reader) == {"weekly"}
    assert open_rows() == [] and open_rows("other@example.com") == [Status.ACTIVE]


def test_carrying_over_again_changes_and_records_nothing(weekly):
    joined(weekly)
    reader = ReaderFactory(email=ADDRESS, verified=True)
    services.open_signups_carry_over(user=reader, address=ADDRESS)
    before = MarketingChoice.objects.count()

    assert services.open_signups_carry_over(user=reader, address=ADDRESS) == 0
    assert MarketingChoice.objects.count() == before


def test_already_subscribed_on_the_account_too_records_no_second_subscription(weekly):
    joined(weekly)
    reader = ReaderFactory(email=ADDRESS, verified=False)
    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")
    EmailAddress.objects.filter(user=reader).update(verified=True)

    services.open_signups_carry_over(user=reader, address=ADDRESS)

    assert receives(reader) == {"weekly"} and open_rows() == []
    assert not MarketingChoice.objects.filter(source=services.SOURCE_CARRIED_OVER).exists()


# -- the later choice wins (the rule in services' docstring) ------------------------------


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(timezone.now(), tick=False)

    def later():
        time_machine.shift(dt.timedelta(minutes=1))

    return later


def unproved_reader():
    return ReaderFactory(email=ADDRESS, verified=False)


def carry_over(reader) -> None:
    EmailAddress.objects.filter(user=reader).update(verified=True)
    services.open_signups_carry_over(user=reader, address=ADDRESS)


def test_stopping_all_marketing_after_joining_keeps_it_off(weekly, clock):
    joined(weekly)
    clock()
    reader = unproved_reader()
    services.marketing_stop_all(user=reader, source="account")
    clock()

    carry_over(reader)

    assert receives(reader) == set() and open_rows() == []
    assert MarketingPreference.objects.get(user=reader).marketing_stopped
    ended = MarketingChoice.objects.get(user=reader, newsletter=weekly, action=A.UNSUBSCRIBE)
    assert ended.source == services.SOURCE_ACCOUNT_LATER


def test_stopping_all_then_allowing_email_again_turns_nothing_back_on(weekly, clock):
    joined(weekly)
    clock()
    reader = unproved_reader()
    services.marketing_stop_all(user=reader, source="account")
    clock()
    services.marketing_resume(user=reader, source="account")
    clock()

    carry_over(reader)

    assert receives(reader) == set()


def test_joining_after_stopping_all_is_the_later_choice_and_lifts_the_stop(weekly, clock):
    reader = unproved_reader()
    services.marketing_stop_all(user=reader, source="account")
    clock()
    joined(weekly)
    clock()

    carry_over(reader)

    assert receives(reader) == {"weekly"}
    assert not MarketingPreference.objects.get(user=reader).marketing_stopped
    assert MarketingChoice.objects.filter(
        user=reader, action=A.RESUME, source=services.SOURCE_CARRIED_OVER
    ).exists()


def test_leaving_on_the_account_after_joining_keeps_it_off(weekly, clock):
    joined(weekly)
    clock()
    reader = unproved_reader()
    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")
    clock()
    services.subscription_cancel(user=reader, newsletter=weekly, source="one-click")
    clock()

    carry_over(reader)

    assert receives(reader) == set()


def test_leaving_by_the_open_link_after_subscribing_on_the_account_switches_it_off(weekly, clock):
    row = joined(weekly)
    clock()
    reader = unproved_reader()
    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")
    clock()
    left(row)  # from an issue sent to the open row before
    clock()

    carry_over(reader)

    assert receives(reader) == set()
    assert MarketingChoice.objects.filter(
        user=reader, action=A.UNSUBSCRIBE, source=services.SOURCE_CARRIED_OVER
    ).exists()


# -- the history comes along ---------------------------------------------------------------


def test_the_addresss_ledger_becomes_the_readers(weekly, daily):
    joined(weekly)
    left(joined(daily))
    reader = ReaderFactory(email=ADDRESS, verified=True)

    services.open_signups_carry_over(user=reader, address=ADDRESS)

    assert not MarketingChoice.objects.filter(email=ADDRESS).exists()
    exported = privacy.export_newsletters(reader)
    assert Counter(
        (c["newsletter"], c["action"], c["source"]) for c in exported["marketing_choices"]
    ) == Counter(
        {
            ("weekly", "request", services.SOURCE_OPEN_SIGNUP): 1,
            ("weekly", "subscribe", services.SOURCE_DOUBLE_OPT_IN): 1,
            ("weekly", "subscribe", services.SOURCE_CARRIED_OVER): 1,
            ("daily", "request", services.SOURCE_OPEN_SIGNUP): 1,
            ("daily", "subscribe", services.SOURCE_DOUBLE_OPT_IN): 1,
            ("daily", "unsubscribe", "one-click"): 1,
        }
    )


def test_an_unsubscribe_link_from_before_stops_the_accounts_subscription(weekly):
    row = joined(weekly)
    link = rendering.open_unsubscribe_url(subscriber_id=row.pk, newsletter=weekly)
    reader = ReaderFactory(email=ADDRESS, verified=True)
    services.open_signups_carry_over(user=reader, address=ADDRESS)
    assert receives(reader) == {"weekly"}

    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert receives(reader) == set()
    assert MarketingChoice.objects.filter(
        user=reader, action=A.UNSUBSCRIBE, source="one-click"
    ).exists()


def test_issues_sent_to_the_address_before_are_in_the_readers_record(weekly, smtp_settings):
    joined(weekly)
    sending.send_start(issue=make_issue(weekly))
    sending.send_work()
    reader = ReaderFactory(email=ADDRESS, verified=True)

    services.open_signups_carry_over(user=reader, address=ADDRESS)

    assert [d["status"] for d in privacy.export_newsletters(reader)["issues_sent"]] == ["sent"]


def test_a_copy_still_to_go_in_a_send_under_way_reaches_the_reader_once(weekly, smtp_settings):
    joined(weekly)
    send = sending.send_start(issue=make_issue(weekly))
    sending.send_freeze(send_id=send.pk)  # the open row is on the list
    reader = ReaderFactory(email=ADDRESS, verified=True)
    services.open_signups_carry_over(user=reader, address=ADDRESS)

    sending.send_work()
    sending.send_work()

    assert [m["To"] for m in smtp_settings.recorder.messages] == [ADDRESS]
    assert Delivery.objects.get(send=send).user == reader


# -- whatever happened before --------------------------------------------------------------


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["join", "leave", "rejoin", "choose", "drop", "stop", "resume"]),
        st.sampled_from(["weekly", "daily"]),
    ),
    max_size=10,
)


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
@example(  # left by the open link after choosing it on the account: it ends off
    steps=[("join", "weekly"), ("choose", "weekly"), ("leave", "weekly")]
)
@example(  # joined, stopped, joined another: only the later one is on
    steps=[("join", "weekly"), ("stop", "weekly"), ("join", "daily"), ("resume", "daily")]
)
def test_the_reader_ends_up_with_what_they_would_have_had_had_the_address_been_proved_all_along(
    weekly, daily, time_machine, steps
):
    """Whatever the person did with the open links and with the (unproved) account, in
    whatever order, carrying over gives the account exactly the newsletters that the
    choices that took effect, replayed in order on one account, would give; and it leaves
    no open row, no ledger row kept by address, and no subscription on while stopped."""
    get_user_model().objects.filter(email=ADDRESS).delete()
    OpenSubscriber.objects.all().delete()
    MarketingChoice.objects.all().delete()
    time_machine.move_to(timezone.now(), tick=False)
    reader = unproved_reader()
    lists = {"weekly": weekly, "daily": daily}

    def open_status(slug):
        row = OpenSubscriber.objects.filter(newsletter=lists[slug], email=ADDRESS).first()
        return row.status if row else None

    def account():
        stopped = MarketingPreference.objects.filter(user=reader, marketing_stopped=True).exists()
        on = set(
            Subscription.objects.filter(user=reader, active=True).values_list(
                "newsletter__slug", flat=True
            )
        )
        return stopped, on

    replay: set[str] = set()  # what one account that had the address proved would get
    for action, slug in steps:
        time_machine.shift(dt.timedelta(minutes=1))
        newsletter = lists[slug]
        row = OpenSubscriber.objects.filter(newsletter=newsletter, email=ADDRESS).first()
        was_open, (was_stopped, was_on) = open_status(slug), account()
        if action == "join":
            services.open_signup_request(newsletter=newsletter, email_address=ADDRESS)
            fresh = OpenSubscriber.objects.filter(newsletter=newsletter, email=ADDRESS).first()
            if fresh is not None and fresh.status == Status.PENDING:
                services.open_signup_confirm(
                    newsletter=newsletter,
                    subscriber_id=fresh.pk,
                    requested=emails.requested_stamp(fresh),
                )
        elif action == "leave" and row is not None:
            left(row)
        elif action == "rejoin" and row is not None:
            services.open_subscriber_resubscribe(subscriber=row, source="email-link")
        elif action == "choose":
            services.subscriptions_set(
                user=reader,
                newsletters=[lists[s] for s in was_on | {slug}],
                source="account",
            )
        elif action == "drop":
            services.subscription_cancel(user=reader, newsletter=newsletter, source="account")
        elif action == "stop":
            services.marketing_stop_all(user=reader, source="account")
        elif action == "resume":
            services.marketing_resume(user=reader, source="account")
        # What took effect, as one account would have taken it.
        now_open, (now_stopped, now_on) = open_status(slug), account()
        if now_open == Status.ACTIVE and was_open != Status.ACTIVE:
            replay.add(slug)
        if now_open == Status.UNSUBSCRIBED and was_open == Status.ACTIVE:
            replay.discard(slug)
        if now_stopped and not was_stopped:
            replay.clear()
        replay |= now_on - was_on
        replay -= was_on - now_on

    time_machine.shift(dt.timedelta(minutes=1))
    carry_over(reader)

    assert receives(reader) == replay
    assert not OpenSubscriber.objects.filter(email=ADDRESS).exists()
    assert not MarketingChoice.objects.filter(email=ADDRESS).exists()
    stopped, on = account()
    assert not (stopped and on)


# -- review: one person, two records, until they are shown to be one ----------------------


def test_the_one_click_link_in_the_accounts_copy_stops_the_mailboxs_own_sign_up_too(
    weekly, smtp_settings
):
    # Sam joined without an account, then proved the address elsewhere than in their
    # session: two records, one copy (the account's). That copy's link is the only one
    # the mailbox gets, so it must stop the newsletter there.
    joined(weekly)
    reader = ReaderFactory(email=ADDRESS, verified=True)
    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")
    sending.send_start(issue=make_issue(weekly))
    sending.send_work()
    assert [m["To"] for m in smtp_settings.recorder.messages] == [ADDRESS]

    link = rendering.unsubscribe_url(user_id=reader.pk, newsletter=weekly)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    sending.send_start(issue=make_issue(weekly))
    sending.send_work()

    assert [m["To"] for m in smtp_settings.recorder.messages] == [ADDRESS]  # nothing more
    assert open_rows() == [Status.UNSUBSCRIBED] and receives(reader) == set()
    assert MarketingChoice.objects.filter(email=ADDRESS, action=A.UNSUBSCRIBE).exists()


def test_a_lapsed_request_is_not_the_addresss_latest_choice(weekly, clock, settings):
    # Sam left the open list, later subscribed on the account; then someone typed Sam's
    # address into the form and never confirmed. Proving the address afterwards must
    # not switch the account's subscription off on the strength of that request.
    left(joined(weekly))
    clock()
    reader = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=False)
    services.subscriptions_set(user=reader, newsletters=[weekly], source="account")
    clock()
    services.open_signup_request(newsletter=weekly, email_address=ADDRESS)
    clock()
    services.open_signups_expire(
        now=timezone.now() + dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS, minutes=1)
    )
    assert open_rows() == [Status.UNSUBSCRIBED]

    prove(reader)

    assert receives(reader) == {"weekly"}


def test_a_session_signed_in_by_code_only_does_not_bring_a_sign_up_over(client, weekly, mailoutbox):
    # A code proves the mailbox: whoever holds it can sign in by code to an account a
    # stranger made with the address and keeps the password of.
    stranger_made = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=True)
    services.open_signup_request(newsletter=weekly, email_address=ADDRESS)
    row = OpenSubscriber.objects.get(email=ADDRESS)
    mailoutbox.clear()
    response = client.post("/accounts/login/code/", {"email": ADDRESS})
    (message,) = mailoutbox
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.M)[1]
    client.post(response["Location"], {"code": code})
    assert client.get("/account/newsletters/").status_code == 200  # signed in

    token = tokens.confirm_token(
        subscriber_id=row.pk, newsletter_id=weekly.pk, requested=emails.requested_stamp(row)
    )
    assert client.post(f"/newsletters/join/weekly/confirm/{token}/").status_code == 200

    assert open_rows() == [Status.ACTIVE] and receives(stranger_made) == set()


def test_a_failed_carry_over_after_confirming_loses_no_confirmation(
    client, weekly, monkeypatch, caplog
):
    reader = ReaderFactory(email=ADDRESS, password=PASSWORD, verified=True)
    services.open_signup_request(newsletter=weekly, email_address=ADDRESS)
    row = OpenSubscriber.objects.get(email=ADDRESS)
    client.force_login(reader)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "open_signups_carry_over", broken)
    token = tokens.confirm_token(
        subscriber_id=row.pk, newsletter_id=weekly.pk, requested=emails.requested_stamp(row)
    )
    assert client.post(f"/newsletters/join/weekly/confirm/{token}/").status_code == 200

    assert open_rows() == [Status.ACTIVE]
    assert "could not carry reader" in caplog.text
