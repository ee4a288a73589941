"""Reader pages carry a Content-Security-Policy that allows only our own scripts."""

from __future__ import annotations

import pytest

from masthead.content.tests.factories import make_article, make_home
from masthead.core.security import build_policy

pytestmark = pytest.mark.django_db


def test_reader_pages_allow_only_our_own_scripts(client):
    make_home()
    article = make_article()
    policy = client.get(article.url)["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "https://www.youtube-nocookie.com" in policy


def test_the_admin_is_left_to_wagtail(client):
    assert "Content-Security-Policy" not in client.get("/admin/login/")


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
