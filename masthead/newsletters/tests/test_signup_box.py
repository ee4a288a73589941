"""A sign-up box for an open newsletter inside an article.

The rules: an editor places it in a body and may offer only an open newsletter; every
reader gets the same box with the article (cached, shared, no CSRF token) and their own
part from the box's endpoint: the sign-up form for someone not signed in (posting to the
sign-up page's own view, checks and answers), one click for a signed-in reader, "you're
subscribed" once they are. A box after the wall is withheld like the text around it; a
box whose newsletter is deleted or closed renders nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.access.api import Level
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import (
    article_admin_form,
    make_article,
    make_home,
    make_section,
    paragraph,
)
from masthead.core.page_shell import SHELL_PREFIX
from masthead.core.render_cache import FRAGMENT_PREFIX
from masthead.core.tests.cache_keys import stored_keys
from masthead.newsletters.models import (
    MarketingChoice,
    MarketingPreference,
    Newsletter,
    OpenSubscriber,
    Subscription,
)
from masthead.newsletters.signup_boxes import offer_for
from masthead.readers.tests.registration_support import solved_altcha

from .factories import NewsletterFactory, ReaderFactory

pytestmark = pytest.mark.django_db

BOX = "data-signup-box"


@pytest.fixture
def weekly():
    return NewsletterFactory(
        name="The Harbour Weekly",
        slug="weekly",
        description="Seven days of the harbour in one email.",
        cadence="Every Friday",
        audience=Newsletter.Audience.OPEN,
    )


@pytest.fixture
def members():
    return NewsletterFactory(name="Members' Brief", slug="members")  # registered only


def box(newsletter: Newsletter, heading: str = "", text: str = "") -> dict:
    return {
        "type": "signup_box",
        "value": {"offer": offer_for(newsletter), "heading": heading, "text": text},
    }


def article_with(*blocks: dict, access_level: str = "") -> ArticlePage:
    return make_article(
        section=make_section(parent=make_home()), body=list(blocks), access_level=access_level
    )


def the_box(html: str) -> str:
    """The box as the article page carries it."""
    match = re.search(r'<aside class="signup-box".*?</aside>', html, re.S)
    assert match, "no sign-up box in the page"
    return match.group(0)


def box_fragment(client: Client, html: str) -> str:
    """What the box's script fetches into the box for this client."""
    aside = the_box(html)
    src = re.search(r'data-src="([^"]+)"', aside).group(1)
    box_id = re.search(r'<aside[^>]* id="([^"]+)"', aside).group(1)
    response = client.get(src, {"box": box_id, "next": "/story/#" + box_id})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    return response.content.decode()


def signed_in(reader=None) -> Client:
    client = Client()
    client.force_login(reader or ReaderFactory())
    return client


# -- the editor ---------------------------------------------------------------------------


def _article_form(body: list[tuple], **extra) -> dict:
    return article_admin_form(
        body, title="A story with a sign-up box", slug="a-story-with-a-sign-up-box", **extra
    )


@pytest.fixture
def editor_client(client):
    client.force_login(ReaderFactory(email="chief@example.com", editor=True))
    return client


def test_an_editor_places_a_box_offering_an_open_newsletter(editor_client, weekly, members):
    section = make_section(parent=make_home())
    url = f"/admin/pages/add/content/articlepage/{section.pk}/"
    form = editor_client.get(url).content.decode()
    # The block is offered, and its choice lists open newsletters only.
    assert "Newsletter sign-up" in form
    assert "The Harbour Weekly" in form and "Members&#x27; Brief" not in form
    body = [
        ("paragraph", "<p>The story.</p>"),
        ("signup_box", {"offer": offer_for(weekly), "heading": "Every Friday", "text": ""}),
    ]
    response = editor_client.post(url, _article_form(body))
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="a-story-with-a-sign-up-box")
    (stored,) = [b for b in article.body if b.block_type == "signup_box"]
    assert stored.value["offer"] == f"newsletter:{weekly.pk}"
    assert stored.value["heading"] == "Every Friday"


