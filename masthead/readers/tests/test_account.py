"""The reader's account page: sign-in required, never cached, same rules as registration,
preferences recorded in the ledger, and forms that keep what was typed."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from masthead.newsletters import services as newsletter_services
from masthead.newsletters.tests.factories import NewsletterFactory
from masthead.readers.models import ConsentRecord
from masthead.readers.tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "account:profile",
    "newsletters:preferences",
    "account:reading",
    "account:history",
    "account:sessions",
    "account:data",
    "account:delete",
]
TODAY = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def reader():
    return ReaderFactory(first_name="Ada", last_name="Lovelace")


def _no_store(response) -> bool:
    parts = {p.strip() for p in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= parts


@pytest.mark.parametrize("name", PAGES)
def test_account_pages_need_a_signed_in_reader(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert _no_store(response)


@pytest.mark.parametrize("name", PAGES)
def test_account_pages_are_private_and_never_stored(signed_in, name):
    response = signed_in.get(reverse(name))
    assert response.status_code == 200
    assert _no_store(response)


@pytest.mark.parametrize("name", ["account:profile", "newsletters:preferences", "account:delete"])
def test_account_forms_refuse_a_post_without_csrf(client, reader, name):
    client.handler.enforce_csrf_checks = True
    client.force_login(reader)
    assert client.post(reverse(name), {}).status_code == 403


def test_every_account_form_carries_a_csrf_token(signed_in):
    NewsletterFactory()
    for name in PAGES:
        html = signed_in.get(reverse(name)).content.decode()
        assert html.count("<form") - html.count('role="search"') == html.count(
            "csrfmiddlewaretoken"
        ), name


def test_profile_page_shows_the_email_with_links_to_change_it_and_the_password(signed_in, reader):
    html = signed_in.get(reverse("account:profile")).content.decode()
    assert reader.email in html
    assert reverse("account_email") in html
    assert reverse("account_change_password") in html


@time_machine.travel(TODAY, tick=False)
def test_profile_saves_names_normalised_and_the_date_of_birth(signed_in, reader):
    response = signed_in.post(
        reverse("account:profile"),
        {"first_name": "  Zoe\u0308 ", "last_name": "O'Brien", "date_of_birth": "1990-02-28"},
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.first_name == "Zo\u00eb"  # NFC
    assert reader.last_name == "O'Brien"
    assert reader.date_of_birth == datetime.date(1990, 2, 28)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter your first name."),
        ("first_name", "R2D2", "can't contain numbers"),
        ("first_name", "Ada <b>", "can only contain letters"),
        ("last_name", "Smith 🙂", "can only contain letters"),
        ("last_name", "Anne  -Marie", "next to each other"),
        ("last_name", "x" * 41, "40 characters or fewer"),
        ("date_of_birth", "2010-01-01", "18 or over"),
        ("date_of_birth", "2007-06-16", "18 or over"),  # 18 tomorrow
        ("date_of_birth", "2030-01-01", "must be in the past"),
        ("date_of_birth", "1900-01-01", "more than 120 years ago"),
        ("date_of_birth", "31/02/1990", "real date"),
    ],
)
@time_machine.travel(TODAY, tick=False)
def test_profile_refuses_what_registration_refuses_and_keeps_the_input(
    signed_in, reader, field, value, message
):
    data = {"first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1990-05-01"}
    data[field] = value
    response = signed_in.post(reverse("account:profile"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    # Beside the field, tied to it, and in the summary that links to it.
    assert f'id="id_{field}_error"' in html
    assert f'href="#id_{field}"' in html
    assert 'aria-invalid="true"' in html
    assert html.count("Error:") >= 1
    # Everything typed is kept, and nothing was saved.
    if value:
        assert value.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;") in html
    reader.refresh_from_db()
    assert (reader.first_name, reader.last_name) == ("Ada", "Lovelace")


@time_machine.travel(TODAY, tick=False)
def test_profile_accepts_a_reader_who_turns_18_today(signed_in, reader):
    response = signed_in.post(
        reverse("account:profile"),
        {"first_name": "李", "last_name": "عبد السلام", "date_of_birth": "2007-06-15"},
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.last_name == "عبد السلام"


def test_history_lists_consents_and_marketing_choices(signed_in, reader):
    ConsentRecord.objects.create(user=reader, document="terms", version="7", source="signup")
    other = ReaderFactory()
    ConsentRecord.objects.create(user=other, document="privacy", version="99", source="signup")
    daily = NewsletterFactory(name="Morning Edition")
    newsletter_services.subscriptions_set(user=reader, newsletters=[daily], source="signup")

    html = signed_in.get(reverse("account:history")).content.decode()

    assert "Terms of use" in html and ">7<" in html
    assert ">99<" not in html
    assert "Subscribed" in html and "Morning Edition" in html


def test_sessions_page_lists_sessions_and_signs_out_the_others(client, reader):
    other = Client()
    for c in (client, other):
        c.force_login(reader)
        assert c.get(reverse("account:sessions")).status_code == 200

    page = client.get(reverse("account:sessions"))
    assert len(page.context["sessions"]) == 2
    assert "Sign out of every other session" in page.content.decode()

    client.post(reverse("account:sessions"))

    assert client.get(reverse("account:sessions")).status_code == 200
    assert other.get(reverse("account:sessions")).status_code == 302


def test_reading_lists_the_premium_articles_counted_this_month(signed_in, reader):
    from masthead.access.api import Level
    from masthead.content.tests.factories import make_article, make_section

    premium = make_section(title="Investigations", access=Level.PREMIUM)
    free = make_article(section=make_section(title="News"), title="A free story", hero=False)
    first, second, third = (
        make_article(section=premium, title=f"Premium {i}", hero=False) for i in range(3)
    )
    with time_machine.travel(datetime.datetime(2025, 5, 20, 9, tzinfo=datetime.UTC)):
        signed_in.get(first.url)  # last month: renewed since, not listed
    with time_machine.travel(TODAY):
        signed_in.get(second.url)
    with time_machine.travel(TODAY + datetime.timedelta(hours=1)):
        signed_in.get(third.url)
        signed_in.get(second.url)  # re-reading never counts again
        signed_in.get(free.url)  # free articles never count
        response = signed_in.get(reverse("account:reading"))
    html = response.content.decode()
    assert response.status_code == 200 and _no_store(response)

    def fact(name: str) -> str:
        return re.search(rf"data-meter-{name}[^>]*>([^<]+)<", html).group(1)

    assert (fact("allowance"), fact("used"), fact("remaining")) == ("5", "2", "3")
    assert fact("renews") == "1 July 2025"
    counted = html.split("data-meter-articles", 1)[1].split("</ul>", 1)[0]
    listed = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', counted)
    # Newest first, each linked to the article.
    assert listed == [(third.url, third.title), (second.url, second.title)]
    assert first.title not in html


def test_reading_says_so_when_nothing_was_counted(signed_in):
    html = signed_in.get(reverse("account:reading")).content.decode()
    assert "You haven't opened any premium articles this month." in html
