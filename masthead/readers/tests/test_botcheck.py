"""The bot check: ALTCHA made and verified here; the hosted providers' server-side check."""

from __future__ import annotations

import base64
import datetime
import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache

from masthead.readers import botcheck
from masthead.readers.botcheck import AltchaCheck, SiteverifyCheck, altcha_key, bot_check
from masthead.readers.tests.registration_support import solved_altcha


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.ALTCHA_MAX_NUMBER = 2000
    cache.clear()
    yield
    cache.clear()


def _payload(answer: str) -> dict:
    return json.loads(base64.b64decode(answer))


def _encode(payload: dict) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_a_solved_challenge_verifies_once():
    answer = solved_altcha()
    assert AltchaCheck().verify(answer) is True
    assert AltchaCheck().verify(answer) is False  # replayed


def test_challenges_are_signed_with_a_key_derived_from_the_secret_key(settings):
    key = altcha_key()
    assert key and settings.SECRET_KEY not in key
    settings.SECRET_KEY = "another-secret-key-for-this-test-" + "x" * 40
    assert altcha_key() != key


def test_a_challenge_signed_with_another_key_fails(settings):
    answer = solved_altcha()
    settings.SECRET_KEY = "another-secret-key-for-this-test-" + "x" * 40
    assert AltchaCheck().verify(answer) is False


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: {**p, "number": p["number"] + 1},
        lambda p: {**p, "signature": "0" * 64},
        lambda p: {**p, "salt": p["salt"].replace("expires=", "expires=9")},
        lambda p: {**p, "algorithm": "MD5"},
        lambda p: {k: v for k, v in p.items() if k != "signature"},
    ],
)
def test_a_tampered_answer_fails(tamper):
    answer = _encode(tamper(_payload(solved_altcha())))
    assert AltchaCheck().verify(answer) is False


@pytest.mark.parametrize("answer", ["", "%%%", "bm90IGpzb24=", "W10=", "x" * 3000])
def test_garbage_fails_quietly(answer):
    assert AltchaCheck().verify(answer) is False


def test_an_expired_challenge_fails(time_machine):
    time_machine.move_to(datetime.datetime(2030, 1, 1, 12, tzinfo=datetime.UTC), tick=False)
    answer = solved_altcha()
    time_machine.move_to(datetime.datetime(2030, 1, 1, 14, tzinfo=datetime.UTC), tick=False)
    assert AltchaCheck().verify(answer) is False


def test_the_challenge_uses_sha256_and_the_configured_difficulty(settings):
    settings.ALTCHA_MAX_NUMBER = 1234
    challenge = AltchaCheck().challenge()
    assert challenge["algorithm"] == "SHA-256"
    assert challenge["maxNumber"] == 1234
    assert "expires=" in challenge["salt"]


# --------------------------------------------------------------------------------------
# Hosted providers, against a fake siteverify endpoint
# --------------------------------------------------------------------------------------
class FakeSiteverify:
    def __init__(self, answer: dict | Exception) -> None:
        self.answer = answer
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, url: str, data: dict) -> dict:
        self.calls.append((url, data))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("name", "url", "field"),
    [
        ("recaptcha", "https://www.google.com/recaptcha/api/siteverify", "g-recaptcha-response"),
        ("hcaptcha", "https://api.hcaptcha.com/siteverify", "h-captcha-response"),
        (
            "turnstile",
            "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            "cf-turnstile-response",
        ),
    ],
)
def test_hosted_providers_check_the_token_server_side(settings, name, url, field):
    settings.BOTCHECK_PROVIDER = name
    settings.BOTCHECK_SITE_KEY = "site-key"
    settings.BOTCHECK_SECRET_KEY = "secret-key"
    check = bot_check()
    assert isinstance(check, SiteverifyCheck)
    assert check.field_name == field
    fake = FakeSiteverify({"success": True})
    check.http_post = fake
    assert check.verify("token-123", remote_ip="203.0.113.5") is True
    assert fake.calls == [
        (url, {"secret": "secret-key", "response": "token-123", "remoteip": "203.0.113.5"})
    ]
    widget = check.widget()
    assert widget.context["site_key"] == "site-key"
    assert "secret" not in json.dumps(widget.context)


@pytest.mark.parametrize(
    "answer",
    [{"success": False}, {"success": "true"}, {}, TimeoutError("down"), ValueError("bad json")],
)
def test_hosted_providers_refuse_on_failure_or_outage(answer):
    check = SiteverifyCheck(
        name="turnstile",
        site_key="s",
        secret_key="k",
        http_post=FakeSiteverify(answer),
        **botcheck.PROVIDERS["turnstile"],
    )
    assert check.verify("token") is False


def test_an_empty_token_is_refused_without_calling_the_provider():
    fake = FakeSiteverify({"success": True})
    check = SiteverifyCheck(
        name="hcaptcha",
        site_key="s",
        secret_key="k",
        http_post=fake,
        **botcheck.PROVIDERS["hcaptcha"],
    )
    assert check.verify("") is False
    assert fake.calls == []


