"""A comment's text renders to inert HTML: the XSS corpus and generated text, parsed."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masthead.community.rendering import Mention, mention_candidates, render_body

ALLOWED_TAGS = {"p", "br", "a", "span"}


class Inspector(HTMLParser):
    """Collects every tag and attribute the output holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str) -> Inspector:
    parsed = Inspector()
    parsed.feed(html)
    parsed.close()
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        assert tag != "script"
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            assert name in {"href", "rel", "class"}, name
            if name == "href":
                assert value is not None
                # Only http(s) addresses (a host may be called "javascript": harmless).
                assert urlsplit(value).scheme in {"http", "https", ""}, value
                assert value.lower().startswith(("https://", "http://", "/")), value
            if name == "rel":
                assert value == "nofollow ugc noopener"
    return parsed


XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "<a href=\"javascript:alert('x')\">click</a>",
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/<script>alert(1)</script>",
    "www.example.com/'onfocus='alert(1)' autofocus='",
    "<iframe src=//evil.example>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    "<style>body{display:none}</style>",
    "http://x.test/?q=<b onclick=alert(1)>",
    "@<script>alert(1)</script>",
    "jav&#x09;ascript:alert(1)",
    "<body onload=alert(1)>",
    "`onerror=alert(1)`",
    "https://a.test/`onclick=alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "\u202egnp.exe",
]


@pytest.mark.parametrize("attack", XSS_CORPUS)
def test_the_xss_corpus_renders_inert(attack: str) -> None:
    mentions = {"<script>alert(1)</script>": Mention("<b>x</b>", "/r/1/")}
    parsed = assert_inert(str(render_body(f"Before {attack} after\n\n{attack}", mentions)))
    # The reader's words survive as text.
    assert "Before" in "".join(parsed.text)


@given(st.text(max_size=400))
def test_any_text_renders_inert(text: str) -> None:
    assert_inert(str(render_body(text)))


@given(
    st.lists(
        st.sampled_from([*"<>\"'`&=:/.@ \nahjstvwp()", "https://", "www.", "javascript:"]),
        max_size=60,
    ).map("".join)
)
def test_text_made_of_markup_pieces_renders_inert(text: str) -> None:
    mentions = {"ada": Mention("Ada", "/community/readers/1/")}
    assert_inert(str(render_body(text, mentions)))


def test_paragraphs_and_line_breaks() -> None:
    html = str(render_body("One\nstill one\n\n\n\nTwo"))
    assert html == "<p>One<br>\nstill one</p>\n<p>Two</p>"


def test_links_are_linked_with_nofollow_ugc_noopener() -> None:
    html = str(
        render_body(
            "See https://example.com/a?b=1&c=2. Or www.example.org, (https://x.test/p_(q))."
        )
    )
    assert (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "https://example.com/a?b=1&amp;c=2</a>." in html
    )
    assert (
        '<a href="https://www.example.org" rel="nofollow ugc noopener">www.example.org</a>,' in html
    )
    assert 'href="https://x.test/p_(q)"' in html


def test_other_schemes_are_not_linked() -> None:
    html = str(render_body("ftp://x.test javascript:alert(1) mailto:a@b.test"))
    assert "<a" not in html


def test_mentions_link_the_longest_known_name() -> None:
    mentions = {
        "ada": Mention("Ada", "/r/1/"),
        "ada lovelace": Mention("Ada Lovelace", "/r/2/"),
    }
    html = str(render_body("Thanks @ada lovelace, and @Ada. But not me@ada.", mentions))
    assert '<a class="mention" href="/r/2/">@Ada Lovelace</a>,' in html
    assert '<a class="mention" href="/r/1/">@Ada</a>.' in html
    assert "me@ada." in html


def test_unknown_mentions_stay_text_and_a_mention_without_profile_is_a_span() -> None:
    html = str(render_body("@nobody and @Zoë", {"zoë": Mention("Zoë", None)}))
    assert html == '<p>@nobody and <span class="mention">@Zoë</span></p>'


def test_mention_candidates_cover_every_name_length() -> None:
    assert mention_candidates("hi @Ada Lovelace!") >= {"ada", "ada lovelace"}
    assert mention_candidates("mail me@ada.test") == set()
