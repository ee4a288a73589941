"""The pages around a reader's account, in our voice and layout.

Invariants: the header offers "Sign in" and "Register" on every shared (anonymous)
page, identical for every anonymous visitor and still publicly cacheable, and says who
is signed in only on private responses; every account page allauth renders speaks our
words, never allauth's; a confirmation link for an address already confirmed says so
rather than "expired"; every error-summary line names its field; the account page says
when the address is unconfirmed and sends the link again; the site's icon and manifest
are served.
"""

from __future__ import annotations

import json
import re

import pytest
from allauth.account.models import EmailConfirmationHMAC
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from masthead.content.tests.factories import make_article, make_home
from masthead.readers.tests.factories import ReaderFactory, sign_in
from masthead.readers.tests.registration_support import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

# allauth's own wording, which must never reach a reader.
ALLAUTH_WORDING = [
    "Re-send Verification",
    "is an email address for user",
    "Change Password",
    "Sign Out",
    "Email Addresses",
    "Make Primary",
    "Current Password",
    "New Password",
    "Bad Token",
    "Confirm Email Address",
    "Enter Sign-In Code",
    "Confirm Access",
    "Please reauthenticate",
    "Password successfully changed",
    "You have signed out",
    "expired or is invalid",
    "issue a new email confirmation request",
    "Changing to",
    "Cancel Change",
    "Forgot your password?",
    "This field is required.",
]


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def _reader(email: str = "ada@example.org", *, verified: bool = True, password=PASSWORD):
    return ReaderFactory(
        email=email,
        password=False if password is None else password,
        first_name="Ada",
        last_name="Lovelace",
        verified=verified,
    )


def _sign_in(client: Client, user) -> None:
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def _text(response) -> str:
    return response.content.decode()


def _assert_our_words(html: str, *ours: str) -> None:
    for phrase in ALLAUTH_WORDING:
        assert phrase not in html, f"allauth's wording shows: {phrase!r}"
    for phrase in ours:
        assert phrase in html, f"missing: {phrase!r}"


# -- the header ------------------------------------------------------------------------
def test_anonymous_pages_offer_sign_in_and_register_and_stay_shareable(client):
    make_home()
    article = make_article()
    first = client.get(article.url)
    second = Client().get(article.url)
    html = _text(first)
    assert 'href="/accounts/login/?next=' in html
    assert 'href="/accounts/signup/?next=' in html
    assert "Signed in as" not in html
    assert "public" in first["Cache-Control"]
    assert "Cookie" not in first.get("Vary", "")
    assert not first.cookies
    assert _text(second) == html  # the same page for every anonymous visitor


def test_the_header_says_who_is_signed_in_on_private_pages(client):
    make_home()
    article = make_article()
    _sign_in(client, _reader())
    response = client.get(article.url)
    html = _text(response)
    assert "Signed in as <strong>Ada Lovelace</strong>" in html
    assert 'href="/account/"' in html
    assert 'href="/accounts/logout/"' in html
    assert "/accounts/signup/?next=" not in html
    assert "public" not in response["Cache-Control"]


def test_the_header_fragment_is_private_and_shows_the_reader(client):
    anonymous = client.get("/accounts/header/")
    assert "Sign in" in _text(anonymous)
    _sign_in(client, _reader())
    response = client.get("/accounts/header/")
    assert "Ada Lovelace" in _text(response)
    assert {"private", "no-store"} <= {p.strip() for p in response["Cache-Control"].split(",")}


# -- account pages in our words -------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "ours"),
    [
        ("/accounts/logout/", ["Sign out of your account on this browser?", "Stay signed in"]),
        ("/accounts/password/change/", ["Change your password", "Current password"]),
        ("/accounts/password/change/done/", ["Your password has been changed"]),
        ("/accounts/email/", ["Your email address", "New email address"]),
        ("/accounts/reauthenticate/", ["Confirm it\u2019s you"]),
    ],
)
def test_signed_in_account_pages_speak_our_words(client, path, ours):
    _sign_in(client, _reader())
    response = client.get(path)
    assert response.status_code == 200
    _assert_our_words(_text(response), *ours)


def test_the_email_page_offers_to_resend_in_our_words_for_an_unconfirmed_address(client):
    user = _reader(verified=False)
    _sign_in(client, user)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    html = _text(client.get("/accounts/email/"))
    _assert_our_words(html, "not confirmed yet", "Send the link again")


def test_set_password_page_speaks_our_words(client):
    user = _reader(password=None)
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    response = client.get("/accounts/password/set/")
    assert response.status_code == 200
    _assert_our_words(_text(response), "Set a password", "Password again")


def test_password_change_lands_on_its_done_page(client):
    _sign_in(client, _reader())
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "Brand-new-pass-77",
            "password2": "Brand-new-pass-77",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/password/change/done/"
    _assert_our_words(_text(response), "Your password has been changed")


