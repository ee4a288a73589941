"""Hard bounces and complaints stop marketing email; the reader sees why and can undo a
bounce, once they have proved the address is theirs."""

from __future__ import annotations

import pytest

from masthead.newsletters import privacy, selectors, sending, services, tracking
from masthead.newsletters.models import Delivery, DeliveryStatus, MarketingChoice, Suppression

from .sending_rig import make_issue, subscribers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("event_type", "description", "suppressed"),
    [
        ("bounced", "550 5.1.1 user unknown", "bounce"),
        ("rejected", "invalid recipient", "bounce"),
        ("complained", "", "complaint"),
        ("bounced", "soft bounce: mailbox full", None),
        ("deferred", "", None),
        ("opened", "", None),
    ],
)
def test_only_permanent_events_suppress(event_type, description, suppressed):
    tracking.event_record(
        event_type=event_type, recipient="Ann@Example.com", description=description
    )
    assert (
        Suppression.objects.filter(email="ann@example.com").values_list("reason", flat=True).first()
        == suppressed
    )


def test_a_complaint_outranks_an_earlier_bounce_and_records_once():
    assert services.suppression_record(email="a@example.com", reason="bounce")
    assert not services.suppression_record(email="A@example.com", reason="complaint")
    assert Suppression.objects.get().reason == "complaint"


@pytest.mark.parametrize(
    ("email", "reason"), [("", "bounce"), ("nobody", "bounce"), ("a@b.c", "spite")]
)
def test_bad_suppressions_are_refused(email, reason):
    with pytest.raises(ValueError):
        services.suppression_record(email=email, reason=reason)


def test_a_suppressed_address_gets_no_issue_even_mid_send(smtp_settings, settings):
    settings.NEWSLETTER_CONNECTIONS = 1
    issue = make_issue()
    kept, bounced = subscribers(issue.newsletter, 2)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    tracking.event_record(
        event_type="bounced", recipient=bounced.email, description="550 no such user"
    )

    sending.send_work()

    assert smtp_settings.recorder.recipients() == [kept.email]
    assert Delivery.objects.get(user=bounced).status == DeliveryStatus.SKIPPED


def test_the_account_page_says_why_and_undoes_a_bounce(client):
    (reader,) = subscribers(make_issue().newsletter, 1)
    services.suppression_record(email=reader.email, reason="bounce", detail="550")
    client.force_login(reader)

    page = client.get("/account/newsletters/").content.decode()
    assert "bouncing" in page and "My address works again" in page
    client.post("/account/newsletters/address-works/")

    assert not Suppression.objects.exists()
    assert "bouncing" not in client.get("/account/newsletters/").content.decode()


def test_a_reader_cannot_lift_a_complaint():
    (reader,) = subscribers(make_issue().newsletter, 1)
    services.suppression_record(email=reader.email, reason="complaint", detail="")

    assert services.suppression_lift(user=reader) is False
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


# A suppression is the mailbox's: only a reader who proved the address is theirs may
# lift it, see it, or have it in their export and erasure. Anyone can register with
# anyone's address; that account must not undo, learn or erase what the mailbox said.


def test_an_unproved_account_cannot_lift_a_bounce_on_its_address(client):
    (squatter,) = subscribers(make_issue().newsletter, 1, verified=False)
    services.suppression_record(email=squatter.email, reason="bounce", detail="550")
    client.force_login(squatter)

    assert services.suppression_lift(user=squatter) is False
    client.post("/account/newsletters/address-works/")

    assert Suppression.objects.get().reason == Suppression.Reason.BOUNCE
    assert not MarketingChoice.objects.filter(source="suppression").exists()


def test_an_unproved_account_is_not_shown_a_suppression_on_its_address(client):
    (squatter,) = subscribers(make_issue().newsletter, 1, verified=False)
    services.suppression_record(email=squatter.email, reason="complaint")
    client.force_login(squatter)

    page = client.get("/account/newsletters/").content.decode()

    assert "spam" not in page and "Send me newsletters again" not in page
    assert selectors.suppression_for(squatter) is None


def test_an_unproved_accounts_export_leaves_the_suppression_out():
    (squatter,) = subscribers(make_issue().newsletter, 1, verified=False)
    services.suppression_record(email=squatter.email, reason="bounce")

    assert privacy.export_newsletters(squatter)["suppression"] == []


def test_a_proved_readers_export_shows_the_suppression_and_erasure_keeps_it():
    # The mailbox bounced or complained: mail to it stays stopped whoever registers it
    # next, so deleting the account does not delete the suppression.
    (reader,) = subscribers(make_issue().newsletter, 1)
    services.suppression_record(email=reader.email, reason="complaint")

    assert [s["reason"] for s in privacy.export_newsletters(reader)["suppression"]] == ["complaint"]
    services.marketing_erase(user=reader)
    assert Suppression.objects.filter(email=reader.email).exists()
