"""The wall as readers get it: lead-in, wall, full text, headers and structured data."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from masthead.access.models import AccessSettings, MeterMonth, MeterRead
from masthead.access.selectors import access_settings_for
from masthead.content.tests.factories import make_article, paragraph

from .conftest import LEAD, MARKER, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


def _settings(**values) -> AccessSettings:
    from wagtail.models import Site

    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    for key, value in values.items():
        setattr(config, key, value)
    config.save()
    return config


def _json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_anonymous_reader_gets_the_lead_in_and_the_registration_wall(client, newsroom):
    response = client.get(newsroom.registration.url)
    html = response.content.decode()
    assert response.status_code == 200
    for text in LEAD:
        assert text in html
    assert "Withheld four" not in html and "Withheld crosshead" not in html
    assert MARKER not in html and "Quillfeather" not in html
    assert "Register for free to continue reading" in html
    assert "5 premium articles every month" in html
    assert "Already have an account?" in html
    assert 'id="continue"' in html
    # The lead-in ends at #continue, the wall comes after it.
    assert html.index(LEAD[-1]) < html.index('id="continue"') < html.index("wall__heading")
    # The wall's own links (the header's "Register" and "Sign in" return to the top).
    wall = html[html.index("wall__heading") :]
    signup = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', wall).group(1)
    assert unquote(signup.split("next=", 1)[1]) == newsroom.registration.url + "#continue"
    assert re.search(r'href="/accounts/login/\?next=[^"]+%23continue"', wall)


def test_anonymous_gated_page_is_public_and_the_same_for_everyone(client, newsroom):
    first = client.get(newsroom.registration.url)
    second = client.get(newsroom.registration.url)
    assert first.content == second.content
    assert "public" in first["Cache-Control"] and "s-maxage=" in first["Cache-Control"]
    assert "stale-while-revalidate=" in first["Cache-Control"]
    assert "Cookie" not in first.get("Vary", "")
    assert not first.cookies
    assert "csrfmiddlewaretoken" not in first.content.decode()


def test_anonymous_premium_article_gets_the_registration_wall(client, newsroom):
    html = client.get(newsroom.premium.url).content.decode()
    assert "Register for free to continue reading" in html
    assert MARKER not in html


def test_json_ld_marks_gated_articles_and_points_at_gated_text_only_when_present(
    client, newsroom, reader
):
    data = _json_ld(client.get(newsroom.registration.url).content.decode())
    assert data["isAccessibleForFree"] is False
    assert "hasPart" not in data and "articleBody" not in data
    client.force_login(reader)
    html = client.get(newsroom.registration.url).content.decode()
    data = _json_ld(html)
    assert data["isAccessibleForFree"] is False
    assert data["hasPart"]["cssSelector"] == ".article__gated"
    assert data["hasPart"]["isAccessibleForFree"] is False
    assert 'class="article__gated"' in html
    free = _json_ld(client.get(newsroom.free.url).content.decode())
    assert free["isAccessibleForFree"] is True and "hasPart" not in free


def test_registered_reader_reads_registration_articles_in_full_privately(reader_client, newsroom):
    response = reader_client.get(newsroom.registration.url)
    html = response.content.decode()
    assert MARKER in html and "Withheld four" in html
    assert "wall__heading" not in html
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert "public" not in cache_control
    assert not MeterRead.objects.exists()


def test_registered_reader_opens_a_premium_article_and_sees_what_is_left(reader_client, newsroom):
    response = reader_client.get(newsroom.premium.url)
    html = response.content.decode()
    assert MARKER in html
    assert "You have 4 premium articles left this month." in html
    assert "no-store" in response["Cache-Control"]
    assert MeterMonth.objects.get().used == 1


def test_a_reader_with_no_allowance_left_gets_the_premium_wall(reader_client, newsroom):
    _settings(premium_allowance=1)
    reader_client.get(newsroom.others[0].url)
    response = reader_client.get(newsroom.premium.url)
    html = response.content.decode()
    assert MARKER not in html and "Withheld four" not in html
    # Said once, with the renewal date; no Subscribe link while the newsroom sets none.
    assert html.count("no premium articles left") == 1
    assert html.count("renews on") == 1
    assert "Subscribe" not in html
    assert LEAD[0] in html
    assert "private" in response["Cache-Control"]
    assert MeterMonth.objects.get().used == 1


def test_a_wall_marker_ends_the_lead_in(client, newsroom):
    article = make_article(
        section=newsroom.premium.section,
        body=[
            paragraph("Only this one."),
            {"type": "wall_marker", "value": None},
            paragraph("Second paragraph withheld."),
            paragraph(MARKER),
        ],
        hero=False,
    )
    html = client.get(article.url).content.decode()
    assert "Only this one." in html
    assert "Second paragraph withheld." not in html and MARKER not in html


def test_the_lead_in_length_is_an_editor_setting(client, newsroom):
    _settings(lead_in_paragraphs=1)
    html = client.get(newsroom.registration.url).content.decode()
    assert LEAD[0] in html and LEAD[1] not in html


def test_a_used_up_allowance_offers_the_newsrooms_subscribe_page(reader_client, newsroom):
    _settings(premium_allowance=1, subscribe_url="https://example.com/subscribe")
    reader_client.get(newsroom.others[0].url)
    html = reader_client.get(newsroom.premium.url).content.decode()
    assert re.search(r'<a [^>]*href="https://example.com/subscribe"[^>]*>Subscribe</a>', html)


def test_the_last_premium_article_says_none_are_left_in_the_same_words(reader_client, newsroom):
    _settings(premium_allowance=1)
    html = reader_client.get(newsroom.premium.url).content.decode()
    assert MARKER in html
    assert "You have no premium articles left this month." in html
    assert "0 premium articles" not in html


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://example.com/subscribe", True),
        ("/subscribe/", True),
        ("", True),
        ("//evil.example/x", False),
        ("javascript:alert(1)", False),
        ("subscribe", False),
    ],
)
def test_the_subscribe_page_is_a_web_address_or_a_path(newsroom, value, valid):
    from django.core.exceptions import ValidationError
    from wagtail.models import Site

    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.subscribe_url = value
    if valid:
        config.full_clean()
    else:
        with pytest.raises(ValidationError) as caught:
            config.full_clean()
        assert "subscribe_url" in caught.value.message_dict


def test_the_wall_promises_only_parts_of_the_site_that_run(client, newsroom):
    html = client.get(newsroom.registration.url).content.decode()
    assert "5 premium articles every month" in html
    assert "Newsletters written for registered readers" in html
    # The community and events apps run (each registers itself): both are promised.
    benefits = html.split('class="wall__benefits"', 1)[1].split("</ul>", 1)[0]
    assert "comments" in benefits
    assert "Invitations to our virtual events" in html


def test_a_benefit_shows_once_its_part_of_the_site_runs(client, newsroom):
    from masthead.access import benefits

    benefits.unregister_feature("events")
    try:
        without = client.get(newsroom.registration.url).content.decode()
    finally:
        benefits.register_feature("events")
    assert "virtual events" not in without
    assert (
        "Invitations to our virtual events"
        in client.get(newsroom.registration.url).content.decode()
    )


def test_a_benefit_tagged_with_an_unknown_part_is_refused(newsroom):
    from django.core.exceptions import ValidationError
    from wagtail.models import Site

    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.wall_benefits = "[podcasts] Our podcast\nPlain line"
    with pytest.raises(ValidationError) as caught:
        config.full_clean()
    assert "[podcasts] is not a part of the site" in str(caught.value.message_dict)


def test_no_allowance_line_while_the_allowance_is_zero(client, newsroom):
    _settings(premium_allowance=0)
    html = client.get(newsroom.registration.url).content.decode()
    assert "premium articles every month" not in html


def test_wall_copy_is_editable(client, newsroom):
    _settings(
        wall_heading="Join us to keep reading",
        wall_benefits="Plenty of {allowance} things\nA second line",
        wall_button="Join now",
        premium_allowance=7,
    )
    html = client.get(newsroom.registration.url).content.decode()
    assert "Join us to keep reading" in html
    assert "Plenty of 7 things" in html and "A second line" in html
    assert "Join now" in html


@pytest.mark.parametrize("kind", ["staff", "group"])
def test_unlimited_readers_read_premium_without_being_counted(client, newsroom, kind):
    if kind == "staff":
        user = make_reader("staff@example.com", is_staff=True)
    else:
        user = make_reader("subscriber@example.com")
        group, _ = Group.objects.get_or_create(name="Subscribers")
        user.groups.add(group)
        _settings(premium_allowance=0).unlimited_groups.add(group)
    client.force_login(user)
    html = client.get(newsroom.premium.url).content.decode()
    assert MARKER in html
    assert not MeterRead.objects.exists()
    assert not MeterMonth.objects.filter(used__gt=0).exists()


def test_an_editor_previewing_sees_everything(newsroom):
    response = newsroom.premium.make_preview_request()
    html = response.content.decode()
    assert MARKER in html
    assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "cookie",
    ["forged", "tampered"],
)
def test_forged_or_tampered_session_cookie_grants_nothing(client, newsroom, reader, cookie):
    if cookie == "forged":
        value = "x" * 32
    else:
        client.force_login(reader)
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        value = value[:-4] + ("aaaa" if value[-4:] != "aaaa" else "bbbb")
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    response = client.get(newsroom.premium.url)
    html = response.content.decode()
    assert MARKER not in html
    assert "Register for free to continue reading" in html
    assert "public" not in response["Cache-Control"]


def test_a_deleted_accounts_leftover_session_grants_nothing(client, newsroom, reader):
    client.force_login(reader)
    reader.delete()
    html = client.get(newsroom.registration.url).content.decode()
    assert MARKER not in html
    assert "Register for free to continue reading" in html


def test_an_inactive_account_grants_nothing(client, newsroom, reader):
    client.force_login(reader)
    type(reader).objects.filter(pk=reader.pk).update(is_active=False)
    assert MARKER not in client.get(newsroom.registration.url).content.decode()


def test_head_requests_never_draw_on_the_allowance(reader_client, newsroom):
    response = reader_client.head(newsroom.premium.url)
    assert response.status_code == 200
    assert not response.content
    assert not MeterRead.objects.exists()
    assert not MeterMonth.objects.filter(used__gt=0).exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
        {"HTTP_REFERER": "https://www.google.com/"},
        {"HTTP_X_FORWARDED_FOR": "66.249.66.1"},
    ],
)
def test_no_access_on_user_agent_or_referer(client, newsroom, headers):
    html = client.get(newsroom.premium.url, **headers).content.decode()
    assert MARKER not in html


def test_access_settings_come_with_the_article_query(rf, newsroom):
    config = _settings(lead_in_paragraphs=2, premium_allowance=9)
    # An id unlike the site's, so mixing the two up cannot pass unnoticed.
    config.unlimited_groups.clear()
    AccessSettings.objects.filter(pk=config.pk).update(id=config.pk + 40)
    config = AccessSettings.objects.get(pk=config.pk + 40)
    from masthead.content.models import HomePage
    from masthead.content.selectors import page_for_path

    home = HomePage.objects.get()
    parts = newsroom.premium.url_path[len(home.url_path) :].strip("/").split("/")
    article = page_for_path(root=home, path_components=parts)
    loaded = access_settings_for(rf.get("/"), article)
    assert (loaded.pk, loaded.site_id, loaded.lead_in_paragraphs, loaded.premium_allowance) == (
        config.pk,
        config.site_id,
        2,
        9,
    )


def test_the_body_fragment_follows_the_same_decision(client, newsroom, reader):
    url = f"/access/articles/{newsroom.registration.pk}/body/"
    html = client.get(newsroom.registration.url).content.decode()
    assert f'data-body-url="{url}"' in html
    response = client.get(url)
    assert response.status_code == 403
    assert MARKER not in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    client.force_login(reader)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert MARKER in body and 'id="continue"' in body and "wall__heading" not in body
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert client.get("/access/articles/999999/body/").status_code == 404
    assert client.post(url).status_code in (403, 404, 405)


def test_the_body_fragment_counts_a_premium_article_once(reader_client, newsroom):
    url = f"/access/articles/{newsroom.premium.pk}/body/"
    assert MARKER in reader_client.get(url).content.decode()
    assert MARKER in reader_client.get(newsroom.premium.url).content.decode()
    assert MeterMonth.objects.get().used == 1


def test_the_wall_links_the_form_fragment(client, newsroom):
    response = client.get(newsroom.registration.url)
    html = response.content.decode()
    match = re.search(r'data-form-url="([^"]+)"', html)
    assert match
    base, _, query = match.group(1).partition("?next=")
    assert base == "/accounts/signup/fragment/"
    assert unquote(query) == newsroom.registration.url + "#continue"
    # Still the same page for every visitor: the form and its token come separately.
    assert "public" in response["Cache-Control"] and not response.cookies
    assert "csrfmiddlewaretoken" not in html


def _pasted_story(marker: str = MARKER) -> list[dict]:
    """A whole story pasted into one paragraph block, as editors do in Wagtail."""
    paragraphs = [f"<p>Pasted paragraph number {i} of the story.</p>" for i in range(8)]
    return [{"type": "paragraph", "value": "".join([*paragraphs, f"<p>{marker}</p>"])}]


def test_a_story_pasted_into_one_block_keeps_its_wall(client, newsroom, reader):
    article = make_article(section=newsroom.premium.section, body=_pasted_story(), hero=False)
    response = client.get(article.url)
    html = response.content.decode()
    assert "Pasted paragraph number 0" in html and "Pasted paragraph number 2" in html
    assert "Pasted paragraph number 3" not in html and MARKER not in html
    assert "public" in response["Cache-Control"]
    # A reader whose allowance is used up gets the same lead-in.
    _settings(premium_allowance=1)
    client.force_login(reader)
    client.get(newsroom.others[0].url)
    html = client.get(article.url).content.decode()
    assert "You have no premium articles left this month" in html
    assert "Pasted paragraph number 2" in html and MARKER not in html
    assert MARKER not in client.get(f"/access/articles/{article.pk}/body/").content.decode()


def test_a_gated_story_with_fewer_paragraph_blocks_than_the_lead_in_keeps_its_wall(
    client, newsroom
):
    article = make_article(
        section=newsroom.registration.section,
        body=[
            paragraph("A short opening paragraph for the story."),
            {"type": "crosshead", "value": "The details"},
            {"type": "fact_box", "value": {"title": "Facts", "body": "<ul><li>One</li></ul>"}},
            paragraph(MARKER),
        ],
        hero=False,
    )
    html = client.get(article.url).content.decode()
    assert "A short opening paragraph" in html
    assert MARKER not in html and "Quillfeather" not in html


def test_the_word_share_is_an_editor_setting(client, newsroom):
    body = [paragraph(" ".join(["word"] * 20)) for _ in range(3)] + [paragraph(MARKER)]
    article = make_article(section=newsroom.premium.section, body=body, hero=False)
    count = lambda: client.get(article.url).content.decode().count("word word")  # noqa: E731
    _settings(lead_in_share=35)
    at_35 = count()
    _settings(lead_in_share=5)
    assert count() == 0 < at_35
    assert MARKER not in client.get(article.url).content.decode()


def test_an_editor_previews_the_article_as_a_reader_without_access(newsroom):
    html = newsroom.premium.make_preview_request(preview_mode="reader").content.decode()
    assert LEAD[0] in html and MARKER not in html and "Withheld four" not in html
    assert "Register for free to continue reading" in html
    full = newsroom.premium.make_preview_request(preview_mode="").content.decode()
    assert MARKER in full


@pytest.mark.parametrize("section", ["registration", "premium"])
def test_a_gated_article_whose_marker_withholds_nothing_cannot_be_published(newsroom, section):
    from django.core.exceptions import ValidationError

    body = [
        paragraph("All of it."),
        paragraph("Still all."),
        {"type": "wall_marker", "value": None},
    ]
    with pytest.raises(ValidationError) as caught:
        make_article(section=getattr(newsroom, section).section, body=body, hero=False)
    assert "'Wall here' marker has no text after it" in str(caught.value.message_dict["body"])


def test_a_free_article_may_keep_a_marker_at_the_end(newsroom):
    body = [paragraph("All of it."), {"type": "wall_marker", "value": None}]
    assert make_article(section=newsroom.free.section, body=body, hero=False).live


def test_the_page_listing_warns_when_the_word_share_cuts_a_lead_in(client, newsroom):
    long_lead = make_article(
        section=newsroom.premium.section,
        title="Three long paragraphs",
        body=[paragraph(" ".join(["long"] * 60)) for _ in range(3)] + [paragraph(MARKER)],
        hero=False,
    )
    client.force_login(make_reader("editor@example.com", is_staff=True, is_superuser=True))
    html = client.get(f"/admin/pages/{long_lead.get_parent().pk}/").content.decode()
    warning = "Lead-in shortened by the word share"
    rows = {
        title: row
        for row in re.findall(r"<tr\b.*?</tr>", html, re.S)
        for title in ("Three long paragraphs", newsroom.premium.title)
        if title in row
    }
    assert warning in rows["Three long paragraphs"]
    assert warning not in rows[newsroom.premium.title]
    # Only in the listing: the page's own title (kept in Wagtail's audit log) is as typed.
    assert long_lead.get_admin_display_title() == "Three long paragraphs"


def _article_form(body: list[tuple], **extra) -> dict:
    from masthead.content.tests.factories import article_admin_form

    return article_admin_form(
        body,
        title="Everything before the marker",
        slug="everything-before-the-marker",
        rich_text_features=["bold", "italic", "link", "ol", "ul"],
        **extra,
    )


@pytest.mark.parametrize("where", ["create", "edit"])
def test_the_editor_is_told_when_a_marker_would_withhold_nothing(client, newsroom, where):
    from masthead.content.models import ArticlePage

    client.force_login(make_reader("editor@example.com", is_staff=True, is_superuser=True))
    body = [("paragraph", "<p>All of it.</p>"), ("wall_marker", "")]
    section = newsroom.premium.section
    if where == "create":
        url = f"/admin/pages/add/content/articlepage/{section.pk}/"
    else:
        url = f"/admin/pages/{newsroom.premium.pk}/edit/"
    before = ArticlePage.objects.count()
    response = client.post(url, _article_form(body))
    html = response.content.decode()
    assert response.status_code == 200
    assert "has no text after it, so readers without access would miss nothing" in html
    assert ArticlePage.objects.count() == before
    assert MARKER in str(ArticlePage.objects.get(pk=newsroom.premium.pk).body.raw_data)
    # With text after the marker the same form publishes.
    ok = [*body, ("paragraph", "<p>The rest.</p>")]
    assert client.post(url, _article_form(ok)).status_code == 302
