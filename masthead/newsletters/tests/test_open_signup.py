"""Open newsletters for people without an account: sign-up, double opt-in, and the
links in their emails (one-click unsubscribe, preferences) signed for their row and list.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from masthead.newsletters import emails, rendering, services, tokens
from masthead.newsletters.models import MarketingChoice, Newsletter, OpenSubscriber, Subscription
from masthead.readers.tests.registration_support import make_legal_pages, solved_altcha

from .factories import NewsletterFactory, ReaderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_list():
    return NewsletterFactory(
        name="The Harbour Weekly", slug="weekly", audience=Newsletter.Audience.OPEN
    )


@pytest.fixture
def exclusive():
    return NewsletterFactory(name="Members' Brief", slug="members")


def sign_up(client, newsletter, capture, **data):
    payload = {"email": "Sam@Example.com", "reference": "", "altcha": solved_altcha(), **data}
    with capture(execute=True):
        return client.post(f"/newsletters/join/{newsletter.slug}/", payload)


def confirmation_link(mail) -> str:
    (message,) = [m for m in mail if "Confirm your subscription" in m.subject]
    return re.search(r"http://\S+/confirm/\S+/", message.body)[0]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# -- the page and the form ----------------------------------------------------------------


def test_open_newsletters_are_listed_with_their_sign_up_page(client, open_list, exclusive):
    response = client.get("/newsletters/")

    assert response.status_code == 200
    assert b'href="/newsletters/join/weekly/"' in response.content
    assert b"/newsletters/join/members/" not in response.content  # registered only
    page = client.get("/newsletters/join/weekly/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    assert b'name="altcha"' in page.content and b'name="reference"' in page.content


def test_every_page_links_the_newsletters_list_from_its_footer(client, open_list):
    page = client.get("/newsletters/join/weekly/").content.decode()

    footer = page.split('<footer class="site-footer"', 1)[1]
    assert 'href="/newsletters/"' in footer


def test_the_consent_wording_links_to_the_privacy_notice(client, open_list):
    pages = make_legal_pages()

    response = client.get("/newsletters/join/weekly/")

    assert f'href="{pages["privacy"].url}"'.encode() in response.content
    assert b"only to send you this newsletter" in response.content


def test_signing_up_emails_a_link_and_subscribes_nobody_yet(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox
):
    response = sign_up(client, open_list, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == "/newsletters/join/weekly/check-your-inbox/"
    row = OpenSubscriber.objects.get()
    assert row.email == "sam@example.com"  # normalised as registration stores addresses
    assert row.status == OpenSubscriber.Status.PENDING
    assert [m.to for m in mailoutbox] == [["sam@example.com"]]
    assert "List-Unsubscribe" not in mailoutbox[0].extra_headers  # transactional
    assert "/newsletters/join/weekly/confirm/" in confirmation_link(mailoutbox)
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Enter your email address."),
        ({"email": "sam at example"}, "in the right format"),
        ({"email": "sam@localhost"}, ""),
        ({"altcha": ""}, "confirm you're a person"),
        ({"altcha": "forged"}, "confirm you're a person"),
    ],
)
def test_bad_input_says_what_is_wrong_keeps_what_was_typed_and_saves_nothing(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox, data, message
):
    response = sign_up(client, open_list, django_capture_on_commit_callbacks, **data)

    assert response.status_code == 400
    content = response.content.decode()
    assert "There is a problem" in content
    assert message.replace("'", "&#x27;") in content
    typed = data.get("email", "Sam@Example.com")
    if typed:
        assert f'value="{typed}"' in content
    assert not OpenSubscriber.objects.exists()
    assert mailoutbox == []


def test_a_filled_honeypot_looks_like_success_and_does_nothing(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox
):
    response = sign_up(
        client, open_list, django_capture_on_commit_callbacks, reference="http://spam"
    )

    assert response.status_code == 302
    assert not OpenSubscriber.objects.exists() and mailoutbox == []


def test_asking_again_soon_sends_nothing_more_and_says_the_same(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox, settings
):
    first = sign_up(client, open_list, django_capture_on_commit_callbacks)
    second = sign_up(client, open_list, django_capture_on_commit_callbacks)

    assert first["Location"] == second["Location"]
    assert OpenSubscriber.objects.count() == 1
    assert len(mailoutbox) == 1


def test_asking_again_later_sends_a_new_link_and_the_old_one_stops_working(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox, time_machine
):
    time_machine.move_to(timezone.now())
    sign_up(client, open_list, django_capture_on_commit_callbacks)
    old = confirmation_link(mailoutbox)
    time_machine.shift(dt.timedelta(minutes=20))
    mailoutbox.clear()
    sign_up(client, open_list, django_capture_on_commit_callbacks)
    new = confirmation_link(mailoutbox)

    assert old != new
    assert OpenSubscriber.objects.count() == 1
    refused = client.post(path_of(old))
    assert refused.status_code == 400
    assert b"already been used, or a newer one" in refused.content
    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.PENDING
    assert client.post(path_of(new)).status_code == 200
    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.ACTIVE


def test_an_address_already_subscribed_gets_the_same_answer_and_no_email(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox
):
    OpenSubscriber.objects.create(
        newsletter=open_list, email="sam@example.com", status=OpenSubscriber.Status.ACTIVE
    )

    fresh = sign_up(client, open_list, django_capture_on_commit_callbacks, email="new@example.com")
    mailoutbox.clear()
    known = sign_up(client, open_list, django_capture_on_commit_callbacks)

    assert fresh["Location"] == known["Location"]
    assert mailoutbox == []


def test_an_address_held_only_by_an_unproved_account_signs_up_by_double_opt_in(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox
):
    # Someone registered with Sam's address and ticked the newsletter. That account is
    # sent nothing until it proves the address, so Sam is not "already subscribed": the
    # sign-up goes through the confirmation email like anyone's, and confirming it makes
    # Sam an account-less subscriber (the account stays as it was).
    squatter = ReaderFactory(email="sam@example.com", verified=False)
    services.subscriptions_set(user=squatter, newsletters=[open_list], source="signup")

    response = sign_up(client, open_list, django_capture_on_commit_callbacks)

    assert response["Location"] == "/newsletters/join/weekly/check-your-inbox/"
    row = OpenSubscriber.objects.get(email="sam@example.com")
    assert row.status == OpenSubscriber.Status.PENDING
    assert [m.to for m in mailoutbox] == [["sam@example.com"]]
    assert client.post(path_of(confirmation_link(mailoutbox))).status_code == 200
    row.refresh_from_db()
    assert row.status == OpenSubscriber.Status.ACTIVE
    assert Subscription.objects.get(user=squatter).active  # untouched, and still waiting


def test_an_account_receiving_it_does_not_stop_the_mailbox_signing_up_itself(open_list):
    # The account may be a stranger's that the owner's click proved: the owner's own
    # sign-up is recorded and theirs to withdraw; the sender sends the mailbox one copy.
    for verified in (True, False):
        account = ReaderFactory(email=f"{verified}@example.com", verified=verified)
        services.subscriptions_set(user=account, newsletters=[open_list], source="account")
        assert (
            services.open_signup_request(newsletter=open_list, email_address=account.email)
            == services.SignupOutcome.SENT
        )


def test_a_suppressed_address_is_sent_no_confirmation(
    client, open_list, django_capture_on_commit_callbacks, mailoutbox
):
    services.suppression_record(email="sam@example.com", reason="complaint")

    response = sign_up(client, open_list, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert mailoutbox == [] and not OpenSubscriber.objects.exists()


def test_a_registered_only_newsletter_takes_no_address(
    client, exclusive, django_capture_on_commit_callbacks, mailoutbox
):
    page = client.get("/newsletters/join/members/")
    refused = sign_up(client, exclusive, django_capture_on_commit_callbacks)

    assert page.status_code == 200 and b'name="email"' not in page.content
    assert refused.status_code == 403
    assert b"for registered readers" in refused.content
    assert not OpenSubscriber.objects.exists() and mailoutbox == []
    with pytest.raises(services.SignupRefused):
        services.open_signup_request(newsletter=exclusive, email_address="sam@example.com")


def test_too_many_sign_ups_from_one_network_are_refused_with_a_message(
    client, open_list, django_capture_on_commit_callbacks, settings
):
    settings.SIGNUP_IP_LIMIT = 2
    for n in range(2):
        assert (
            sign_up(
                client, open_list, django_capture_on_commit_callbacks, email=f"p{n}@example.com"
            ).status_code
            == 302
        )
    response = sign_up(client, open_list, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert b"too many sign-ups from your network" in response.content
    assert b'value="Sam@Example.com"' in response.content


# -- confirming ---------------------------------------------------------------------------


@pytest.fixture
def pending(open_list):
    return OpenSubscriber.objects.create(newsletter=open_list, email="sam@example.com")


def confirm_path(row, **overrides) -> str:
    values = {
        "subscriber_id": row.pk,
        "newsletter_id": row.newsletter_id,
        "requested": emails.requested_stamp(row),
        **overrides,
    }
    token = tokens.confirm_token(**values)
    return f"/newsletters/join/{row.newsletter.slug}/confirm/{token}/"


def test_the_link_shows_a_button_and_only_the_post_confirms(client, pending):
    path = confirm_path(pending)

    page = client.get(path)
    assert page.status_code == 200 and b"Confirm my subscription" in page.content
    pending.refresh_from_db()
    assert pending.status == OpenSubscriber.Status.PENDING

    done = client.post(path)
    assert done.status_code == 200 and b"You're subscribed" in done.content
    pending.refresh_from_db()
    assert pending.status == OpenSubscriber.Status.ACTIVE
    assert pending.confirmed_at is not None


def test_confirming_twice_is_harmless(client, pending):
    path = confirm_path(pending)
    assert client.post(path).status_code == 200
    again = client.post(path)

    assert again.status_code == 200 and b"You're subscribed" in again.content
    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.ACTIVE


def test_a_forged_or_tampered_token_confirms_nothing(client, pending):
    good = confirm_path(pending)
    token = good.rsplit("/", 2)[1]
    forged = signing.dumps(
        [pending.pk, pending.newsletter_id, emails.requested_stamp(pending)],
        key="not-our-secret-key-" * 3,
        salt="masthead.newsletters.open.confirm",
    )
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    # The same payload signed as an unsubscribe token (another purpose) is refused too.
    other_purpose = tokens.open_unsubscribe_token(
        subscriber_id=pending.pk, newsletter_id=pending.newsletter_id
    )

    for bad in (forged, tampered, other_purpose, "nonsense"):
        response = client.post(f"/newsletters/join/weekly/confirm/{bad}/")
        assert response.status_code == 400, bad
        assert b"not valid" in response.content
    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.PENDING


def test_an_expired_link_confirms_nothing(client, pending, settings, time_machine):
    time_machine.move_to(timezone.now())
    path = confirm_path(pending)
    time_machine.shift(dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS, seconds=1))

    response = client.post(path)

    assert response.status_code == 400 and b"expired" in response.content
    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.PENDING


def test_a_link_for_another_list_confirms_nothing(client, pending):
    other = NewsletterFactory(slug="other", audience=Newsletter.Audience.OPEN)
    token = confirm_path(pending).rsplit("/", 2)[1]

    response = client.post(f"/newsletters/join/{other.slug}/confirm/{token}/")

    assert response.status_code == 400 and b"another newsletter" in response.content
    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.PENDING


def test_confirming_signed_in_to_the_account_that_proved_the_address_subscribes_it(
    client, open_list
):
    reader = ReaderFactory(email="sam@example.com", verified=True)
    services.marketing_stop_all(user=reader, source="account")
    row = OpenSubscriber.objects.create(newsletter=open_list, email="sam@example.com")
    client.force_login(reader)

    assert client.post(confirm_path(row)).status_code == 200

    assert Subscription.objects.get(user=reader, newsletter=open_list).active
    assert not OpenSubscriber.objects.exists()  # one record per person per newsletter
    assert not reader.marketing_preference.__class__.objects.get(user=reader).marketing_stopped


@pytest.mark.parametrize("who", ["signed out", "someone else"])
def test_confirming_from_any_other_session_keeps_the_address_its_own(client, open_list, who):
    # The account may hold the address proved because its owner followed the link a
    # stranger's registration sent them: the mailbox is proved, the account is not.
    holder = ReaderFactory(email="sam@example.com", verified=True)
    if who == "someone else":
        client.force_login(ReaderFactory(email="other@example.com", verified=True))
    row = OpenSubscriber.objects.create(newsletter=open_list, email="sam@example.com")

    assert client.post(confirm_path(row)).status_code == 200

    row.refresh_from_db()
    assert row.status == OpenSubscriber.Status.ACTIVE
    assert not Subscription.objects.filter(user=holder).exists()
    assert not MarketingChoice.objects.filter(user=holder).exists()


def test_an_account_that_has_not_proved_the_address_gets_nothing_of_its_owner(client, open_list):
    # Anyone can register with anyone's address: until the account proves it, the
    # mailbox's owner stays an account-less subscriber the account cannot see or steer.
    squatter = ReaderFactory(email="sam@example.com", verified=False)
    row = OpenSubscriber.objects.create(newsletter=open_list, email="sam@example.com")

    assert client.post(confirm_path(row)).status_code == 200

    row.refresh_from_db()
    assert row.status == OpenSubscriber.Status.ACTIVE
    assert not Subscription.objects.filter(user=squatter).exists()


def test_unconfirmed_sign_ups_expire_and_confirmed_ones_stay(open_list, settings):
    old = timezone.now() - dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS, minutes=1)
    OpenSubscriber.objects.create(newsletter=open_list, email="stale@example.com", requested_at=old)
    OpenSubscriber.objects.create(newsletter=open_list, email="fresh@example.com")
    OpenSubscriber.objects.create(
        newsletter=open_list,
        email="kept@example.com",
        requested_at=old,
        status=OpenSubscriber.Status.ACTIVE,
    )

    from masthead.newsletters import sending

    sending.send_work()  # each pass of the sender does the housekeeping

    assert sorted(OpenSubscriber.objects.values_list("email", flat=True)) == [
        "fresh@example.com",
        "kept@example.com",
    ]


def test_a_lapsed_request_from_someone_who_had_left_keeps_their_history(
    open_list, settings, time_machine
):
    # Sam confirmed, left, and someone typed Sam's address into the form again; the
    # link is never followed. Sam's record (ledger, issues sent) stays reachable.
    services.open_signup_request(newsletter=open_list, email_address="sam@example.com")
    row = OpenSubscriber.objects.get()
    services.open_signup_confirm(
        newsletter=open_list, subscriber_id=row.pk, requested=emails.requested_stamp(row)
    )
    services.open_subscriber_unsubscribe(
        subscriber_id=row.pk, newsletter=open_list, source="one-click"
    )
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=30))
    assert (
        services.open_signup_request(newsletter=open_list, email_address="sam@example.com")
        == services.SignupOutcome.SENT
    )
    history = list(MarketingChoice.objects.filter(email="sam@example.com").values_list("pk"))
    time_machine.move_to(
        timezone.now() + dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS, minutes=1)
    )

    assert services.open_signups_expire() == 1

    row.refresh_from_db()
    assert row.status == OpenSubscriber.Status.UNSUBSCRIBED
    assert list(MarketingChoice.objects.filter(email="sam@example.com").values_list("pk")) == (
        history
    )


# -- the links in their emails ------------------------------------------------------------


@pytest.fixture
def active(open_list):
    return OpenSubscriber.objects.create(
        newsletter=open_list, email="sam@example.com", status=OpenSubscriber.Status.ACTIVE
    )


def one_click(path: str):
    # As a mail provider does it: no cookie, no CSRF token, the RFC 8058 body.
    return Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )


def test_one_click_unsubscribes_without_an_account_idempotently(client, active, open_list):
    path = path_of(rendering.open_unsubscribe_url(subscriber_id=active.pk, newsletter=open_list))

    assert client.get(path).status_code == 200  # a link scanner's GET changes nothing
    active.refresh_from_db()
    assert active.status == OpenSubscriber.Status.ACTIVE

    first = one_click(path)
    second = one_click(path)

    assert first.status_code == second.status_code == 200
    assert "no-store" in first["Cache-Control"]
    active.refresh_from_db()
    assert active.status == OpenSubscriber.Status.UNSUBSCRIBED


def test_subscriber_tokens_act_only_on_their_row_and_list(active, open_list):
    other = NewsletterFactory(slug="other", audience=Newsletter.Audience.OPEN)
    theirs = OpenSubscriber.objects.create(
        newsletter=other, email="sam@example.com", status=OpenSubscriber.Status.ACTIVE
    )
    cross_list = rendering.open_unsubscribe_url(subscriber_id=theirs.pk, newsletter=other)
    token = cross_list.rstrip("/").rsplit("/", 1)[1]
    # A reader's unsubscribe token for the same numbers is another kind: refused.
    reader_kind = tokens.unsubscribe_token(user_id=active.pk, newsletter_id=open_list.pk)

    assert one_click(f"/newsletters/open/unsubscribe/weekly/{token}/").status_code == 400
    assert one_click(f"/newsletters/open/unsubscribe/weekly/{reader_kind}/").status_code == 400
    assert set(OpenSubscriber.objects.values_list("status", flat=True)) == {"active"}


def test_the_preferences_link_unsubscribes_resubscribes_and_forgets(client, active, open_list):
    path = path_of(rendering.open_preferences_url(subscriber_id=active.pk, newsletter=open_list))

    page = client.get(path)
    assert page.status_code == 200 and b"sam@example.com" in page.content

    client.post(path, {"action": "unsubscribe"})
    active.refresh_from_db()
    assert active.status == OpenSubscriber.Status.UNSUBSCRIBED
    client.post(path, {"action": "subscribe"})
    active.refresh_from_db()
    assert active.status == OpenSubscriber.Status.ACTIVE

    forgotten = client.post(path, {"action": "forget"})
    assert forgotten.status_code == 200
    assert not OpenSubscriber.objects.exists()
    assert client.get(path).status_code == 400  # nothing left to manage


@pytest.mark.parametrize(
    ("action", "service"),
    [("unsubscribe", "open_subscriber_unsubscribe"), ("subscribe", "open_subscriber_resubscribe")],
)
def test_a_row_carried_over_while_a_choice_is_saved_answers_that_the_link_no_longer_works(
    client, active, open_list, monkeypatch, action, service
):
    # The page was loaded; before the choice is saved, the address is proved an
    # account's and the row carried over to it (or erased). Not a server error: the
    # same page as for a link whose row has gone, pointing to signing in.
    path = path_of(rendering.open_preferences_url(subscriber_id=active.pk, newsletter=open_list))
    reader = ReaderFactory(email="sam@example.com", verified=True)
    original = getattr(services, service)

    def carried_over_meanwhile(**kwargs):
        services.open_signups_carry_over(user=reader, address="sam@example.com")
        return original(**kwargs)

    monkeypatch.setattr(services, service, carried_over_meanwhile)

    response = client.post(path, {"action": action})

    assert response.status_code == 400
    assert b"sign in to manage your newsletters" in response.content
    assert not OpenSubscriber.objects.exists()


@pytest.mark.parametrize("proved", [True, False])
def test_an_accounts_export_and_erasure_leave_the_addresss_open_rows_to_the_mailbox(
    open_list, proved
):
    from masthead.newsletters import privacy

    holder = ReaderFactory(email="sam@example.com", verified=proved)
    OpenSubscriber.objects.create(
        newsletter=open_list, email="sam@example.com", status=OpenSubscriber.Status.ACTIVE
    )

    assert "open_subscriptions" not in privacy.export_newsletters(holder)
    services.marketing_erase(user=holder)

    assert OpenSubscriber.objects.get().status == OpenSubscriber.Status.ACTIVE


@pytest.mark.parametrize("proved", [True, False])
def test_nothing_of_the_mailboxs_own_sign_up_is_in_an_accounts_export_or_erasure(
    open_list, django_capture_on_commit_callbacks, smtp_settings, proved
):
    # Sam signed up without an account; an account holds Sam's address (a stranger's,
    # perhaps, that Sam's click proved). Its export shows nothing of Sam's sign-up, not
    # even the confirmation email's subject, and its erasure leaves all of it.
    import json

    from masthead.core import privacy as core_privacy
    from masthead.core.models import OutboxEmail
    from masthead.readers.account.services import account_erase

    with django_capture_on_commit_callbacks(execute=True):
        services.open_signup_request(newsletter=open_list, email_address="sam@example.com")
    assert OutboxEmail.objects.filter(recipient="sam@example.com").exists()  # it was sent
    holder = ReaderFactory(email="sam@example.com", verified=proved)

    exported = json.dumps(core_privacy.export_for(holder), default=str)
    assert open_list.name not in exported and "Confirm your subscription" not in exported

    account_erase(user=holder)
    assert OpenSubscriber.objects.filter(email="sam@example.com").exists()
    assert OutboxEmail.objects.filter(recipient="sam@example.com").exists()
