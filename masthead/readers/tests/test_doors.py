"""Every door has the same locks: one sign-in, one reset, and limits that slow a guesser
without letting anyone elsewhere lock a reader out."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import resolve, reverse

from masthead.readers import doors
from masthead.readers.tests.factories import ReaderFactory, sign_in
from masthead.readers.tests.registration_support import PASSWORD, solved_altcha

pytestmark = pytest.mark.django_db
User = get_user_model()
LOGIN = "/accounts/login/"
WRONG = "Not-the-one-1"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader():
    return ReaderFactory(email="zoe.reader@example.org", password=PASSWORD, verified=True)


@pytest.fixture
def editor():
    return ReaderFactory(email="editor@example.org", password=PASSWORD, editor=True, verified=True)


def _signed_in(client: Client) -> bool:
    return bool(client.session.get("_auth_user_id"))


def _errors(response) -> str:
    html = response.content.decode()
    summary = re.search(r"data-error-summary.*?</div>", html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(0) if summary else ""))


# --------------------------------------------------------------------------------------
# One door
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("door", "goes_on_to"),
    [
        ("/admin/login/", "/admin/"),
        ("/django-admin/login/", "/django-admin/"),
        ("/_util/login/?next=/members/briefing/", "/members/briefing/"),
        ("/admin/login/?next=/admin/pages/", "/admin/pages/"),
        ("/admin/login/?next=//evil.example/", "/admin/"),
    ],
)
def test_every_old_sign_in_door_leads_to_the_onesign_in(client, editor, door, goes_on_to):
    response = client.get(door)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=" + goes_on_to.replace(
        "/", "%2F"
    )


@pytest.mark.parametrize("door", ["/admin/login/", "/django-admin/login/", "/_util/login/"])
def test_old_doors_check_no_password(client, editor, door):
    # Not even the right one: only allauth's sign-in checks passwords.
    for field in ("username", "email"):
        response = client.post(door, {field: editor.email, "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert not _signed_in(client)


def test_private_pages_send_readers_to_the_onesign_in():
    # Wagtail's own "login required" redirect goes to this name.
    assert reverse("wagtailcore_login") == "/_util/login/"
    assert resolve("/_util/login/").func is doors.frontend_login


def test_sixty_wrong_passwords_through_the_front_end_door_are_limited(client, reader):
    # The front-end login used to check 60 wrong passwords in three seconds.
    door = client.get("/_util/login/?next=/members/briefing/")
    outcomes = [
        client.post(door["Location"], {"login": reader.email, "password": WRONG}) for _ in range(60)
    ]
    # Limited per (address, source) after five, and per source (429) after thirty.
    limited = [r.status_code == 429 or "too many attempts" in _errors(r) for r in outcomes]
    assert not any(limited[:5])
    assert all(limited[5:])
    # Even the right password waits now, from this source.
    client.post(door["Location"], {"login": reader.email, "password": PASSWORD})
    assert not _signed_in(client)


def test_staff_sign_in_at_the_one_door_goes_on_to_the_admin(client, editor):
    response = client.post(LOGIN + "?next=/admin/", {"login": editor.email, "password": PASSWORD})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/django-admin/").status_code == 200


def test_signed_in_staff_at_an_old_door_go_straight_on(client, editor):
    client.force_login(editor)
    assert client.get("/admin/login/?next=/admin/pages/")["Location"] == "/admin/pages/"


def test_a_reader_sent_to_an_admin_door_is_told_rather_than_bounced(client, reader):
    client.force_login(reader)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "isn't open to this account" in response.content.decode()
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]


# --------------------------------------------------------------------------------------
# One password reset
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/admin/password_reset/", "/admin/password_reset/done/", "/admin/password_reset/x/"]
)
def test_the_admin_password_reset_is_the_readers_one(client, editor, mailoutbox, path):
    response = client.post(path, {"email": editor.email})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/"
    assert mailoutbox == []


def test_reset_emails_for_an_editor_are_limited_per_address(editor, mailoutbox):
    statuses = [
        Client()
        .post("/accounts/password/reset/", {"email": editor.email}, REMOTE_ADDR=f"192.0.2.{i}")
        .status_code
        for i in range(1, 7)
    ]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429
    assert len(mailoutbox) == 5


def test_reset_requests_are_limited_per_ip(client, mailoutbox):
    statuses = [
        client.post("/accounts/password/reset/", {"email": f"e{i}@example.org"}).status_code
        for i in range(21)
    ]
    assert 429 not in statuses[:20]
    assert statuses[20] == 429


# --------------------------------------------------------------------------------------
# Limits per address and source, not a lockout
# --------------------------------------------------------------------------------------
def test_wrong_passwords_from_elsewhere_do_not_lock_the_reader_out(reader):
    attacker, own = Client(), Client()
    for _ in range(5):
        sign_in(attacker, reader.email, WRONG, "203.0.113.9")
    blocked = sign_in(attacker, reader.email, PASSWORD, "203.0.113.9")
    assert "too many attempts" in _errors(blocked)
    assert not _signed_in(attacker)

    response = sign_in(own, reader.email, PASSWORD, "198.51.100.7")
    assert response.status_code == 302
    assert _signed_in(own)


def test_a_guess_spread_over_many_sources_must_pass_the_bot_check(reader):
    # 20 wrong guesses an hour for one address from everywhere together, then each
    # password is checked only with a solved bot check.
    for i in range(20):
        response = sign_in(Client(), reader.email, WRONG, f"203.0.113.{i + 1}")
        assert "bot" not in _errors(response) and "person" not in _errors(response)

    guesser = Client()
    response = sign_in(guesser, reader.email, PASSWORD, "203.0.113.200")
    assert not _signed_in(guesser)
    assert "confirm you&#x27;re a person" in _errors(response)
    assert "data-altcha" in response.content.decode()
    assert "altcha-solver.js" in response.content.decode()

    # The reader's browser solves the check by itself, and they are in.
    own = Client()
    response = sign_in(own, reader.email, PASSWORD, "198.51.100.7", altcha=solved_altcha())
    assert response.status_code == 302
    assert _signed_in(own)


def test_a_solved_check_still_meets_the_per_source_limit(reader):
    for i in range(20):
        sign_in(Client(), reader.email, WRONG, f"203.0.113.{i + 1}")
    guesser = Client()
    for _ in range(5):
        response = sign_in(guesser, reader.email, WRONG, "203.0.113.99", altcha=solved_altcha())
        assert "too many attempts" not in _errors(response)
    response = sign_in(guesser, reader.email, PASSWORD, "203.0.113.99", altcha=solved_altcha())
    assert "too many attempts" in _errors(response)
    assert not _signed_in(guesser)


def test_a_replayed_bot_check_is_refused(reader):
    for i in range(20):
        sign_in(Client(), reader.email, WRONG, f"203.0.113.{i + 1}")
    answer = solved_altcha()
    sign_in(Client(), reader.email, WRONG, "203.0.113.50", altcha=answer)
    replay = Client()
    sign_in(replay, reader.email, PASSWORD, "203.0.113.51", altcha=answer)
    assert not _signed_in(replay)


def test_successful_sign_ins_do_not_count_towards_either_limit(reader):
    client = Client()
    for _ in range(25):
        response = sign_in(client, reader.email, PASSWORD, "198.51.100.7")
        assert response.status_code == 302
        client.logout()


def test_a_password_reset_lifts_the_limit_for_the_address(client, reader, mailoutbox):
    for i in range(20):
        sign_in(Client(), reader.email, WRONG, f"203.0.113.{i + 1}")
    client.post("/accounts/password/reset/", {"email": reader.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body)
    form_url = client.get(link.group(1))["Location"]
    client.post(form_url, {"password1": "New-harbour-99", "password2": "New-harbour-99"})
    own = Client()
    assert sign_in(own, reader.email, "New-harbour-99", "198.51.100.7").status_code == 302


# --------------------------------------------------------------------------------------
# Wagtail's shared passwords on private pages
# --------------------------------------------------------------------------------------
def test_page_passwords_are_limited_per_source_without_locking_out_other_readers():
    from wagtail.models import Page, PageViewRestriction

    page = Page.objects.get(depth=2)
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="open-sesame"
    )
    url = f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/"
    guesser = Client()
    statuses = [
        guesser.post(
            url, {"password": f"guess-{i}", "return_url": "/"}, REMOTE_ADDR="203.0.113.9"
        ).status_code
        for i in range(6)
    ]
    assert 429 not in statuses[:5]
    assert statuses[5] == 429
    reader = Client()
    response = reader.post(
        url, {"password": "open-sesame", "return_url": "/"}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 302


def test_the_host_header_does_not_reset_the_count(settings, reader):
    settings.ALLOWED_HOSTS = ["news.example"]
    guesser = Client()
    for host in ["news.example", "NEWS.example", "news.example:80", "News.Example", "news.example"]:
        guesser.post(
            LOGIN,
            {"login": reader.email, "password": WRONG},
            REMOTE_ADDR="203.0.113.9",
            HTTP_HOST=host,
        )
    response = guesser.post(
        LOGIN,
        {"login": reader.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
        HTTP_HOST="news.example:8080",
    )
    assert "too many attempts" in _errors(response)
