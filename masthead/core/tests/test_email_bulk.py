"""Bulk email through core.email: render once, then substitute per recipient only."""

from __future__ import annotations

import pytest

from masthead.core import email

# The sender's address names the newsroom, read from the default Site.
pytestmark = pytest.mark.django_db


def rendered() -> email.Rendered:
    return email.Rendered(
        subject="Hello %%name%%",
        text="Dear %%name%%, leave at %%url%%\n",
        html='<p>Dear %%name%%, <a href="%%url%%">leave</a></p>',
    )


def test_each_copy_gets_its_own_values_escaped_in_the_html_only():
    copy = email.message_from(
        rendered(),
        to="ann@example.com",
        substitutions={"name": "Ann <b>&</b>", "url": "https://x.test/u?a=1&b=2"},
        message_id="<fixed.1@example.com>",
    )
    assert copy.subject == "Hello Ann <b>&</b>"
    assert copy.body == "Dear Ann <b>&</b>, leave at https://x.test/u?a=1&b=2\n"
    html = copy.alternatives[0][0]
    assert "Ann &lt;b&gt;&amp;&lt;/b&gt;" in html and 'href="https://x.test/u?a=1&amp;b=2"' in html
    assert copy.extra_headers["Message-ID"] == "<fixed.1@example.com>"


def test_one_click_headers_come_with_the_unsubscribe_url():
    copy = email.message_from(
        rendered(),
        to="ann@example.com",
        substitutions={"name": "Ann", "url": "u"},
        list_unsubscribe=email.Unsubscribe(url="https://news.example/u/abc/"),
    )
    assert copy.extra_headers["List-Unsubscribe"] == "<https://news.example/u/abc/>"
    assert copy.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_placeholder_without_a_value_is_an_error_never_sent_as_typed():
    with pytest.raises(KeyError, match="%%url%%"):
        email.message_from(rendered(), to="a@example.com", substitutions={"name": "Ann"})


@pytest.mark.parametrize("name", ["", "Name", "with space", "a%%b", "x" * 50])
def test_placeholder_names_are_plain_lower_case_words(name):
    with pytest.raises(ValueError, match="lower-case"):
        email.placeholder(name)


def test_render_renders_once_with_placeholders_kept():
    # Any of the product's templates will do: the placeholder passes through untouched.
    out = email.render(
        "newsletters/email/issue",
        context={
            "issue": {"subject": "S", "intro": "", "preheader": ""},
            "newsletter": {"name": "N"},
            "articles": [],
            "browser_url": "https://x.test/b",
            "first_name": email.placeholder("first_name"),
            "unsubscribe_url": email.placeholder("unsubscribe_url"),
            "preferences_url": email.placeholder("preferences_url"),
        },
    )
    assert "%%first_name%%" in out.text and "%%first_name%%" in out.html
    assert "%%unsubscribe_url%%" in out.html