@pytest.mark.parametrize("gone", ["closed", "deleted"])
def test_the_editor_is_told_when_the_newsletter_no_longer_takes_sign_ups(
    editor_client, weekly, gone
):
    article = article_with(paragraph("The story."), box(weekly))
    offer = offer_for(weekly)
    if gone == "closed":
        Newsletter.objects.filter(pk=weekly.pk).update(audience=Newsletter.Audience.REGISTERED)
    else:
        weekly.delete()
    body = [("paragraph", "<p>The story.</p>"), ("signup_box", {"offer": offer})]
    response = editor_client.post(f"/admin/pages/{article.pk}/edit/", _article_form(body))
    assert response.status_code == 200
    assert "has been deleted or no longer takes sign-ups from anyone" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert ArticlePage.objects.get(pk=article.pk).get_latest_revision().pk == (
        article.live_revision_id
    )


# -- every reader gets the same box with the article ---------------------------------------


def test_every_reader_gets_the_same_box_with_the_article(weekly):
    article = article_with(
        paragraph("Before the box."),
        box(weekly, heading="Like this? Get more"),
        paragraph("After."),
    )
    subscriber = ReaderFactory()
    Subscription.objects.create(user=subscriber, newsletter=weekly, source="test")
    pages = {
        "anonymous": Client().get(article.url),
        "reader": signed_in().get(article.url),
        "subscriber": signed_in(subscriber).get(article.url),
    }
    boxes = {who: the_box(r.content.decode()) for who, r in pages.items()}
    assert len(set(boxes.values())) == 1
    shown = boxes["anonymous"]
    assert "Like this? Get more" in shown and "Seven days of the harbour" in shown
    assert "The Harbour Weekly" in shown and "Every Friday" in shown
    # Without JavaScript the box leads to the sign-up page.
    assert 'href="/newsletters/join/weekly/"' in shown
    assert 'data-src="/newsletters/join/weekly/box/"' in shown
    anonymous = pages["anonymous"]
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()
    assert "public" in anonymous["Cache-Control"]
    assert "signup-box.js" in anonymous.content.decode()


def test_someone_not_signed_in_gets_the_sign_up_form_in_the_box(client, weekly):
    article = article_with(paragraph("Text."), box(weekly))
    part = box_fragment(client, client.get(article.url).content.decode())
    form = re.search(r"<form.*?</form>", part, re.S).group(0)
    assert 'action="/newsletters/join/weekly/"' in form and 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    # A visible label tied to the address field; ids are the box's own.
    field_id = re.search(r'<input type="email" name="email"[^>]* id="([^"]+)"', form).group(1)
    assert field_id.startswith("signup-")
    assert f'<label class="field__label" for="{field_id}">' in form
    assert "Email address" in form
    assert 'name="altcha"' in form and 'name="reference"' in form  # bot check, honeypot
    assert 'id="botcheck"' not in form  # the wall's form may be on the page too
    assert "only to send you this newsletter" in form  # the sign-up page's consent
    assert ">Subscribe</button>" in form
    assert "/accounts/login/?next=/story/%23signup-" in part


