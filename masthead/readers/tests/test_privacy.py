"""The personal-data registry: complete, exported whole, erased through, audited."""

from __future__ import annotations

import json
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from masthead.core import privacy
from masthead.newsletters import services as newsletter_services
from masthead.newsletters.models import MarketingChoice, MarketingPreference, Subscription
from masthead.newsletters.tests.factories import PASSWORD, NewsletterFactory, ReaderFactory
from masthead.readers.account import services
from masthead.readers.models import ConsentRecord
from masthead.readers.privacy_models import AccountErasure, email_digest

User = get_user_model()


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------
def test_every_model_pointing_at_a_reader_is_exported_or_exempt_with_a_reason():
    missing = privacy.uncovered_models()
    assert not missing, (
        f"{sorted(missing)} point at the user but are in no export: register them with "
        "masthead.core.privacy.register_exporter(..., covers=[...]) from the `privacy` "
        "module of the app that owns them, or privacy.register_exempt(label, reason)."
    )


def test_the_completeness_check_notices_a_model_nobody_registered(monkeypatch):
    before = privacy.uncovered_models()
    covered = privacy.covered_models()
    monkeypatch.setattr(privacy, "covered_models", lambda: covered - {"newsletters.Subscription"})
    assert privacy.uncovered_models() - before == {"newsletters.Subscription"}


def test_exemptions_name_real_models_and_give_reasons():
    pointing = privacy.models_pointing_at_user()
    for label, reason in privacy.exempt_models().items():
        assert label in pointing, f"{label} is exempt but does not point at the user"
        assert len(reason) > 20


def test_exempt_models_are_not_reader_data_and_reader_data_is_not_exempt():
    assert not set(privacy.exempt_models()) & privacy.covered_models()
    for label in ("account.EmailAddress", "usersessions.UserSession", "readers.ConsentRecord"):
        assert label in privacy.covered_models()


def test_a_new_app_joins_the_export_and_the_erasure_by_registering(monkeypatch, db):
    registry = privacy.Registry()
    registry._discovered = True
    monkeypatch.setattr(privacy, "_registry", registry)
    erased = []
    privacy.register_exporter("events", lambda user: {"seats": [user.email]}, covers=["x.Seat"])
    privacy.register_eraser("events", lambda user: erased.append(user.pk) or {"seats": 1})
    reader = ReaderFactory()

    assert privacy.export_for(reader) == {"events": {"seats": [reader.email]}}
    assert privacy.erase_for(reader) == {"events": {"seats": 1}}
    assert erased == [reader.pk]
    assert "x.Seat" in privacy.covered_models()


def test_an_eraser_registered_last_runs_after_the_others(monkeypatch, db):
    # The account's addresses go last: other sections find what they keep by them.
    registry = privacy.Registry()
    registry._discovered = True
    monkeypatch.setattr(privacy, "_registry", registry)
    ran = []
    privacy.register_eraser("account", lambda user: ran.append("account") or {}, last=True)
    privacy.register_eraser("events", lambda user: ran.append("events") or {})
    privacy.register_eraser("comments", lambda user: ran.append("comments") or {})

    privacy.erase_for(ReaderFactory())

    assert ran == ["events", "comments", "account"]


def test_each_app_registers_from_its_own_privacy_module():
    owners = {s.name: s.exporter.__module__ for s in privacy.sections() if s.exporter}
    assert owners["account"] == "masthead.readers.privacy"
    assert owners["newsletters"] == "masthead.newsletters.privacy"
    assert owners["premium_meter"] == "masthead.access.privacy"
    assert "readers.User_user_permissions" in privacy.exempt_models()


def test_a_section_and_an_exemption_can_be_declared_with_the_decorators(monkeypatch, db):
    registry = privacy.Registry()
    registry._discovered = True
    monkeypatch.setattr(privacy, "_registry", registry)

    @privacy.exporter("events", covers=["x.Seat"])
    def export_events(user):
        return ["a seat"]

    @privacy.eraser("events")
    def erase_events(user):
        return {"seats": 1}

    privacy.register_exempt("x.Ticket", "printed at the door, never linked to a reader")
    reader = ReaderFactory()
    assert privacy.export_for(reader) == {"events": ["a seat"]}
    assert privacy.erase_for(reader) == {"events": {"seats": 1}}
    assert privacy.exempt_models() == {"x.Ticket": "printed at the door, never linked to a reader"}
    assert export_events(reader) == ["a seat"]  # the decorators return the function