def test_signing_out_says_so_in_our_words(client):
    make_home()
    _sign_in(client, _reader())
    response = client.post("/accounts/logout/", follow=True)
    _assert_our_words(_text(response), "You\u2019ve signed out.")


def test_the_sign_in_code_page_speaks_our_words(client):
    user = _reader()
    response = client.post("/accounts/login/code/", {"email": user.email})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 200
    _assert_our_words(_text(response), "Enter your sign-in code", "Sign-in code")


def test_a_broken_password_reset_link_speaks_our_words(client):
    response = client.get("/accounts/password/reset/key/xx-set-password/", follow=True)
    _assert_our_words(_text(response), "This link no longer works", "Ask for a new link")


# -- confirmation links ---------------------------------------------------------------
def test_a_confirmation_link_asks_in_our_words(client):
    address = _reader(verified=False).emailaddress_set.get()
    response = client.get(f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/")
    _assert_our_words(_text(response), "Confirm your email address", "Confirm my address")


def test_a_link_for_an_address_already_confirmed_says_so_not_expired(client):
    address = _reader(verified=False).emailaddress_set.get()
    key = EmailConfirmationHMAC(address).key
    assert client.post(f"/accounts/confirm-email/{key}/").status_code in (200, 302)
    address.refresh_from_db()
    assert address.verified
    for response in (
        client.get(f"/accounts/confirm-email/{key}/"),
        client.post(f"/accounts/confirm-email/{key}/"),  # the button pressed twice
    ):
        html = _text(response)
        assert response.status_code == 200
        assert "already confirmed" in html
        assert "no longer works" not in html
        _assert_our_words(html)


def test_a_broken_confirmation_link_says_it_no_longer_works(client):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    html = _text(response)
    assert "This link no longer works" in html
    assert "already confirmed" not in html
    _assert_our_words(html)


# -- the account page and an unconfirmed address ---------------------------------------
def test_the_account_page_says_when_the_address_is_unconfirmed_and_resends(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = _reader(verified=False)
    _sign_in(client, user)
    mailoutbox.clear()
    html = _text(client.get("/account/"))
    assert "isn\u2019t confirmed yet" in html
    assert 'name="action_send"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/email/",
            {"email": user.email, "action_send": "", "next": "/account/"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == "/account/"
    assert f"We\u2019ve sent a new confirmation link to {user.email}." in _text(response)
    assert [m.to for m in mailoutbox] == [[user.email]]


def test_the_account_page_says_nothing_of_the_kind_once_confirmed(client):
    _sign_in(client, _reader(verified=True))
    html = _text(client.get("/account/"))
    assert "isn\u2019t confirmed yet" not in html
    assert ">confirmed<" in html


# -- error summaries --------------------------------------------------------------------
def test_every_error_summary_line_names_its_field(client):
    _sign_in(client, _reader())
    html = _text(client.post("/accounts/password/change/", {}))
    summary = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    assert summary is not None
    links = re.findall(r'<a href="#(id_\w+)">(.*?)</a>', summary.group(0))
    assert [anchor for anchor, _ in links] == ["id_oldpassword", "id_password1", "id_password2"]
    texts = [text for _, text in links]
    assert len(set(texts)) == 3, texts
    assert "current password" in texts[0].lower()
    assert "new password" in texts[1].lower()
    assert "new password again" in texts[2].lower()


def test_account_page_summary_names_its_field(client):
    _sign_in(client, _reader())
    html = _text(client.post("/account/", {"first_name": "", "last_name": "Lovelace"}))
    summary = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    assert summary is not None
    for _anchor, text in re.findall(r'<a href="#(\w+)">(.*?)</a>', summary.group(0)):
        assert any(word in text.lower() for word in ("first name", "last name", "date of birth"))


# -- tables, icon and manifest -----------------------------------------------------------
def test_the_consent_tables_scroll_boxes_take_keyboard_focus_and_have_names(client):
    from masthead.readers.models import ConsentRecord

    user = _reader()
    ConsentRecord.objects.create(user=user, document="terms", version="1", source="signup")
    _sign_in(client, user)
    html = _text(client.get("/account/history/"))
    boxes = re.findall(r'<div class="table-wrap"[^>]*>', html)
    assert boxes
    for box in boxes:
        assert 'tabindex="0"' in box
        assert "aria-labelledby=" in box


def test_the_favicon_and_manifest_are_served_and_shareable(client):
    make_home()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "public" in icon["Cache-Control"]
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["name"] == str(settings.WAGTAIL_SITE_NAME)  # the newsroom's, never ours
    assert "Masthead" not in manifest.content.decode()
    assert data["start_url"] == "/"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}
    for icon_entry in data["icons"]:
        assert client.get(icon_entry["src"]).status_code == 200


def test_every_page_links_its_icon_and_manifest(client):
    make_home()
    html = _text(client.get(make_article().url))
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert 'rel="icon"' in html