HOSTED = [
    ("recaptcha", "https://www.google.com/recaptcha/api.js", "grecaptcha", "g-recaptcha-response"),
    ("hcaptcha", "https://js.hcaptcha.com/1/api.js", "hcaptcha", "h-captcha-response"),
    (
        "turnstile",
        "https://challenges.cloudflare.com/turnstile/v0/api.js",
        "turnstile",
        "cf-turnstile-response",
    ),
]
PROVIDER_HOSTS = ("google.com", "gstatic.com", "hcaptcha.com", "cloudflare.com")
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)


def _hosted(settings, name: str) -> None:
    settings.BOTCHECK_PROVIDER = name
    settings.BOTCHECK_SITE_KEY = "site-key-xyz"
    settings.BOTCHECK_SECRET_KEY = "secret"


def _hosted_box(html: str) -> str:
    match = re.search(r"<div [^>]*data-hosted-check[^>]*>", html)
    assert match, "no hosted bot check in the page"
    return match.group(0)


@pytest.mark.parametrize(("name", "script_url", "api", "field"), HOSTED)
def test_the_registration_form_uses_the_configured_provider(
    settings, db, client, name, script_url, api, field
):
    """The sign-up page draws the provider's widget with our own script, which loads
    the provider's (explicit rendering) as the page shows the form: no tag of the
    provider's in the page, and the box says which field the server reads."""
    _hosted(settings, name)
    html = client.get("/accounts/signup/").content.decode()
    box = _hosted_box(html)
    for attribute in (
        f'data-provider="{name}"',
        f'data-script-url="{script_url}"',
        f'data-api="{api}"',
        'data-sitekey="site-key-xyz"',
        f'data-field="{field}"',
    ):
        assert attribute in box
    assert field == bot_check().field_name
    scripts = SCRIPT_TAG.findall(html)
    assert any("masthead/js/hosted-check" in tag for tag in scripts)
    assert not any(host in tag for tag in scripts for host in PROVIDER_HOSTS)
    assert "altcha-solver" not in html and "secret" not in html


@pytest.mark.parametrize(("name", "script_url", "api", "field"), HOSTED)
def test_the_walls_fragment_carries_a_hosted_check_for_our_script_to_draw(
    settings, db, client, name, script_url, api, field
):
    """A script tag inside a fetched fragment never runs, so the fragment holds none:
    the wall's page loads hosted-check.js, which draws the widget once it is in."""
    _hosted(settings, name)
    html = client.get("/accounts/signup/fragment/").content.decode()
    assert f'data-script-url="{script_url}"' in _hosted_box(html)
    assert not SCRIPT_TAG.search(html)


def test_the_default_page_loads_no_third_party_script(db, client):
    html = client.get("/accounts/signup/").content.decode()
    assert "altcha-solver.js" in html
    assert 'data-challenge-url="/accounts/altcha/challenge/"' in html
    for host in ("google.com", "hcaptcha.com", "cloudflare.com", "cdn", "unpkg", "jsdelivr"):
        assert host not in html


def test_with_altcha_no_page_or_fragment_names_a_provider(db, client):
    """The default: a registration-wall article with a sign-up box, the wall's form, the
    box's form, the sign-up pages, and every script they load (ours) name no provider,
    so nothing can contact one."""
    from django.contrib.staticfiles import finders

    from masthead.access.api import Level
    from masthead.access.tests.conftest import gated_body
    from masthead.content.tests.factories import make_article, make_home, make_section
    from masthead.newsletters.models import Newsletter
    from masthead.newsletters.signup_boxes import offer_for
    from masthead.newsletters.tests.factories import NewsletterFactory

    weekly = NewsletterFactory(slug="weekly", audience=Newsletter.Audience.OPEN)
    signup_box = {"type": "signup_box", "value": {"offer": offer_for(weekly)}}
    section = make_section(parent=make_home(), access=Level.REGISTRATION)
    article = make_article(section=section, body=[signup_box, *gated_body()])
    page = client.get(article.url).content.decode()
    assert "data-form-slot" in page and "data-signup-box" in page  # the wall, the box
    seen = {
        article.url: page,
        "wall": client.get("/accounts/signup/fragment/").content.decode(),
        "box": client.get("/newsletters/join/weekly/box/").content.decode(),
        "/accounts/signup/": client.get("/accounts/signup/").content.decode(),
        "/newsletters/join/weekly/": client.get("/newsletters/join/weekly/").content.decode(),
    }
    assert "data-altcha" in seen["wall"] and "data-altcha" in seen["box"]
    for html in list(seen.values()):
        for src in re.findall(r'<script [^>]*src="/static/([^"?]+)', html):
            seen[src] = Path(finders.find(src)).read_text(encoding="utf-8")
    assert "masthead/js/hosted-check.js" in seen  # loaded, and names no provider either
    for where, text in seen.items():
        assert "data-hosted-check" not in text or where.endswith(".js"), where
        for host in PROVIDER_HOSTS:
            assert host not in text, f"{where} names {host}"


def test_an_unknown_provider_is_a_configuration_error():
    with pytest.raises(ValueError):
        bot_check("captchaland")
