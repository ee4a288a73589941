"""An address becomes a reader's only when they prove it is theirs, and the email page
never tells anyone which addresses have accounts."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache

from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import (
    PASSWORD,
    make_legal_pages,
    registration_data,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def _reader(email: str, *, verified: bool = True) -> User:
    user = ReaderFactory(
        email=email, password=PASSWORD, first_name="Ada", last_name="Reader", verified=verified
    )
    return user


def _signed_in(client, user) -> None:
    # A real sign-in, then the password again: changing the address asks for it.
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_changing_the_address_asks_for_the_password_again(client):
    reader = _reader("again@example.org")
    client.post("/accounts/login/", {"login": reader.email, "password": PASSWORD})
    response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.org"})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="new@example.org").exists()


def test_adding_an_address_another_account_holds_attaches_nothing_and_reads_the_same(client):
    owner = _reader("owner@example.org")
    attacker = _reader("attacker@example.org", verified=False)
    _signed_in(client, attacker)
    taken = client.post("/accounts/email/", {"action_add": "", "email": "Owner@Example.org"})
    fresh = client.post("/accounts/email/", {"action_add": "", "email": "fresh@example.org"})
    assert taken.status_code == fresh.status_code == 302
    assert not EmailAddress.objects.filter(user=attacker, email__iexact=owner.email).exists()
    assert EmailAddress.objects.filter(user=attacker, email="fresh@example.org").exists()


def test_an_unverified_address_cannot_be_made_primary_by_hand(client):
    reader = _reader("reader@example.org", verified=False)
    pending = EmailAddress.objects.create(user=reader, email="claimed@example.org")
    _signed_in(client, reader)
    client.post("/accounts/email/", {"action_primary": "", "email": pending.email})
    reader.refresh_from_db()
    assert reader.email == "reader@example.org"


def test_someone_elses_unverified_address_does_not_block_its_owner_registering(client):
    squatter = _reader("squatter@example.org")
    EmailAddress.objects.create(user=squatter, email="victim@example.org", verified=False)
    make_legal_pages()
    response = client.post("/accounts/signup/", registration_data(email="victim@example.org"))
    assert response.status_code == 302
    assert User.objects.filter(email="victim@example.org").exists()


def test_the_sessions_page_renders(client):
    reader = _reader("sessions@example.org")
    _signed_in(client, reader)
    assert client.get("/accounts/sessions/").status_code == 200


def test_successful_admin_sign_ins_do_not_use_up_the_per_address_limit(client):
    editor = ReaderFactory(email="editor@example.org", password=PASSWORD, editor=True)
    for _ in range(8):
        response = client.post(
            "/accounts/login/?next=/admin/", {"login": editor.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        client.logout()


def test_a_new_address_replaces_the_old_one_once_verified(client, mailoutbox):
    from allauth.account.models import EmailConfirmationHMAC

    reader = _reader("before@example.org")
    _signed_in(client, reader)
    client.post("/accounts/email/", {"action_add": "", "email": "after@example.org"})
    reader.refresh_from_db()
    assert reader.email == "before@example.org"  # nothing changes until it is proved
    pending = EmailAddress.objects.get(user=reader, email="after@example.org")
    key = EmailConfirmationHMAC(pending).key
    assert client.post(f"/accounts/confirm-email/{key}/").status_code == 302
    reader.refresh_from_db()
    assert reader.email == "after@example.org"
    assert list(EmailAddress.objects.filter(user=reader).values_list("email", flat=True)) == [
        "after@example.org"
    ]
    assert any("before@example.org" in m.to for m in mailoutbox)  # the old address is told


def test_changing_an_unverified_first_address_keeps_it_until_the_new_one_is_proved(client):
    from allauth.account.models import EmailConfirmationHMAC

    reader = _reader("first@example.org", verified=False)
    _signed_in(client, reader)
    response = client.post("/accounts/email/", {"action_add": "", "email": "second@example.org"})
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.email == "first@example.org"
    assert EmailAddress.objects.get(user=reader, email="first@example.org").primary
    pending = EmailAddress.objects.get(user=reader, email="second@example.org")
    assert not pending.verified and not pending.primary
    page = client.get("/accounts/email/")
    assert page.context["new_emailaddress"] == pending
    key = EmailConfirmationHMAC(pending).key
    assert client.post(f"/accounts/confirm-email/{key}/").status_code == 302
    reader.refresh_from_db()
    assert reader.email == "second@example.org"


def test_every_reader_can_change_an_unverified_first_address(client):
    for number in range(3):
        reader = _reader(f"early{number}@example.org", verified=False)
        _signed_in(client, reader)
        response = client.post(
            "/accounts/email/", {"action_add": "", "email": f"later{number}@example.org"}
        )
        assert response.status_code == 302
        reader.refresh_from_db()
        assert reader.email == f"early{number}@example.org"
        client.logout()


def test_a_second_change_replaces_the_pending_address_not_the_current_one(client):
    reader = _reader("current@example.org", verified=False)
    _signed_in(client, reader)
    client.post("/accounts/email/", {"action_add": "", "email": "typo@example.org"})
    client.post("/accounts/email/", {"action_add": "", "email": "meant@example.org"})
    addresses = set(EmailAddress.objects.filter(user=reader).values_list("email", flat=True))
    assert addresses == {"current@example.org", "meant@example.org"}
    reader.refresh_from_db()
    assert reader.email == "current@example.org"


# A valid address (a 64-character mailbox, labels of 60) of 255 characters.
TOO_LONG_TO_STORE = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example"


def test_an_address_too_long_to_store_is_refused_with_the_limit_and_kept(client):
    """Django's email field takes 320 characters; the account's column holds 254."""
    reader = _reader("short@example.org")
    _signed_in(client, reader)
    too_long = TOO_LONG_TO_STORE
    response = client.post("/accounts/email/", {"action_add": "", "email": too_long})
    assert response.status_code == 200
    html = response.content.decode()
    assert "must be 254 characters or fewer" in html
    assert f'value="{too_long}"' in html
    assert not EmailAddress.objects.filter(email=too_long).exists()


@pytest.mark.parametrize("path", ["/accounts/login/code/", "/accounts/password/reset/"])
def test_the_other_address_forms_refuse_the_same_length_in_the_same_words(client, path):
    response = client.post(path, {"email": TOO_LONG_TO_STORE})
    assert response.status_code == 200
    assert "must be 254 characters or fewer" in response.content.decode()


def test_an_account_made_without_an_address_record_can_still_confirm_it(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """createsuperuser and the admin make accounts with no allauth address record;
    'send the link again' must still send one (newsletters wait for the proof)."""
    reader = User.objects.create_user(email="made@example.org", password=PASSWORD)
    assert not EmailAddress.objects.filter(user=reader).exists()
    _signed_in(client, reader)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/email/", {"action_send": "", "email": "made@example.org"})
    assert response.status_code in (200, 302)
    record = EmailAddress.objects.get(user=reader)
    assert (record.email, record.verified) == ("made@example.org", False)
    assert [m.to for m in mailoutbox] == [["made@example.org"]]


def test_send_again_never_adds_someone_elses_address(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    reader = _reader("mine@example.org")
    _signed_in(client, reader)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/email/", {"action_send": "", "email": "theirs@example.org"})
    assert not EmailAddress.objects.filter(email="theirs@example.org").exists()
    assert mailoutbox == []
