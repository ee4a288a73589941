"""Verified-crawler access: reverse then forward DNS, cached, off by default."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from wagtail.models import Site

from masthead.access import crawlers
from masthead.access.models import AccessSettings

from .conftest import MARKER

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOD_IP = "66.249.66.1"


class FakeResolver:
    """A fixed DNS: the real Googlebot address, a spoofer and localhost."""

    calls: list[str] = []
    reverse_map = {
        GOOD_IP: "crawl-66-249-66-1.googlebot.com",
        "203.0.113.9": "crawl-fake.googlebot.com.evil.example",
        "198.51.100.7": "crawl-198-51-100-7.googlebot.com",  # forward DNS disagrees
        "127.0.0.1": "localhost",
    }
    forward_map = {
        "crawl-66-249-66-1.googlebot.com": [GOOD_IP],
        "crawl-198-51-100-7.googlebot.com": ["66.249.66.200"],
        "localhost": ["127.0.0.1"],
    }

    def reverse(self, ip: str) -> str | None:
        FakeResolver.calls.append(f"reverse {ip}")
        return self.reverse_map.get(ip)

    def forward(self, host: str) -> list[str]:
        FakeResolver.calls.append(f"forward {host}")
        return self.forward_map.get(host, [])


@pytest.fixture(autouse=True)
def fake_dns(settings):
    settings.ACCESS_DNS_RESOLVER = "masthead.access.tests.test_crawlers.FakeResolver"
    FakeResolver.calls = []
    cache.clear()
    yield
    cache.clear()


def _verify_crawlers(on: bool = True) -> None:
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.verify_crawlers = on
    config.save()


@pytest.mark.parametrize(
    ("ip", "verified"),
    [(GOOD_IP, True), ("203.0.113.9", False), ("198.51.100.7", False), ("127.0.0.1", False)],
)
def test_reverse_then_forward_dns(ip, verified):
    assert crawlers.verify_ip(ip, "googlebot") is verified


def test_verified_googlebot_gets_the_full_text_privately(client, newsroom):
    _verify_crawlers()
    # The first visit schedules the DNS check (run at once by the tests' task backend);
    # the page itself only reads verdicts, so it still gets the lead-in.
    first = client.get(newsroom.premium.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOD_IP)
    assert MARKER not in first.content.decode()
    response = client.get(newsroom.premium.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOD_IP)
    assert MARKER in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_the_setting_is_off_by_default(client, newsroom):
    response = client.get(newsroom.premium.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOD_IP)
    assert MARKER not in response.content.decode()
    assert FakeResolver.calls == []


def test_spoofed_googlebot_with_forged_forwarded_for_gets_the_lead_in(client, newsroom):
    _verify_crawlers()
    response = client.get(
        newsroom.premium.url,
        HTTP_USER_AGENT=GOOGLEBOT_UA,
        HTTP_X_FORWARDED_FOR=GOOD_IP,
        REMOTE_ADDR="127.0.0.1",
    )
    html = response.content.decode()
    assert MARKER not in html
    assert "Register for free to continue reading" in html


def test_a_real_googlebot_address_without_the_user_agent_is_not_looked_up(client, newsroom):
    _verify_crawlers()
    response = client.get(newsroom.premium.url, REMOTE_ADDR=GOOD_IP)
    assert MARKER not in response.content.decode()
    assert FakeResolver.calls == []


def test_verdicts_are_cached_per_address(client, newsroom):
    _verify_crawlers()
    for _ in range(3):
        client.get(newsroom.premium.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOD_IP)
    assert FakeResolver.calls.count(f"reverse {GOOD_IP}") == 1


def test_the_trusted_proxy_address_is_used_only_when_configured(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR=f"{GOOD_IP}, 10.0.0.2", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert crawlers.client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert crawlers.client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert crawlers.client_ip(request) == GOOD_IP


def test_lookups_happen_off_the_page_when_tasks_are_queued(client, newsroom, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _verify_crawlers()
    response = client.get(newsroom.premium.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOD_IP)
    assert MARKER not in response.content.decode()  # not verified yet: lead-in
    assert FakeResolver.calls == []  # no DNS while the reader waited


def test_the_selector_only_reads_verdicts_and_the_service_schedules_the_lookup(rf, newsroom):
    from masthead.access import selectors, services

    _verify_crawlers()
    request = rf.get(newsroom.premium.url, HTTP_USER_AGENT=GOOGLEBOT_UA, REMOTE_ADDR=GOOD_IP)
    access = selectors.article_access(request=request, article=newsroom.premium)
    assert not access.decision.full
    assert FakeResolver.calls == []  # the selector scheduled nothing
    assert cache.get(crawlers._key(GOOD_IP, "googlebot")) is None
    services.article_view_record(access=access)
    assert FakeResolver.calls == [f"reverse {GOOD_IP}", "forward crawl-66-249-66-1.googlebot.com"]
    assert cache.get(crawlers._key(GOOD_IP, "googlebot")) == "yes"
