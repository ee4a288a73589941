"""Every page carries a Content-Security-Policy: reader pages allow only our own
scripts and styles; the admin has a policy of its own. Static files carry CORP."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client

from masthead.content.tests.factories import make_article, make_home
from masthead.core.security import build_policy, static_file_headers
from masthead.readers.tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client() -> Client:
    client = Client()
    client.force_login(ReaderFactory(editor=True))
    return client


def test_reader_pages_allow_only_our_own_scripts(client):
    make_home()
    article = make_article()
    policy = client.get(article.url)["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "https://www.youtube-nocookie.com" in policy


def _directives(policy: str) -> dict[str, str]:
    return dict([*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip())


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/password_reset/", "/django-admin/"])
def test_the_admin_sign_in_pages_carry_a_strict_policy(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    # The strict policy holds only while the pages have no inline code to block.
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)


def test_the_admin_editing_pages_carry_the_admin_policy(editor_client):
    make_home()
    article = make_article()
    for url in ("/admin/", f"/admin/pages/{article.pk}/edit/"):
        response = editor_client.get(url)
        assert response.status_code == 200
        policy = _directives(response["Content-Security-Policy"])
        # Wagtail's form widgets start from inline scripts; nothing else is loosened.
        assert policy["script-src"] == "'self' 'unsafe-inline'"
        assert policy["default-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["form-action"] == "'self'"
        # The admin frames its own previews; no other site may frame it.
        assert policy["frame-ancestors"] == "'self'"
        # Nothing from a third party: not even editors' avatars from Gravatar.
        assert policy["img-src"] == "'self' data: blob:"
        assert "gravatar.com" not in response.content.decode()


def test_reader_pages_allow_no_inline_style(client):
    make_home()
    article = make_article()
    for url in ("/", article.url, article.get_parent().url, "/search/?q=article"):
        response = client.get(url)
        policy = _directives(response["Content-Security-Policy"])
        assert policy["style-src"] == "'self'", url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url


INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=", re.IGNORECASE)


def test_reader_pages_have_no_inline_styles_to_block(client, editor_client):
    """Without 'unsafe-inline', a style attribute or <style> block would be dropped by
    the browser, so the pages must not rely on any (an editor's userbar included)."""
    make_home()
    article = make_article()
    pages = ["/", article.url, article.get_parent().url, "/search/?q=article", "/accounts/signup/"]
    for who in (client, editor_client):
        for url in pages:
            html = who.get(url).content.decode()
            assert not INLINE_STYLE.search(html), f"{url}: {INLINE_STYLE.search(html)}"


def test_static_files_carry_a_cross_origin_resource_policy():
    headers: dict[str, str] = {}
    static_file_headers(headers, "/srv/static/masthead/css/site.css", "/static/x.css")
    assert headers["Cross-Origin-Resource-Policy"] == "same-site"
    assert django_settings.WHITENOISE_ADD_HEADERS_FUNCTION is static_file_headers


@pytest.mark.parametrize(
    ("provider", "host"),
    [
        ("recaptcha", "https://www.gstatic.com"),
        ("hcaptcha", "https://hcaptcha.com"),
        ("turnstile", "https://challenges.cloudflare.com"),
    ],
)
def test_a_hosted_bot_check_is_allowed_only_when_chosen(provider, host):
    assert host in build_policy(provider)
    assert host not in build_policy("altcha")


# What each provider's documentation says its widget loads into the page, by directive.
HOSTED_SOURCES = {
    "recaptcha": {
        "script-src": "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/",
        "frame-src": "https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/",
    },
    "hcaptcha": {
        directive: "https://hcaptcha.com https://*.hcaptcha.com"
        for directive in ("script-src", "frame-src", "style-src", "connect-src")
    },
    "turnstile": {
        "script-src": "https://challenges.cloudflare.com",
        "frame-src": "https://challenges.cloudflare.com",
    },
}


@pytest.mark.parametrize("provider", sorted(HOSTED_SOURCES))
def test_a_hosted_bot_check_gets_exactly_what_its_widget_loads(client, settings, provider):
    """The provider's script (loaded by hosted-check.js), its frame, and for hCaptcha its
    styles and requests: each in its own directive, nothing more; followed per request,
    so the policy is always the one of the bot check the forms draw."""
    baseline = _directives(build_policy("altcha"))
    settings.BOTCHECK_PROVIDER = provider
    policy = _directives(client.get("/accounts/signup/")["Content-Security-Policy"])
    expected = {
        directive: f"{own} {HOSTED_SOURCES[provider][directive]}"
        if directive in HOSTED_SOURCES[provider]
        else own
        for directive, own in baseline.items()
    }
    assert policy == expected
    settings.BOTCHECK_PROVIDER = "altcha"
    assert _directives(client.get("/accounts/signup/")["Content-Security-Policy"]) == baseline
