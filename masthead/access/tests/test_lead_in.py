"""Where the wall falls: the lead-in is measured in paragraphs readers see and in words."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from wagtail import blocks

from masthead.access.lead_in import marker_withholds_nothing, split_body
from masthead.content.blocks import ArticleBodyBlock


def body(*blocks: dict[str, Any]) -> Any:
    return ArticleBodyBlock().to_python(list(blocks))


def rich(*elements: str) -> dict[str, Any]:
    return {"type": "paragraph", "value": "".join(elements)}


def p(text: str) -> str:
    return f"<p>{text}</p>"


def words(n: int, tag: str) -> str:
    """n words, each carrying `tag`, so a test can tell which paragraph a word came from."""
    return " ".join(f"{tag}w{i}" for i in range(n))


def rendered(blocks: list[Any]) -> str:
    template = engines["django"].from_string(
        "{% load wagtailcore_tags %}{% for b in blocks %}{% include_block b %}{% endfor %}"
    )
    return template.render({"blocks": blocks})


def test_a_story_pasted_into_one_block_is_cut_between_its_paragraphs():
    story = body(rich(*[p(words(10, f"para{i}_")) for i in range(12)]))
    split = split_body(story, paragraphs=3, share=35)
    lead, rest = rendered(split.lead), rendered(split.withheld)
    for i in range(3):
        assert f"para{i}_w0" in lead
    for i in range(3, 12):
        assert f"para{i}_w0" not in lead and f"para{i}_w0" in rest
    assert (split.lead_words, split.total_words) == (30, 120)


def test_fewer_paragraph_blocks_than_the_lead_in_never_means_everything():
    story = body(
        rich(p(words(8, "one"))),
        {"type": "crosshead", "value": "A crosshead"},
        rich("<ul><li>" + words(6, "list") + "</li></ul>"),
        {"type": "fact_box", "value": {"title": "Facts", "body": p(words(12, "box"))}},
        rich(p(words(9, "last"))),
    )
    split = split_body(story, paragraphs=3, share=35)
    assert "lastw0" not in rendered(split.lead)
    assert "lastw0" in rendered(split.withheld)
    assert split.lead_words * 100 <= split.total_words * 35


def test_the_word_share_shortens_a_lead_in_of_long_paragraphs():
    story = body(*[rich(p(words(50 if i < 3 else 20, f"p{i}_"))) for i in range(6)])
    # Three paragraphs would be 150 of 210 words: the share allows one (50 / 210 = 24 %).
    split = split_body(story, paragraphs=3, share=35)
    assert "p0_w0" in rendered(split.lead) and "p1_w0" not in rendered(split.lead)
    assert split.cut_by_share


def test_an_article_too_short_for_both_rules_shows_no_lead_in():
    split = split_body(body(rich(p(words(20, "a")), p(words(20, "b")))), paragraphs=3, share=35)
    assert split.lead == [] and split.lead_words == 0
    assert "aw0" in rendered(split.withheld) and "bw0" in rendered(split.withheld)


def test_headings_are_shown_but_do_not_count_as_paragraphs_lists_do():
    story = body(
        rich(
            "<h2>" + words(2, "head") + "</h2>",
            p(words(5, "first")),
            "<ol><li>" + words(5, "items") + "</li></ol>",
            p(words(5, "third")),
            *[p(words(10, f"more{i}_")) for i in range(5)],
        )
    )
    lead = rendered(split_body(story, paragraphs=2, share=90).lead)
    assert "headw0" in lead and "firstw0" in lead and "itemsw0" in lead
    assert "thirdw0" not in lead


def test_links_and_inline_markup_survive_the_cut():
    story = body(
        rich(
            p('See <a href="https://example.com/a">the <b>report</b></a> first.'),
            *[p(words(10, f"x{i}_")) for i in range(6)],
        )
    )
    lead = rendered(split_body(story, paragraphs=1, share=35).lead)
    assert '<a href="https://example.com/a">the <b>report</b></a>' in lead


def test_a_wall_marker_is_honoured_even_past_the_paragraph_count():
    story = body(
        *[rich(p(words(5, f"lead{i}_"))) for i in range(5)],
        {"type": "wall_marker", "value": None},
        *[rich(p(words(10, f"rest{i}_"))) for i in range(5)],
    )
    split = split_body(story, paragraphs=2, share=35)
    lead = rendered(split.lead)
    assert "lead4_w0" in lead and "rest0_w0" not in lead
    assert not split.cut_by_share and split.has_marker


def test_the_word_share_caps_a_wall_marker_too():
    story = body(
        *[rich(p(words(10, f"lead{i}_"))) for i in range(5)],
        {"type": "wall_marker", "value": None},
        rich(p(words(10, "rest"))),
    )
    split = split_body(story, paragraphs=3, share=35)
    assert "lead1_w0" in rendered(split.lead) and "lead2_w0" not in rendered(split.lead)
    assert split.cut_by_share


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([rich(p("Words here.")), {"type": "wall_marker", "value": None}], True),
        (
            [
                rich(p("Words here.")),
                {"type": "wall_marker", "value": None},
                {"type": "paragraph", "value": ""},
            ],
            True,
        ),
        (
            [
                rich(p("Words here.")),
                {"type": "wall_marker", "value": None},
                rich(p("More words.")),
            ],
            False,
        ),
        ([rich(p("No marker at all."))], False),
    ],
)
def test_a_marker_with_nothing_after_it_is_detected(blocks, expected):
    assert marker_withholds_nothing(body(*blocks)) is expected


def test_empty_blocks_and_bare_text_are_handled():
    story = body(
        {"type": "paragraph", "value": ""},
        rich("bare words " + words(4, "bare")),
        rich(p(words(30, "tail"))),
    )
    split = split_body(story, paragraphs=3, share=35)
    assert "barew0" in rendered(split.lead) and "tailw0" not in rendered(split.lead)


class _NotStoryText(blocks.StructBlock):
    """Like a newsletter sign-up box: words of its own, none of the story's."""

    heading = blocks.CharBlock()

    class Meta:
        article_text = False


class _BodyWithABox(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock()
    box = _NotStoryText()
    wall_marker = blocks.StaticBlock()


def _with_box(*items: dict[str, Any]) -> Any:
    return _BodyWithABox().to_python(list(items))


def _box(text: str) -> dict[str, Any]:
    return {"type": "box", "value": {"heading": text}}


def test_a_block_that_is_no_part_of_the_story_counts_no_words():
    story = _with_box(
        *[rich(p(words(10, f"para{i}_"))) for i in range(4)],
        _box(words(200, "box")),
    )
    split = split_body(story, paragraphs=3, share=100)
    assert (split.lead_words, split.total_words) == (30, 40)


def test_a_marker_followed_only_by_such_a_block_withholds_nothing():
    marker = {"type": "wall_marker", "value": None}
    assert marker_withholds_nothing(_with_box(rich(p("Words here.")), marker, _box("Join us")))
    assert not marker_withholds_nothing(
        _with_box(rich(p("Words here.")), marker, _box("Join us"), rich(p("More words.")))
    )


def test_such_a_block_after_the_cut_is_withheld_like_any_other():
    story = _with_box(
        *[rich(p(words(10, f"para{i}_"))) for i in range(3)],
        _box("Sign up after the wall"),
        *[rich(p(words(10, f"more{i}_"))) for i in range(6)],
    )
    split = split_body(story, paragraphs=3, share=35)
    assert [b.block_type for b in split.lead] == ["paragraph"] * 3
    assert "box" in [b.block_type for b in split.withheld]
