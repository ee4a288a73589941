"""Production refuses to start half-configured, and passes Django's deploy checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MASTHEAD_")}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    # Masthead's own settings, not the test session's (masthead.settings_test).
    clean["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MASTHEAD_ALLOWED_HOSTS": "news.example"}, "MASTHEAD_SECRET_KEY"),
        (
            {"MASTHEAD_SECRET_KEY": "short", "MASTHEAD_ALLOWED_HOSTS": "news.example"},
            "MASTHEAD_SECRET_KEY",
        ),
        ({"MASTHEAD_SECRET_KEY": secrets.token_urlsafe(64)}, "MASTHEAD_ALLOWED_HOSTS"),
        (
            {
                "MASTHEAD_SECRET_KEY": secrets.token_urlsafe(64),
                "MASTHEAD_ALLOWED_HOSTS": "news.example",
                "MASTHEAD_REPLY_TO": "letters desk",
            },
            "MASTHEAD_REPLY_TO",
        ),
    ],
)
def test_production_refuses_to_start_without_secret_and_hosts(env, message):
    result = _manage("check", MASTHEAD_PRODUCTION="1", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_passes_the_deploy_checks():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        MASTHEAD_PRODUCTION="1",
        MASTHEAD_SECRET_KEY=secrets.token_urlsafe(64),
        MASTHEAD_ALLOWED_HOSTS="news.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_are_secure_and_host_prefixed():
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_PATH, s.CSRF_COOKIE_PATH, "
        "s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_DOMAIN)"
    )
    result = _manage(
        "shell",
        "-c",
        script,
        MASTHEAD_PRODUCTION="1",
        MASTHEAD_SECRET_KEY=secrets.token_urlsafe(64),
        MASTHEAD_ALLOWED_HOSTS="news.example",
    )
    assert result.returncode == 0, result.stderr
    # __Host- cookies must be Secure, for Path=/ and without a Domain, or browsers drop them.
    assert result.stdout.strip().splitlines()[-1].split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "/",
        "/",
        "None",
        "None",
    ]
