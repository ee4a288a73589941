"""Signing in (password or emailed code), out, resetting: back to where the reader was,
revealing nothing about which addresses have accounts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader():
    # As registration stores it (lower case: see readers.forms.email_normalise), with
    # its allauth address row.
    return ReaderFactory(
        email="zoe.reader@example.org",
        password=PASSWORD,
        first_name="Zoë",
        last_name="Reader",
        verified=True,
    )


def _error_text(response) -> str:
    html = response.content.decode()
    summary = re.search(r"data-error-summary.*?</div>", html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(0) if summary else ""))


# --------------------------------------------------------------------------------------
# Password
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed", ["Zoe.Reader@example.org", "zoe.reader@EXAMPLE.org", " ZOE.READER@example.org "]
)
def test_signing_in_returns_to_the_article(client, reader, typed):
    response = client.post(
        LOGIN, {"login": typed, "password": PASSWORD, "next": "/news/story/#continue"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/news/story/#continue"
    assert int(client.session["_auth_user_id"]) == reader.pk


@pytest.mark.parametrize(
    "next_url", ["//evil.example", "https:evil.example", "/\\evil.example", "http://evil.example"]
)
def test_signing_in_never_leaves_the_site(client, reader, next_url):
    response = client.post(LOGIN, {"login": reader.email, "password": PASSWORD, "next": next_url})
    assert response["Location"] == "/"


def test_the_session_key_is_rotated_at_sign_in(client, reader):
    client.get(LOGIN)
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    client.post(LOGIN, {"login": reader.email, "password": PASSWORD})
    assert client.session.session_key != before
    assert client.session.get("_auth_user_id")


def test_a_wrong_password_and_an_unknown_address_read_the_same(client, reader):
    wrong = client.post(LOGIN, {"login": reader.email, "password": "Not-the-one-1"})
    unknown = client.post(LOGIN, {"login": "nobody@example.org", "password": "Not-the-one-1"})
    assert wrong.status_code == unknown.status_code == 200
    assert _error_text(wrong) == _error_text(unknown)
    assert "email address or password is not right" in _error_text(wrong)
    # What was typed comes back, except the password.
    assert 'value="nobody@example.org"' in unknown.content.decode()
    assert "Not-the-one-1" not in unknown.content.decode()


def test_empty_fields_get_our_messages_beside_them(client):
    html = client.post(LOGIN, {"login": "", "password": ""}).content.decode()
    assert "Enter your email address." in html
    assert "Enter your password." in html
    assert 'aria-invalid="true"' in html
    assert 'href="#id_login"' in html


def test_failed_sign_ins_for_one_address_are_limited(client, reader):
    for _ in range(5):
        client.post(LOGIN, {"login": reader.email, "password": "Not-the-one-1"})
    response = client.post(LOGIN, {"login": reader.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "too many attempts to sign in" in _error_text(response)


def test_sign_in_requires_csrf(reader):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"login": reader.email, "password": PASSWORD})
    assert response.status_code == 403


def test_the_sign_in_page_links_to_registration_and_code_sign_in_keeping_next(client):
    html = client.get(LOGIN + "?next=/news/story/").content.decode()
    assert 'href="/accounts/signup/?next=%2Fnews%2Fstory%2F"' in html
    assert 'href="/accounts/login/code/?next=%2Fnews%2Fstory%2F"' in html
    assert 'href="/accounts/password/reset/"' in html


def test_signing_out(client, reader):
    client.force_login(reader)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------------------
# One-time code by email
# --------------------------------------------------------------------------------------
def _code_from(message) -> str:
    match = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.M)
    assert match, message.body
    return match.group(1)


def test_signing_in_with_an_emailed_code_returns_to_the_article(client, reader, mailoutbox):
    response = client.post(
        "/accounts/login/code/",
        {"email": "zoe.reader@example.org", "next": "/news/story/#continue"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/confirm/")
    [message] = mailoutbox
    response = client.post(response["Location"], {"code": _code_from(message)})
    assert response.status_code == 302
    assert response["Location"] == "/news/story/#continue"
    assert int(client.session["_auth_user_id"]) == reader.pk


def test_asking_for_a_code_for_an_unknown_address_looks_the_same(client, reader, mailoutbox):
    known = client.post("/accounts/login/code/", {"email": reader.email})
    other = Client()
    unknown = other.post("/accounts/login/code/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 2  # the unknown address is told it has no account


def test_code_requests_for_one_address_are_limited(client, reader):
    statuses = [
        Client().post("/accounts/login/code/", {"email": reader.email}).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3] in (200, 429)


# --------------------------------------------------------------------------------------
# Password reset
# --------------------------------------------------------------------------------------
def test_password_reset_reveals_nothing(client, reader, mailoutbox):
    known = client.post("/accounts/password/reset/", {"email": reader.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"


def test_password_reset_link_sets_a_new_password_under_the_same_rules(client, reader, mailoutbox):
    client.post("/accounts/password/reset/", {"email": reader.email})
    [message] = mailoutbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    response = client.get(link)
    assert response.status_code == 302  # allauth moves the key out of the URL
    form_url = response["Location"]
    weak = client.post(form_url, {"password1": "abcdef", "password2": "abcdef"})
    assert weak.status_code == 200
    assert "capital letter" in weak.content.decode()
    done = client.post(form_url, {"password1": "New-harbour-99", "password2": "New-harbour-99"})
    assert done.status_code == 302
    reader.refresh_from_db()
    assert reader.check_password("New-harbour-99")


def test_password_change_is_under_the_same_rules(client, reader):
    client.force_login(reader)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "alllowercase1", "password2": "alllowercase1"},
    )
    assert "capital letter" in response.content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "Quay-side-2024", "password2": "Quay-side-2024"},
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.check_password("Quay-side-2024")


def test_account_pages_need_sign_in_and_are_never_stored(client, reader):
    assert client.get("/accounts/password/change/").status_code == 302
    client.force_login(reader)
    response = client.get("/accounts/password/change/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


# --------------------------------------------------------------------------------------
# Addresses not yet proved
# --------------------------------------------------------------------------------------
@pytest.fixture
def pending(reader):
    """An address the reader has asked to change to and not yet verified."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.create(user=reader, email="not.yet@example.org", verified=False)


def test_an_unverified_pending_address_cannot_sign_in_with_the_password(client, pending):
    response = client.post(LOGIN, {"login": pending.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_unverified_pending_address_gets_no_sign_in_code(client, pending, mailoutbox):
    client.post("/accounts/login/code/", {"email": pending.email})
    assert "_auth_user_id" not in client.session
    assert all(not re.search(r"^\s*[A-Z0-9]{4}-?[A-Z0-9]{4}\s*$", m.body, re.M) for m in mailoutbox)


def test_an_unverified_pending_address_gets_no_password_reset_link(client, pending, mailoutbox):
    client.post("/accounts/password/reset/", {"email": pending.email})
    assert all("/accounts/password/reset/key/" not in m.body for m in mailoutbox)


def test_a_reader_who_has_not_verified_yet_still_signs_in_with_their_address(client):
    user = ReaderFactory(email="fresh@example.org", password=PASSWORD, verified=False)
    response = client.post(LOGIN, {"login": "Fresh@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_a_verified_second_address_signs_in(client, reader):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=reader, email="proved@example.org", verified=True)
    response = client.post(LOGIN, {"login": "proved@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == reader.pk