def test_a_signed_in_reader_subscribes_with_one_click(weekly, django_capture_on_commit_callbacks):
    reader = ReaderFactory(email="ottoline@example.com", verified=True)
    MarketingPreference.objects.create(user=reader, marketing_stopped=True)
    client = signed_in(reader)
    article = article_with(paragraph("Text."), box(weekly))
    part = box_fragment(client, client.get(article.url).content.decode())
    assert "ottoline@example.com" in part and 'name="email"' not in part
    assert "Choosing a newsletter allows marketing email again." in part
    action = re.search(r'<form[^>]* action="([^"]+)"', part).group(1)
    assert action == "/account/newsletters/subscribe/weekly/"
    next_url = re.search(r'name="next" value="([^"]+)"', part).group(1)

    response = client.post(action, {"next": next_url}, HTTP_X_SIGNUP_BOX="signup-abc")

    assert response.status_code == 200 and response["X-Signup-Box"] == "1"
    said = response.content.decode()
    assert "Done: The Harbour Weekly will come to ottoline@example.com." in said
    assert 'role="status"' in said
    assert Subscription.objects.get(user=reader, newsletter=weekly).active
    assert MarketingChoice.objects.filter(user=reader, source="signup-box").count() == 2
    assert not MarketingPreference.objects.get(user=reader).marketing_stopped
    # Without the script the same form is a page that comes back to the article.
    again = client.post(action, {"next": next_url})
    assert again.status_code == 302 and again["Location"] == next_url
    assert MarketingChoice.objects.filter(user=reader, source="signup-box").count() == 2


def test_a_subscribed_reader_is_told_so(weekly):
    reader = ReaderFactory(verified=True)
    Subscription.objects.create(user=reader, newsletter=weekly, source="test")
    client = signed_in(reader)
    article = article_with(paragraph("Text."), box(weekly))
    part = box_fragment(client, client.get(article.url).content.decode())
    assert "You're subscribed to The Harbour Weekly." in part
    assert 'href="/account/newsletters/"' in part and "<form" not in part


def test_an_unconfirmed_reader_subscribes_with_one_click_and_is_told_when_it_starts(weekly):
    # The choice is kept; issues start once the address is confirmed, and the box says so
    # before and after the click, with the way to the page that sends the link again.
    reader = ReaderFactory(email="newcomer@example.com", verified=False)
    client = signed_in(reader)
    article = article_with(paragraph("Text."), box(weekly))
    part = box_fragment(client, client.get(article.url).content.decode())
    assert "comes to newcomer@example.com, the address on your account, once you confirm" in part
    action = re.search(r'<form[^>]* action="([^"]+)"', part).group(1)

    said = client.post(action, {"next": "/story/"}, HTTP_X_SIGNUP_BOX="signup-abc")

    text = said.content.decode()
    assert (
        "Done: The Harbour Weekly will come to newcomer@example.com once you confirm that"
        " address." in text
    )
    assert 'href="/account/newsletters/#confirm-address"' in text
    assert Subscription.objects.get(user=reader, newsletter=weekly).active
    again = box_fragment(client, client.get(article.url).content.decode())
    assert "Issues start once you confirm your email address" in again
    # Without the script: the message on the page it comes back to says it too.
    response = client.post(action, {"next": "/account/newsletters/"}, follow=True)
    assert "Issues start once you confirm your email address." in response.content.decode()


