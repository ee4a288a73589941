"""Filling an issue from the newest articles in a section, in the send page of the admin."""

from __future__ import annotations

import datetime as dt

import pytest

from masthead.newsletters import sending
from masthead.newsletters.models import IssueArticle
from masthead.readers.tests.factories import ReaderFactory
from rigs.newsroom import make_article, make_section

from .sending_rig import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = ReaderFactory(editor=True, email="editor@example.com")
    client.force_login(user)
    return user


def fill_url(issue) -> str:
    return f"/admin/newsletters/issues/{issue.pk}/fill/"


def titles(issue) -> list[str]:
    return [
        item.page.title for item in IssueArticle.objects.filter(issue=issue).order_by("sort_order")
    ]


def test_the_newest_articles_not_yet_in_the_issue_are_added_after_its_own(client, editor):
    section = make_section(title="Harbour")
    sub = make_section(parent=section, title="Ferries")
    oldest = make_article(section=section, title="Oldest", age=dt.timedelta(days=3))
    make_article(section=section, title="Older", age=dt.timedelta(days=2))
    make_article(section=sub, title="Newer, in a sub-section", age=dt.timedelta(days=1))
    already = make_article(section=section, title="Newest, already in", age=dt.timedelta(hours=1))
    make_article(section=make_section(), title="Elsewhere", age=dt.timedelta(minutes=5))
    issue = make_issue(articles=[already])

    response = client.post(fill_url(issue), {"section": section.pk, "count": 2})

    assert response.status_code == 302
    assert titles(issue) == ["Newest, already in", "Newer, in a sub-section", "Older"]
    client.post(fill_url(issue), {"section": section.pk, "count": 5})
    assert titles(issue)[-1] == oldest.title and len(titles(issue)) == 4
    follow = client.post(fill_url(issue), {"section": section.pk, "count": 5}, follow=True)
    assert "already in the issue" in follow.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": "2"}, "Choose the section"),
        ({"section": "999999", "count": "2"}, "not published"),
        ({"count": "0"}, "from 1 to 20"),
        ({"count": "many"}, "from 1 to 20"),
    ],
)
def test_bad_input_says_what_is_wrong_keeps_what_was_typed_and_adds_nothing(
    client, editor, data, message
):
    section = make_section()
    make_article(section=section)
    issue = make_issue()
    data = {"section": "", **data}
    response = client.post(fill_url(issue), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{data["count"]}"' in page
    assert titles(issue) == []


def test_a_sent_issue_cannot_be_refilled(client, editor):
    section = make_section()
    make_article(section=section, title="Late story")
    issue = make_issue()
    sending.send_start(issue=issue)

    response = client.post(fill_url(issue), {"section": section.pk, "count": 3}, follow=True)

    assert "settled" in response.content.decode()
    assert titles(issue) == []


def test_only_staff_who_may_send_can_fill(client):
    client.force_login(ReaderFactory(staff=True))
    section = make_section()
    make_article(section=section)
    issue = make_issue()
    response = client.post(fill_url(issue), {"section": section.pk, "count": 3})
    assert response.status_code in (302, 403)
    assert titles(issue) == []
