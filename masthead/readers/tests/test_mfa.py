"""Staff sign in with a second factor (authenticator app, passkey or recovery code), and
where that is required the admins stay closed to any session that has not used one."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from masthead.readers.mfa import MastheadMFAAdapter
from masthead.readers.tests.factories import ReaderFactory, sign_in
from masthead.readers.tests.registration_support import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()
LOGIN = "/accounts/login/"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def required(settings):
    settings.MASTHEAD_REQUIRE_STAFF_MFA = True


@pytest.fixture
def editor():
    return ReaderFactory(email="editor@example.org", password=PASSWORD, editor=True, verified=True)


@pytest.fixture
def editor_with_totp(editor):
    TOTP.activate(editor, SECRET)
    return editor


def totp_code(secret: str = SECRET) -> str:
    """What the editor's authenticator app shows now."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in_with_password(client: Client, user, next_url: str = "/admin/"):
    return sign_in(client, user.email, PASSWORD, next=next_url)


def _signed_in(client: Client) -> bool:
    return bool(client.session.get("_auth_user_id"))


# --------------------------------------------------------------------------------------
# Required of staff
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin/", "/admin/pages/", "/django-admin/"])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, required, editor, path):
    client.force_login(editor)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_staff_with_an_unconfirmed_address_are_asked_to_confirm_it_first(client, required):
    editor = ReaderFactory(email="new.editor@example.org", password=PASSWORD, editor=True)
    client.force_login(editor)
    assert client.get("/admin/")["Location"] == "/accounts/email/"
    EmailAddress.objects.create(user=editor, email=editor.email, primary=True, verified=True)
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("path", ["/admin/", "/django-admin/"])
def test_an_admin_session_that_skipped_the_second_factor_is_asked_for_it(
    client, required, editor_with_totp, path
):
    client.force_login(editor_with_totp)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/reauthenticate/?next={path.replace('/', '%2F')}"


def test_a_password_alone_does_not_open_the_admin(client, required, editor_with_totp):
    response = _sign_in_with_password(client, editor_with_totp)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not _signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "account-page" in wrong.content.decode()  # our layout
    assert not _signed_in(client)


def test_signing_in_by_emailed_code_asks_for_the_second_factor_too(
    client, required, editor_with_totp, mailoutbox
):
    import re

    response = client.post("/accounts/login/code/?next=/admin/", {"email": editor_with_totp.email})
    [message] = mailoutbox
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.M).group(1)
    response = client.post(response["Location"], {"code": code})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not _signed_in(client)


def test_the_admins_sign_out_stays_open(client, required, editor):
    client.force_login(editor)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert not _signed_in(client)


def test_without_the_requirement_staff_need_no_second_factor(client, editor):
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200


def test_readers_are_not_asked_for_a_second_factor(client, required):
    reader = ReaderFactory(email="zoe.reader@example.org", password=PASSWORD)
    client.force_login(reader)
    assert client.get("/account/").status_code == 200
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


# --------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------
def test_setting_up_an_authenticator_app_then_signing_in_with_it(client, required, editor):
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        assert _sign_in_with_password(client, editor)["Location"] == "/admin/"
        assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"

        # allauth asks for the password again before any change to the second factors.
        again = client.get("/accounts/2fa/totp/activate/")
        assert again["Location"].startswith("/accounts/reauthenticate/")
        back = client.post(again["Location"], {"password": PASSWORD})
        assert back["Location"] == "/accounts/2fa/totp/activate/"
        page = client.get("/accounts/2fa/totp/activate/")
        assert page.status_code == 200
        assert "account-page" in page.content.decode()  # our layout
        secret = client.session["mfa.totp.secret"]
        done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
        assert done.status_code == 302
        assert Authenticator.objects.filter(user=editor, type="totp").exists()
        assert Authenticator.objects.filter(user=editor, type="recovery_codes").exists()

        # This session signed in before the app existed: it proves it once.
        asked = client.get("/admin/")
        assert asked["Location"].startswith("/accounts/2fa/reauthenticate/")
        clock.shift(30)
        proved = client.post(asked["Location"], {"code": totp_code(secret)})
        assert proved["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200

        # Next time, the sign-in asks for the code itself.
        client.post("/admin/logout/")
        clock.shift(30)
        assert _sign_in_with_password(client, editor)["Location"] == "/accounts/2fa/authenticate/"
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        assert client.get("/django-admin/").status_code == 200


def test_a_code_is_accepted_once(client, required, editor_with_totp):
    with time_machine.travel(1_800_000_000, tick=False):
        code = totp_code()
        _sign_in_with_password(client, editor_with_totp)
        client.post("/accounts/2fa/authenticate/", {"code": code})
        assert _signed_in(client)
        client.post("/admin/logout/")
        _sign_in_with_password(client, editor_with_totp)
        client.post("/accounts/2fa/authenticate/", {"code": code})
        assert not _signed_in(client)


def test_recovery_codes_sign_in_once_each(client, required, editor_with_totp):
    codes = RecoveryCodes.activate(editor_with_totp).get_unused_codes()
    _sign_in_with_password(client, editor_with_totp)
    response = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.post("/admin/logout/")
    _sign_in_with_password(client, editor_with_totp)
    client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert not _signed_in(client)
    client.post("/accounts/2fa/authenticate/", {"code": codes[1]})
    assert _signed_in(client)


def test_wrong_codes_are_limited(client, required, editor_with_totp):
    _sign_in_with_password(client, editor_with_totp)
    for _ in range(5):
        client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert not _signed_in(client)
    assert "too many attempts" in response.content.decode()


# --------------------------------------------------------------------------------------
# Pages and settings
# --------------------------------------------------------------------------------------
def test_staff_reach_two_factor_settings_from_their_account_page(client, editor):
    client.force_login(editor)
    assert 'href="/accounts/2fa/"' in client.get("/account/").content.decode()
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200
    assert "account-page" in page.content.decode()


def test_readers_account_page_does_not_offer_it(client):
    reader = ReaderFactory(email="zoe.reader@example.org", password=PASSWORD)
    client.force_login(reader)
    assert 'href="/accounts/2fa/"' not in client.get("/account/").content.decode()


def test_passkeys_belong_to_the_sites_own_host(settings, rf):
    from allauth.core import context

    settings.WAGTAILADMIN_BASE_URL = "https://news.example"
    settings.ALLOWED_HOSTS = ["news.example", "evil.example"]
    with context.request_context(rf.get("/", HTTP_HOST="evil.example")):
        entity = MastheadMFAAdapter().get_public_key_credential_rp_entity()
    assert entity["id"] == "news.example"


def test_the_data_export_lists_authenticators_without_their_secrets(editor_with_totp):
    from masthead.core import privacy

    exported = privacy.export_for(editor_with_totp)["two_factor"]
    assert [row["type"] for row in exported] == ["totp"]
    assert SECRET not in repr(exported)
    assert "secret" not in repr(exported)