def test_one_click_is_for_signed_in_readers_and_open_newsletters(client, weekly, members):
    response = client.post("/account/newsletters/subscribe/weekly/", {"next": "/story/"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "next=/story/" in response["Location"]
    reader = ReaderFactory()
    client.force_login(reader)
    assert client.post("/account/newsletters/subscribe/members/").status_code == 404
    # From a box drawn while the list was open: 204, and its script takes the box away.
    from_box = client.post("/account/newsletters/subscribe/members/", HTTP_X_SIGNUP_BOX="s-1")
    assert from_box.status_code == 204
    assert client.get("/account/newsletters/subscribe/weekly/").status_code == 405
    away = client.post("/account/newsletters/subscribe/weekly/", {"next": "https://evil.example/"})
    assert away["Location"] == "/account/newsletters/"
    assert not Subscription.objects.filter(newsletter=members).exists()


# -- the wall holds ----------------------------------------------------------------------


def test_a_box_after_the_wall_is_not_sent_to_a_reader_without_access(weekly):
    article = article_with(
        *[paragraph(f"Lead paragraph {i} with a few words in it.") for i in range(3)],
        {"type": "wall_marker", "value": None},
        box(weekly, heading="Behind the wall"),
        *[paragraph(f"Withheld paragraph {i} with a few words in it.") for i in range(6)],
        access_level=Level.REGISTRATION,
    )
    anonymous = Client().get(article.url).content.decode()
    assert "Lead paragraph 0" in anonymous and "Withheld paragraph 0" not in anonymous
    assert BOX not in anonymous and "Behind the wall" not in anonymous
    reader = signed_in().get(article.url).content.decode()
    assert "Withheld paragraph 0" in reader and "Behind the wall" in the_box(reader)
    # And again from the caches the reader's visit filled.
    again = Client().get(article.url).content.decode()
    assert BOX not in again and "Behind the wall" not in again


# -- a newsletter gone or closed -----------------------------------------------------------


@pytest.mark.parametrize("change", ["closed", "deleted"])
def test_a_box_whose_newsletter_is_closed_or_deleted_renders_nothing(
    client, weekly, django_capture_on_commit_callbacks, change
):
    article = article_with(paragraph("The story goes on."), box(weekly))
    client.get(article.url)
    assert BOX in client.get(article.url).content.decode()  # served from the caches
    with django_capture_on_commit_callbacks(execute=True):
        if change == "closed":
            weekly.audience = Newsletter.Audience.REGISTERED
            weekly.save()
        else:
            weekly.delete()
    page = client.get(article.url).content.decode()
    assert "The story goes on." in page and BOX not in page
    # A page a shared cache still holds: the box's script asks, and removes the box.
    assert client.get("/newsletters/join/weekly/box/").status_code == 204


def test_a_renamed_newsletter_shows_its_new_name_at_once(
    client, weekly, django_capture_on_commit_callbacks
):
    article = article_with(paragraph("Text."), box(weekly))
    client.get(article.url)
    with django_capture_on_commit_callbacks(execute=True):
        weekly.name = "The Harbour Friday"
        weekly.save()
    shown = the_box(client.get(article.url).content.decode())
    assert "The Harbour Friday" in shown and "The Harbour Weekly" not in shown


def test_the_page_is_filed_under_its_offers_cache_tag_which_a_change_purges(
    client, weekly, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from masthead.access import purge

    article = article_with(paragraph("Text."), box(weekly))
    tag = f"offer-newsletter-{weekly.pk}"
    assert tag in client.get(article.url)["xkey"].split()
    settings.VARNISH_PURGE_URLS = ["http://127.0.0.1:9/"]
    purged: list[list[str]] = []

    class Recorder:  # the purge task, recorded instead of run
        enqueue = staticmethod(purged.append)

    monkeypatch.setattr(purge, "xkey_purge", Recorder)
    with django_capture_on_commit_callbacks(execute=True):
        weekly.audience = Newsletter.Audience.REGISTERED
        weekly.save()
    assert purged == [[tag]]


# -- the form reaches the sign-up service --------------------------------------------------


def _form_fields(part: str) -> tuple[str, dict[str, str]]:
    form = re.search(r"<form.*?</form>", part, re.S).group(0)
    action = re.search(r'action="([^"]+)"', form).group(1)
    fields = dict(re.findall(r'<input[^>]* name="([^"]+)"[^>]* value="([^"]*)"', form))
    return action, fields


def test_the_box_form_signs_up_through_the_sign_up_page(
    weekly, django_capture_on_commit_callbacks, mailoutbox
):
    # A browser's CSRF rules: the token comes with the box's part, not with the page.
    browser = Client(enforce_csrf_checks=True)
    article = article_with(paragraph("Text."), box(weekly))
    article_html = browser.get(article.url).content.decode()
    action, fields = _form_fields(box_fragment(browser, article_html))
    assert fields["csrfmiddlewaretoken"]
    fields.update(email="Sam@Example.com", altcha=solved_altcha())
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(action, fields)
    assert response.status_code == 302
    # The reader is offered the way back to where the box was.
    back = "/story/#" + re.search(r'<aside[^>]* id="([^"]+)"', the_box(article_html)).group(1)
    assert (
        response["Location"]
        == f"/newsletters/join/weekly/check-your-inbox/?{urlencode({'next': back})}"
    )
    sent = browser.get(response["Location"]).content.decode()
    assert "Check your inbox" in sent and f'<a href="{back}">Back to what you were reading' in sent
    row = OpenSubscriber.objects.get(newsletter=weekly)
    assert row.email == "sam@example.com" and row.status == OpenSubscriber.Status.PENDING
    assert [m.to for m in mailoutbox] == [["sam@example.com"]]
    assert "Confirm your subscription" in mailoutbox[0].subject


def test_a_bad_address_from_the_box_is_said_and_kept(weekly, mailoutbox):
    browser = Client(enforce_csrf_checks=True)
    article = article_with(paragraph("Text."), box(weekly))
    action, fields = _form_fields(box_fragment(browser, browser.get(article.url).content.decode()))
    fields.update(email="sam at example", altcha=solved_altcha())
    response = browser.post(action, fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and 'role="alert"' in html
    assert "Enter an email address in the right format" in html
    assert 'value="sam at example"' in html
    assert '<input type="hidden" name="next" value="/story/#' in html  # still on the way back
    assert not OpenSubscriber.objects.exists() and mailoutbox == []


@pytest.mark.parametrize("away", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_way_back_after_signing_up_leads_only_to_this_site(client, weekly, away):
    response = client.get(f"/newsletters/join/weekly/check-your-inbox/?{urlencode({'next': away})}")
    html = response.content.decode()
    assert "Check your inbox" in html and "Back to what you were reading" not in html
    assert "evil.example" not in html


def test_a_hosted_bot_check_is_drawn_in_the_box_and_its_token_signs_up(
    weekly, settings, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    """With a hosted provider the box still holds the form: the article loads our
    hosted-check.js (never the provider's script), which draws the widget when the
    reader turns to the form; the token it leaves in the provider's field goes with the
    form to the sign-up page, which checks it with the provider (a fake here)."""
    from masthead.readers import botcheck

    settings.BOTCHECK_PROVIDER = "turnstile"
    settings.BOTCHECK_SITE_KEY = "site-key"
    settings.BOTCHECK_SECRET_KEY = "secret-key"
    asked: list[dict[str, str]] = []
    monkeypatch.setattr(
        botcheck, "http_post_form", lambda url, data: asked.append(data) or {"success": True}
    )
    browser = Client(enforce_csrf_checks=True)
    article = article_with(paragraph("Text."), box(weekly))
    page = browser.get(article.url).content.decode()
    assert "masthead/js/hosted-check" in page and "cloudflare" not in page
    part = box_fragment(browser, page)
    assert "<script" not in part
    assert re.search(r'<div [^>]*id="signup-[^"]+-botcheck"[^>]* data-hosted-check', part)
    assert 'data-field="cf-turnstile-response"' in part
    action, fields = _form_fields(part)
    fields.update({"email": "sam@example.com", "cf-turnstile-response": "token-from-widget"})
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(action, fields)
    assert response.status_code == 302
    assert response["Location"].startswith("/newsletters/join/weekly/check-your-inbox/")
    assert [a["response"] for a in asked] == ["token-from-widget"]
    assert OpenSubscriber.objects.filter(newsletter=weekly, email="sam@example.com").exists()


# -- caches never mix readers --------------------------------------------------------------


def test_shells_and_cached_bodies_hold_no_readers_state(weekly):
    subscriber = ReaderFactory(email="barnaby@example.com", first_name="Barnaby")
    Subscription.objects.create(user=subscriber, newsletter=weekly, source="test")
    article = article_with(paragraph("Body text here."), box(weekly))
    theirs = signed_in(subscriber)
    theirs.get(article.url)
    page = theirs.get(article.url).content.decode()
    assert "You're subscribed" in box_fragment(theirs, page)
    stored = []
    for key in stored_keys(SHELL_PREFIX):
        parts, _kept = cache.get(key)
        stored.append(" ".join(parts))
    stored += [cache.get(key) for key in stored_keys(FRAGMENT_PREFIX)]
    held = " ".join(stored)
    assert "Body text here." in held and "signup-box" in held  # the caches were filled
    for personal in ("barnaby@example.com", "Barnaby", "subscribed", "csrfmiddlewaretoken"):
        assert personal not in held
    # Someone else, served from the same caches, gets the form and no one's state.
    other = Client()
    page = other.get(article.url).content.decode()
    assert "Barnaby" not in page and "subscribed" not in page
    part = box_fragment(other, page)
    assert 'name="email"' in part and "barnaby" not in part.lower()


# -- what it costs ----------------------------------------------------------------------


def test_an_article_with_boxes_costs_a_fixed_number_of_queries(client, weekly):
    from masthead.content.tests.test_query_counts import MAX_QUERIES, _clear_caches

    others = [NewsletterFactory(audience=Newsletter.Audience.OPEN) for _ in range(4)]
    section = make_section(parent=make_home())
    one = make_article(section=section, body=[paragraph("Text."), box(weekly)])
    many = make_article(
        section=section,
        body=[b for n in [weekly, *others] for b in (paragraph("Text."), box(n))],
    )
    counts = []
    for article in (one, many):
        client.get(article.url)
        _clear_caches()
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(article.url).content.decode()
        assert page.count(BOX) == (1 if article is one else 5)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= MAX_QUERIES


# -- the front page ------------------------------------------------------------------------


def front_page_with(*blocks: dict):
    home = make_home()
    make_article(section=make_section(parent=home), body=[paragraph("The lead.")])
    home.signup_box = list(blocks)
    home.save_revision().publish()
    return home


def test_the_front_page_offers_an_open_newsletter_under_the_lead(client, weekly):
    front_page_with(box(weekly, heading="Your harbour, every Friday"))
    page = client.get("/").content.decode()
    aside = the_box(page)
    assert (
        "Your harbour, every Friday" in aside
        and 'data-src="/newsletters/join/weekly/box/"' in aside
    )
    assert page.index('class="lead"') < page.index(aside)
    for script in ("signup-box", "altcha-solver", "hosted-check"):
        assert f"masthead/js/{script}" in page
    # Its reader's part comes from the same endpoint as an article's box.
    assert 'name="email"' in box_fragment(client, page)


def test_the_front_page_box_is_one_at_most_and_only_an_open_newsletter(weekly, members):
    home = make_home()
    block = home.signup_box.stream_block
    assert block.meta.max_num == 1
    with pytest.raises(ValidationError):
        block.clean(block.to_python([box(members)]))
    with pytest.raises(ValidationError):
        block.clean(block.to_python([box(weekly), box(weekly)]))
    block.clean(block.to_python([box(weekly)]))


def test_a_front_page_box_whose_newsletter_closes_goes(
    client, weekly, django_capture_on_commit_callbacks
):
    front_page_with(box(weekly))
    client.get("/")
    assert BOX in client.get("/").content.decode()  # served from the shell
    with django_capture_on_commit_callbacks(execute=True):
        weekly.audience = Newsletter.Audience.REGISTERED
        weekly.save()
    page = client.get("/").content.decode()
    assert 'class="lead"' in page and BOX not in page


def test_a_front_page_without_a_box_loads_nothing_for_one(client):
    front_page_with()
    page = client.get("/").content.decode()
    assert BOX not in page
    for script in ("signup-box", "altcha-solver", "hosted-check"):
        assert f"masthead/js/{script}" not in page


def test_the_front_page_is_filed_under_its_offer_for_purges(weekly):
    home = front_page_with(box(weekly))
    assert f"offer-newsletter-{weekly.pk}" in home.front_tags({})