# --------------------------------------------------------------------------------------
# Download my data
# --------------------------------------------------------------------------------------
def _a_reader_with_everything():
    reader = ReaderFactory(email="ada@example.com", first_name="Ada", last_name="Byron")
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    ConsentRecord.objects.create(
        user=reader, document="terms", version="3", source="signup", ip_address="203.0.113.9"
    )
    daily = NewsletterFactory(slug="daily")
    newsletter_services.subscriptions_set(user=reader, newsletters=[daily], source="signup")
    return reader


@pytest.mark.django_db
def test_export_holds_the_readers_data_from_every_registered_section(client):
    reader = _a_reader_with_everything()
    client.force_login(reader)
    client.get(reverse("account:profile"))  # a tracked session

    response = client.post(reverse("account:data"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="masthead-data-')
    assert disposition.endswith('.json"')
    data = json.loads(response.content)
    sections = data["sections"]
    assert set(sections) == {s.name for s in privacy.sections() if s.exporter}
    assert {"account", "newsletters"} <= set(sections)
    account = sections["account"]
    assert account["profile"]["email"] == "ada@example.com"
    assert account["profile"]["last_name"] == "Byron"
    assert account["profile"]["date_of_birth"] == "1985-12-10"
    assert "password" not in json.dumps(account["profile"]).replace("has_password", "")
    assert account["email_addresses"] == [
        {"email": "ada@example.com", "verified": True, "primary": True}
    ]
    assert account["consents"][0]["ip_address"] == "203.0.113.9"
    assert len(account["sessions"]) == 1
    newsletters = sections["newsletters"]
    assert newsletters["subscriptions"][0]["slug"] == "daily"
    assert newsletters["marketing_choices"][0]["action"] == "subscribe"


@pytest.mark.django_db
def test_export_holds_nobody_elses_data(client):
    reader = ReaderFactory()
    _a_reader_with_everything()
    client.force_login(reader)
    data = json.loads(client.post(reverse("account:data")).content)
    assert "ada@example.com" not in json.dumps(data)


@pytest.mark.django_db
def test_export_is_a_post_with_csrf(client):
    client.handler.enforce_csrf_checks = True
    client.force_login(ReaderFactory())
    assert client.post(reverse("account:data")).status_code == 403


# --------------------------------------------------------------------------------------
# Delete my account
# --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_erasure_removes_the_person_and_keeps_an_anonymous_audit_row():
    reader = _a_reader_with_everything()
    newsletter_services.marketing_stop_all(user=reader, source="account")
    pk = reader.pk

    erasure = services.account_erase(user=reader)

    assert not User.objects.filter(pk=pk).exists()
    assert not EmailAddress.objects.filter(email="ada@example.com").exists()
    assert not Subscription.objects.exists()
    assert not MarketingPreference.objects.exists()
    consent = ConsentRecord.objects.get()
    assert (consent.user, consent.ip_address, consent.user_agent) == (None, None, "")
    assert consent.version == "3"
    assert MarketingChoice.objects.filter(user=None).count() == 3
    assert AccountErasure.objects.get() == erasure
    assert erasure.email_hash == email_digest("ADA@example.com")
    assert "ada" not in erasure.email_hash
    assert erasure.counts["account"] == {
        "consent_records_unlinked": 1,
        "email_addresses_deleted": 1,
    }
    assert erasure.counts["newsletters"]["marketing_choices_unlinked"] == 3


@pytest.mark.django_db
def test_erasure_is_all_or_nothing(monkeypatch):
    reader = _a_reader_with_everything()

    def broken(user):
        raise RuntimeError("eraser failed")

    registry = privacy._registry
    monkeypatch.setattr(registry, "_sections", dict(registry._sections))
    privacy.register_eraser("zz-broken", broken)
    with pytest.raises(RuntimeError):
        services.account_erase(user=reader)

    assert User.objects.filter(pk=reader.pk).exists()
    assert ConsentRecord.objects.get().user == reader
    assert not AccountErasure.objects.exists()


@pytest.mark.django_db
def test_staff_accounts_are_not_erased_from_the_reader_page(client):
    editor = ReaderFactory(is_staff=True)
    with pytest.raises(services.ErasureRefused):
        services.account_erase(user=editor)
    client.force_login(editor)
    response = client.post(reverse("account:delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    assert User.objects.filter(pk=editor.pk).exists()


@pytest.mark.django_db
def test_deleting_signs_the_reader_out_everywhere(django_capture_on_commit_callbacks):
    reader = _a_reader_with_everything()
    here, elsewhere = Client(), Client()
    for c in (here, elsewhere):
        c.force_login(reader)
        assert c.get(reverse("account:profile")).status_code == 200
    assert UserSession.objects.filter(user=reader).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(reverse("account:delete"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account:deleted")
    assert "no-store" in response["Cache-Control"]
    assert here.get(reverse("account:profile")).status_code == 302
    assert elsewhere.get(reverse("account:profile")).status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists()
    assert not UserSession.objects.exists()
    assert AccountErasure.objects.count() == 1
    farewell = here.get(reverse("account:deleted"))
    assert farewell.status_code == 200
    assert "Your account has been deleted" in farewell.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password": "wrong-Password-1", "confirm": "on"}, "password", "not right"),
        ({"password": "", "confirm": "on"}, "password", "Enter your password"),
        ({"password": PASSWORD}, "confirm", "Tick the box"),
    ],
)
def test_deleting_needs_the_password_and_the_tick(client, data, field, message):
    reader = ReaderFactory()
    client.force_login(reader)
    response = client.post(reverse("account:delete"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'href="#id_{field}"' in response.content.decode()
    assert User.objects.filter(pk=reader.pk).exists()
    assert not AccountErasure.objects.exists()


@pytest.mark.django_db
def test_password_guesses_on_the_delete_page_are_rate_limited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"reauthenticate": "3/m/user"}
    reader = ReaderFactory()
    client.force_login(reader)
    for _ in range(3):
        client.post(reverse("account:delete"), {"password": "nope-Nope-1", "confirm": "on"})
    # The right password is not even checked once the limit is reached.
    response = client.post(reverse("account:delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    assert User.objects.filter(pk=reader.pk).exists()


# --------------------------------------------------------------------------------------
# Accounts without a password confirm with an emailed code
# --------------------------------------------------------------------------------------
def _emailed_code(mailoutbox) -> str:
    import re

    return re.search(r"^\s+(\d{6})$", mailoutbox[-1].body, re.MULTILINE).group(1)


@pytest.mark.django_db
def test_an_account_without_a_password_is_deleted_with_an_emailed_code(client, mailoutbox):
    reader = ReaderFactory(password="")
    reader.set_unusable_password()
    reader.save()
    client.force_login(reader)
    page = client.get(reverse("account:delete")).content.decode()
    assert "Email me a code" in page and 'name="password"' not in page

    client.post(reverse("account:delete"), {"action": "send-code"})
    assert mailoutbox[-1].to == [reader.email]
    code = _emailed_code(mailoutbox)
    assert code not in json.dumps(dict(client.session))  # only a keyed hash is kept

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("account:delete"), {"code": wrong, "confirm": "on"})
    assert "not right or has expired" in response.content.decode()
    response = client.post(reverse("account:delete"), {"code": code, "confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=reader.pk).exists()


@pytest.mark.django_db
def test_an_erasure_code_expires_and_is_refused_after_five_wrong_tries(client, mailoutbox):
    import time_machine

    reader = ReaderFactory()
    reader.set_unusable_password()
    reader.save()
    client.force_login(reader)
    client.post(reverse("account:delete"), {"action": "send-code"})
    code = _emailed_code(mailoutbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(reverse("account:delete"), {"code": wrong, "confirm": "on"})
    response = client.post(reverse("account:delete"), {"code": code, "confirm": "on"})
    assert response.status_code == 200
    assert User.objects.filter(pk=reader.pk).exists()

    client.post(reverse("account:delete"), {"action": "send-code"})
    code = _emailed_code(mailoutbox)
    with time_machine.travel(time.time() + 11 * 60):
        response = client.post(reverse("account:delete"), {"code": code, "confirm": "on"})
    assert response.status_code == 200
    assert User.objects.filter(pk=reader.pk).exists()


def test_hidden_many_to_many_tables_count_as_pointing_at_the_reader():
    from masthead.core import privacy

    assert "readers.User_groups" in privacy.models_pointing_at_user()
