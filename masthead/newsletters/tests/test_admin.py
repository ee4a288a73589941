"""The admin page to send an issue: who may, previews, test send, send, schedule, progress."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from masthead.newsletters import sending
from masthead.newsletters.models import Newsletter, OpenSubscriber, Send, SendStatus
from masthead.readers.tests.factories import ReaderFactory

from .factories import NewsletterFactory
from .sending_rig import make_article_pair, make_issue, subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = ReaderFactory(editor=True, email="editor@example.com", first_name="Edna")
    client.force_login(user)
    return user


@pytest.fixture
def issue():
    return make_issue(articles=make_article_pair())


def url(name, issue, *extra):
    return f"/admin/newsletters/issues/{issue.pk}/{name}/" + "".join(f"{e}/" for e in extra)


def test_staff_without_the_permission_are_turned_away(client, issue):
    client.force_login(ReaderFactory(staff=True))
    for path in (url("send", issue), url("progress", issue), url("preview", issue, "html")):
        assert client.get(path).status_code in (302, 403)
    assert client.post(url("start", issue), {"action": "now"}).status_code in (302, 403)
    assert not Send.objects.exists()


def test_the_send_permission_is_enough(client, issue):
    user = ReaderFactory(staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="send_newsletterissue"),
        Permission.objects.get(codename="access_admin"),
    )
    client.force_login(user)
    assert client.get(url("send", issue)).status_code == 200


def test_previews_show_the_issue_as_readers_get_it(client, editor, issue):
    html = client.get(url("preview", issue, "html"))
    text = client.get(url("preview", issue, "text"))

    assert html.status_code == text.status_code == 200
    assert "sandbox" in html["Content-Security-Policy"]
    assert "Edna" in html.content.decode() and "A premium story" in html.content.decode()
    assert text["Content-Type"].startswith("text/plain")
    assert "Edna" in text.content.decode() and "%%" not in text.content.decode()


def test_a_test_send_goes_to_the_editor_only(client, editor, issue, smtp_settings):
    subscribers(issue.newsletter, 2)
    response = client.post(url("test", issue))

    assert response.status_code == 302
    assert smtp_settings.recorder.recipients() == ["editor@example.com"]
    assert smtp_settings.recorder.messages[0]["Subject"].startswith("[Test]")
    assert not Send.objects.exists()


def test_send_now_then_progress_then_controls(
    client, editor, issue, smtp_settings, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_CONNECTIONS = 1
    subscribers(issue.newsletter, 3)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("start", issue), {"action": "now"}).status_code == 302

    # The task ran at once (tests run tasks immediately): the issue has gone out.
    assert len(smtp_settings.recorder.messages) == 3
    progress = client.get(url("progress", issue)).json()
    assert progress | {"percent": 100} == {
        "status": "sent",
        "status_label": "Sent",
        "total": 3,
        "sent": 3,
        "failed": 0,
        "skipped": 0,
        "remaining": 0,
        "percent": 100,
    }
    page = client.get(url("send", issue)).content.decode()
    assert "send-progress.js" in page and 'value="100"' in page
    again = client.post(url("start", issue), {"action": "now"}, follow=True)
    assert "already" in again.content.decode()
    paused = client.post(url("control", issue), {"action": "pause"}, follow=True)
    assert "cannot be done" in paused.content.decode()


def test_pause_resume_cancel_from_the_admin(client, editor, issue):
    send = sending.send_start(issue=issue)
    assert client.post(url("control", issue), {"action": "pause"}).status_code == 302
    assert Send.objects.get(pk=send.pk).status == SendStatus.PAUSED
    client.post(url("control", issue), {"action": "resume"})
    assert Send.objects.get(pk=send.pk).status == SendStatus.SENDING
    client.post(url("control", issue), {"action": "cancel"})
    assert Send.objects.get(pk=send.pk).status == SendStatus.CANCELLED
    unknown = client.post(url("control", issue), {"action": "explode"}, follow=True)
    assert "Unknown action" in unknown.content.decode()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("", "Choose the date and time"),
        ("yesterday", "Enter a date and time"),
        ("2001-01-01T07:00", "in the future"),
    ],
)
def test_a_bad_schedule_says_what_is_wrong(client, editor, issue, when, message):
    response = client.post(url("start", issue), {"action": "schedule", "when": when})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Send.objects.exists()


def test_scheduling_for_later(client, editor, issue):
    later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(url("start", issue), {"action": "schedule", "when": later})
    send = Send.objects.get(issue=issue)
    assert send.status == SendStatus.SCHEDULED and send.scheduled_for > timezone.now()


def test_the_issue_listing_offers_preview_and_send(client, editor, issue):
    page = client.get("/admin/snippets/newsletters/newsletterissue/").content.decode()
    assert url("send", issue) in page


def test_the_newsletter_listing_counts_subscribers_of_each_kind(client, editor):
    weekly = NewsletterFactory(name="The Weekly", audience=Newsletter.Audience.OPEN)
    subscribers(weekly, 2)
    for n, status in enumerate(["active", "active", "active", "pending", "unsubscribed"]):
        OpenSubscriber.objects.create(newsletter=weekly, email=f"o{n}@example.net", status=status)

    response = client.get("/admin/snippets/newsletters/newsletter/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Subscribed without an account" in content and "Waiting to confirm" in content
    row = content[content.index("The Weekly") :].split("</tr>", 1)[0]
    cells = [c.strip() for c in re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", row)]
    assert cells[-3:] == ["2", "3", "1"]
