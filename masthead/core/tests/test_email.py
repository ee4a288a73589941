"""core.email's rules, checked on what a real SMTP server receives.

Each test sends through `masthead.core.email` (queued through the outbox, or at once) to
the aiosmtpd server of conftest.py and reads the bytes that arrived.
"""

from __future__ import annotations

import random
import re
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase
from wagtail.models import Site

from masthead.core import email, outbox
from masthead.core.models import OutboxEmail, OutboxStatus

from .renderers import greeting

pytestmark = pytest.mark.django_db

NEWSROOM = "The Saltmere Courier"
ADDRESS = "desk@courier.example"
REPLY_TO = "letters@courier.example"
TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def newsroom(settings):
    from django.utils.functional import lazy

    from masthead.core.newsroom import sender_address

    Site.objects.filter(is_default_site=True).update(site_name=NEWSROOM)
    settings.DEFAULT_FROM_EMAIL = lazy(lambda: sender_address(ADDRESS), str)()
    settings.EMAIL_REPLY_TO = REPLY_TO
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}
    ]


def parts(message: Message) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    payload = message.get_payload()
    assert [p.get_content_type() for p in payload] == ["text/plain", "text/html"]
    return {p.get_content_type(): p.get_payload(decode=True).decode() for p in payload}


def queue_and_commit(**params: str) -> OutboxEmail:
    with TestCase.captureOnCommitCallbacks(execute=True):
        row = email.send(renderer=greeting, params={"to": "ada@example.com", **params})
    row.refresh_from_db()
    return row


def test_a_queued_email_arrives_with_a_text_and_a_branded_html_part(smtp_settings):
    row = queue_and_commit(name="Ada")
    assert row.status == OutboxStatus.SENT
    [received] = smtp_settings.recorder.messages
    body = parts(received)
    assert "Hello Ada," in body["text/plain"]
    assert f"This is a note from {NEWSROOM}." in body["text/plain"]
    html = body["text/html"]
    assert NEWSROOM in html
    assert '<html lang="' in html
    assert 'role="presentation"' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    # Inlined: the body and the masthead carry their styles on the element...
    assert re.search(r'<body style="[^"]*background-color', html)
    assert re.search(r'<td class="masthead"[^>]*style="[^"]*font-size: 26px', html)
    # ...and only the @media rules stay in the <style> block.
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert "@media (prefers-color-scheme: dark)" in style
    assert ".masthead {" not in style.split("@media")[0]


def test_the_headers_name_the_newsroom_and_its_reply_to(smtp_settings):
    row = queue_and_commit(name="Ada")
    [received] = smtp_settings.recorder.messages
    assert parseaddr(received["From"]) == (NEWSROOM, ADDRESS)
    assert parseaddr(received["Reply-To"]) == (NEWSROOM, REPLY_TO)
    assert received["Message-ID"] == row.message_id
    assert received["Message-ID"].endswith("@courier.example>")
    assert parsedate_to_datetime(received["Date"]).tzinfo is not None
    assert received["Subject"] == f"{NEWSROOM}: A note for Ada"  # the subject names it
    assert received["List-Unsubscribe"] is None  # not asked for: transactional
    assert received["List-Unsubscribe-Post"] is None


class _AddressNotYetAString:
    """A sender setting that becomes a str only when asked, as the lazy production
    `DEFAULT_FROM_EMAIL` does. Pythons with the CVE-2023-27043 fix (3.11.10, 3.12.6,
    3.13, Debian's 3.11.2) parse anything but a str as no address at all."""

    def __str__(self) -> str:
        return f"{NEWSROOM} <{ADDRESS}>"


def test_message_ids_are_on_the_sender_domain_whatever_the_setting_is_made_of(
    smtp_settings, settings
):
    settings.DEFAULT_FROM_EMAIL = _AddressNotYetAString()
    queued = queue_and_commit(name="Ada")
    email.send_now("tests/email/greeting", to="ada@example.com", context={"name": "Ada"})
    ids = [message["Message-ID"] for message in smtp_settings.recorder.messages]
    assert queued.message_id in ids
    assert len(ids) == 2
    assert all(i.endswith("@courier.example>") for i in ids), ids
    assert email.sender_domain() == "courier.example"  # the newsletters' Message-IDs


def test_message_ids_stay_unique_when_something_reseeds_random(smtp_settings, time_machine):
    """Property-based tests seed `random` afresh for every example, within one clock
    tick: make_msgid's ids would repeat there, and the outbox refuses a repeated one."""
    time_machine.move_to("2026-12-01 09:00Z", tick=False)
    ids = []
    for _ in range(3):
        random.seed(0)
        ids.append(queue_and_commit(name="Ada").message_id)
        random.seed(0)
        ids.append(
            email.message("tests/email/greeting", to="a@example.com", context={}).extra_headers[
                "Message-ID"
            ]
        )
    assert len(set(ids)) == len(ids), ids


def test_no_reply_to_unless_the_newsroom_configures_one(smtp_settings, settings):
    settings.EMAIL_REPLY_TO = ""
    queue_and_commit(name="Ada")
    [received] = smtp_settings.recorder.messages
    assert received["Reply-To"] is None


def test_a_reply_to_with_its_own_name_keeps_it(settings):
    settings.EMAIL_REPLY_TO = f"Letters desk <{REPLY_TO}>"
    built = email.message("tests/email/greeting", to="ada@example.com", context={"name": "A"})
    assert parseaddr(built.message()["Reply-To"]) == ("Letters desk", REPLY_TO)


