"""Guessing which addresses have accounts costs more the more guesses there are: per
network and site-wide registration limits that tighten under a burst, a harder bot
check, and one alert to staff."""

from __future__ import annotations

import datetime
import logging
import socket

import pytest
from django.core.cache import cache

from masthead.readers import signup_limits
from masthead.readers.botcheck import AltchaCheck
from masthead.readers.signup_limits import signup_attempt
from masthead.readers.tests.factories import ReaderFactory
from masthead.readers.tests.registration_support import make_legal_pages, registration_data

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _limits(settings, time_machine):
    time_machine.move_to(START, tick=False)
    settings.SIGNUP_WINDOW_SECONDS = 600
    settings.SIGNUP_IP_LIMIT = 10
    settings.SIGNUP_BURST_THRESHOLD = 20
    settings.SIGNUP_GLOBAL_LIMIT = 1000
    settings.SIGNUP_ALERT_SECONDS = 3600
    settings.ALTCHA_MAX_NUMBER = 1000
    settings.ADMINS = [("Night editor", "night.editor@example.org")]
    cache.clear()
    yield
    cache.clear()


def _from_many_networks(count: int) -> None:
    for number in range(count):
        # Few distinct networks: the test cache (locmem) culls keys past 300 entries.
        signup_attempt(f"198.51.100.{number % 50}")


def test_one_network_gets_ten_attempts_in_ten_minutes():
    verdicts = [signup_attempt("203.0.113.9") for _ in range(11)]
    assert [v.allowed for v in verdicts] == [True] * 10 + [False]
    assert verdicts[-1].reason == "ip"
    assert signup_attempt("203.0.113.10").allowed  # another network is not held back


def test_the_allowance_comes_back_once_the_window_has_passed(time_machine):
    for _ in range(10):
        signup_attempt("203.0.113.9")
    assert not signup_attempt("203.0.113.9").allowed
    time_machine.move_to(START + datetime.timedelta(minutes=11), tick=False)
    assert signup_attempt("203.0.113.9").allowed


def test_under_a_burst_each_network_gets_half_as_many_attempts():
    _from_many_networks(20)
    verdicts = [signup_attempt("203.0.113.9") for _ in range(6)]
    assert verdicts[0].burst_level == 1
    assert [v.allowed for v in verdicts] == [True] * 5 + [False]


def test_a_bigger_burst_tightens_further_but_never_below_one_attempt():
    _from_many_networks(20 * 2**3)
    verdict = signup_attempt("203.0.113.9")
    assert verdict.burst_level == 4
    assert verdict.ip_limit == 1
    assert verdict.allowed
    assert not signup_attempt("203.0.113.9").allowed


def test_past_the_site_wide_limit_nobody_registers_until_it_passes(settings, time_machine):
    settings.SIGNUP_BURST_THRESHOLD = 10_000  # only the hard limit in play here
    settings.SIGNUP_GLOBAL_LIMIT = 100
    _from_many_networks(100)
    verdict = signup_attempt("203.0.113.77")
    assert (verdict.allowed, verdict.reason) == (False, "global")
    time_machine.move_to(START + datetime.timedelta(minutes=11), tick=False)
    assert signup_attempt("203.0.113.77").allowed


def test_the_bot_check_asks_for_more_work_as_the_rate_rises(client):
    assert AltchaCheck().max_number == 1000
    _from_many_networks(20)
    assert AltchaCheck().max_number == 4000
    _from_many_networks(20)
    assert AltchaCheck().max_number == 16000
    challenge = client.get("/accounts/altcha/challenge/").json()
    assert challenge["maxNumber"] == 16000


def test_the_bot_check_work_has_a_ceiling(settings):
    settings.ALTCHA_MAX_NUMBER_CEILING = 5000
    _from_many_networks(20 * 2**3)
    assert AltchaCheck().max_number == 5000


def test_staff_hear_of_a_burst_once_an_hour(
    caplog, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    # The alert goes through the durable outbox, which hands it to a worker on commit.
    with caplog.at_level(logging.WARNING, logger="masthead.readers.signup_limits"):
        _from_many_networks(19)
        assert not mailoutbox and not caplog.records
        with django_capture_on_commit_callbacks(execute=True):
            _from_many_networks(100)
    assert len(caplog.records) == 1
    assert "registration burst" in caplog.records[0].getMessage()
    [alert] = mailoutbox
    assert alert.to == ["night.editor@example.org"]
    assert "registration attempts" in alert.subject
    time_machine.move_to(START + datetime.timedelta(minutes=61), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        _from_many_networks(20)
    assert len(mailoutbox) == 2


def test_with_no_admins_set_the_superusers_are_told(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ADMINS = []
    ReaderFactory(email="chief@example.org", editor=True)
    with django_capture_on_commit_callbacks(execute=True):
        _from_many_networks(20)
    assert [m.to for m in mailoutbox] == [["chief@example.org"]]


@pytest.fixture
def redis_away(monkeypatch, settings):
    """The production cache, configured as in settings, on a port where nothing listens."""
    from masthead.core import cache as degrading

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(degrading, "_breakers", {})
    dead = degrading.DegradingRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"OPTIONS": {"STRICT_KEY_PREFIXES": ["allauth:rl:", "masthead:signup-limits:"]}},
    )
    monkeypatch.setattr(signup_limits, "cache", dead)
    return dead


def test_an_unreachable_cache_refuses_rather_than_waving_attempts_through(redis_away):
    from masthead.core.cache import CacheUnavailable

    # Refused with the polite "try again in a minute" (core.cache's middleware).
    with pytest.raises(CacheUnavailable):
        signup_attempt("203.0.113.9")


def test_an_unreachable_cache_makes_the_bot_check_its_hardest(redis_away, settings):
    settings.ALTCHA_MAX_NUMBER_CEILING = 10**9
    assert signup_limits.current_burst_level() == settings.SIGNUP_BURST_MAX_LEVEL
    assert AltchaCheck().max_number > settings.ALTCHA_MAX_NUMBER


def test_the_registration_form_says_why_and_keeps_what_was_typed(client, settings):
    settings.SIGNUP_IP_LIMIT = 1
    make_legal_pages()
    signup_attempt("203.0.113.9")  # this network's one attempt, used
    response = client.post(
        "/accounts/signup/",
        registration_data(email="second.try@example.org"),
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["email"]
    assert "too many registrations from your network" in message
    assert 'value="second.try@example.org"' in response.content.decode()
    assert not django_user_exists("second.try@example.org")


def django_user_exists(email: str) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email=email).exists()


def test_one_ipv6_host_cannot_rotate_through_its_prefix_for_fresh_attempts(settings):
    from django.test import Client

    settings.SIGNUP_IP_LIMIT = 1
    make_legal_pages()
    for host, email in (("2001:db8:1:2::10", "first@example.org"), ("2001:db8:1:2::99", "x@e.org")):
        # A new browser each time: a signed-in one would just be sent home.
        response = Client().post(
            "/accounts/signup/", registration_data(email=email), REMOTE_ADDR=host
        )
    # The second address of the same /64 counts as the same network.
    assert response.status_code == 200
    assert "too many registrations from your network" in response.content.decode()