def test_list_unsubscribe_is_sent_when_asked_for_with_one_click_post(smtp_settings):
    queue_and_commit(name="Ada", unsubscribe="https://news.example/unsubscribe/abc/")
    [received] = smtp_settings.recorder.messages
    assert received["List-Unsubscribe"] == "<https://news.example/unsubscribe/abc/>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The HTML footer links to the same place.
    assert 'href="https://news.example/unsubscribe/abc/"' in parts(received)["text/html"]


def test_list_unsubscribe_can_add_a_mailbox(settings):
    settings.PRODUCTION = True
    built = email.message(
        "tests/email/greeting",
        to="ada@example.com",
        context={"name": "A"},
        list_unsubscribe=email.Unsubscribe(
            url="https://news.example/u/1/", mailto="unsubscribe@news.example"
        ),
    ).message()
    assert built["List-Unsubscribe"] == (
        "<https://news.example/u/1/>, <mailto:unsubscribe@news.example>"
    )
    assert built["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("unsubscribe", "production", "says"),
    [
        ("/unsubscribe/abc/", False, "absolute URL"),
        ("news.example/unsubscribe/abc/", False, "absolute URL"),
        ("https://news.example/u/a b/", False, "absolute URL"),
        ("https://news.example/u/>, <https://evil.example/", False, "absolute URL"),
        ("https://news.example/u/\r\nBcc: x@evil.example", False, "absolute URL"),
        ("javascript://news.example/alert(1)", False, "https://"),
        ("ftp://news.example/u/", False, "https://"),
        ("http://news.example/unsubscribe/abc/", True, "https://"),
        (email.Unsubscribe("https://news.example/u/", mailto="not-an-address"), False, "mailto"),
        (email.Unsubscribe("https://news.example/u/", mailto="a@b.example>, <x"), False, "mailto"),
        # Control characters and DEL would make the header unusable (or hide a bug).
        ("https://news.example/u/\x00x", False, "control characters"),
        ("https://news.example/u/\x1fx", False, "control characters"),
        ("https://news.example/u/\x7fx", False, "control characters"),
        ("https://news.example/u/a\tb/", False, "control characters"),
        # Non-ASCII that percent-encoding cannot fix: the host, and a mailbox.
        ("https://bücher.example/u/", False, "ASCII host"),
        (email.Unsubscribe("https://n.example/u/", mailto="désabo@n.example"), False, "ASCII"),
        (email.Unsubscribe("https://n.example/u/", mailto="a@n.example\x00"), False, "mailto"),
    ],
)
def test_a_bad_list_unsubscribe_is_refused_with_a_clear_error(
    settings, unsubscribe, production, says
):
    settings.PRODUCTION = production
    with pytest.raises(email.InvalidUnsubscribe, match=says):
        email.message(
            "tests/email/greeting",
            to="a@example.com",
            context={"name": "A"},
            list_unsubscribe=unsubscribe,
        )


def test_a_non_ascii_unsubscribe_path_is_percent_encoded_not_sent_as_an_encoded_word(
    smtp_settings,
):
    # Django would send a non-ASCII header as =?utf-8?q?...?=, which mail systems cannot
    # use as a one-click unsubscribe.
    queue_and_commit(name="Ada", unsubscribe="https://news.example/u/café/")
    [received] = smtp_settings.recorder.messages
    assert received["List-Unsubscribe"] == "<https://news.example/u/caf%C3%A9/>"
    assert "=?" not in str(received["List-Unsubscribe"])


def test_http_unsubscribe_links_are_allowed_outside_production(settings):
    settings.PRODUCTION = False
    built = email.message(
        "tests/email/greeting",
        to="a@example.com",
        context={"name": "A"},
        list_unsubscribe="http://127.0.0.1:8000/unsubscribe/abc/",
    )
    assert built.extra_headers["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe/abc/>"


def test_an_email_is_not_sent_when_its_transaction_rolls_back(smtp_settings):
    with (
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        email.send(renderer=greeting, params={"to": "ada@example.com", "name": "Ada"})
        raise RuntimeError("the change that caused the email failed")
    assert callbacks == []
    assert not OutboxEmail.objects.exists()
    assert outbox.deliver_due() == 0
    assert smtp_settings.recorder.messages == []


def test_a_queued_email_waits_for_the_commit(smtp_settings):
    with TestCase.captureOnCommitCallbacks(execute=True):
        email.send(renderer=greeting, params={"to": "ada@example.com", "name": "Ada"})
        assert smtp_settings.recorder.messages == []  # not before the commit
    assert len(smtp_settings.recorder.messages) == 1


def test_send_now_sends_during_the_call_and_stores_nothing(smtp_settings):
    email.send_now("tests/email/greeting", to="ada@example.com", context={"name": "S3CR3T"})
    [received] = smtp_settings.recorder.messages
    assert "S3CR3T" in parts(received)["text/plain"]
    assert received["Message-ID"].endswith("@courier.example>")
    assert received["List-Unsubscribe"] is None
    assert not OutboxEmail.objects.exists()


def test_an_email_without_an_html_template_is_refused():
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist, match=r"_message\.html"):
        email.message("tests/email/plain_only", to="a@example.com")


def test_a_name_with_an_ampersand_is_escaped_in_html_and_plain_in_text(smtp_settings):
    Site.objects.filter(is_default_site=True).update(site_name="Tides & Times")
    from masthead.core.newsroom import newsroom_name_forget

    newsroom_name_forget()
    email.send_now("tests/email/greeting", to="ada@example.com", context={"name": "<b>Ada</b>"})
    body = parts(smtp_settings.recorder.messages[0])
    assert "This is a note from Tides & Times." in body["text/plain"]
    assert "Tides &amp; Times" in body["text/html"]
    assert "Hello &lt;b&gt;Ada&lt;/b&gt;," in body["text/html"]  # text, not markup
