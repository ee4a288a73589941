"""The moderation pipeline, phase by phase and in order, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from masthead.community.models import (
    Commenter,
    CommenterStatus,
    CommentStatus,
    CommunitySettings,
    HeldReason,
)
from masthead.community.services import moderation_pipeline as pipeline
from masthead.community.services.errors import Closed, InvalidInput

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def submission(body: str = "A fair point.", **changes) -> pipeline.Submission:
    config = CommunitySettings(**changes.pop("config", {}))
    commenter = Commenter(display_name="Ada", **changes.pop("commenter", {}))
    return pipeline.Submission(
        body=body,
        config=config,
        commenter=commenter,
        is_staff=changes.pop("is_staff", False),
        conversation_open=changes.pop("conversation_open", True),
        now=NOW,
        **changes,
    )


def test_the_phases_run_in_the_order_coral_proved() -> None:
    assert [phase.__name__ for phase in pipeline.PHASES] == [
        "check_length",
        "check_open",
        "sanitise",
        "check_repeat",
        "staff_approve",
        "check_words",
        "check_links",
        "check_probation",
        "check_reader_premoderation",
        "check_site_premoderation",
    ]


def test_a_plain_comment_is_published() -> None:
    assert pipeline.run(submission()) == pipeline.PUBLISH


@pytest.mark.parametrize("body", ["", "   ", "\n\n"])
def test_an_empty_comment_is_refused(body: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pipeline.run(submission(body))
    assert caught.value.code == "empty"
    assert "Write something" in caught.value.message


def test_the_length_limit_says_how_much_to_remove() -> None:
    with pytest.raises(InvalidInput) as caught:
        pipeline.run(submission("x" * 2003))
    assert caught.value.code == "too_long"
    assert "at most 2000 characters; remove 3 characters" in caught.value.message
    assert pipeline.run(submission("x" * 2000)).published


def test_invisible_characters_do_not_make_an_empty_comment() -> None:
    with pytest.raises(InvalidInput) as caught:
        pipeline.run(submission("\u200b\u202e\x00"))
    assert caught.value.code == "empty"


def test_length_comes_before_closed() -> None:
    with pytest.raises(InvalidInput):
        pipeline.run(submission("x" * 3000, conversation_open=False))


def test_a_closed_conversation_refuses() -> None:
    with pytest.raises(Closed) as caught:
        pipeline.run(submission(conversation_open=False))
    assert caught.value.message == "Comments on this article are closed."


def test_a_suspended_reader_is_told_until_when() -> None:
    s = submission(
        commenter={"status": CommenterStatus.SUSPENDED, "suspended_until": NOW + timedelta(days=2)}
    )
    with pytest.raises(Closed) as caught:
        pipeline.run(s)
    assert caught.value.code == "suspended"
    assert "suspended until" in caught.value.message


def test_a_suspension_that_ran_out_no_longer_stops_the_reader() -> None:
    s = submission(
        commenter={"status": CommenterStatus.SUSPENDED, "suspended_until": NOW - timedelta(hours=1)}
    )
    assert pipeline.run(s).published


def test_a_banned_reader_is_refused() -> None:
    with pytest.raises(Closed) as caught:
        pipeline.run(submission(commenter={"status": CommenterStatus.BANNED}))
    assert caught.value.code == "banned"


def test_sanitising_normalises_lines_and_strips_invisible_characters() -> None:
    s = submission("  Hello\u202e\r\nworld\t \r\n\r\n\r\n\r\nBye\x07  ")
    pipeline.run(s)
    assert s.body == "Hello\nworld\n\nBye"


def test_the_same_text_twice_is_a_repeat() -> None:
    s = submission("Great  article!", recent_bodies=["great article"])
    with pytest.raises(InvalidInput) as caught:
        pipeline.run(s)
    assert caught.value.code == "repeat"


def test_staff_are_approved_before_the_word_lists_and_premoderation() -> None:
    s = submission(
        "spam here",
        is_staff=True,
        config={"banned_words": "spam", "premoderate_all": True},
    )
    assert pipeline.run(s).published


def test_a_banned_word_is_refused_with_a_message_naming_it() -> None:
    s = submission("Buy CHEAP pills", config={"banned_words": "cheap pills\nscam"})
    with pytest.raises(InvalidInput) as caught:
        pipeline.run(s)
    assert caught.value.code == "banned_word"
    assert "\u201ccheap pills\u201d" in caught.value.message


def test_words_match_whole_words_only() -> None:
    assert pipeline.run(submission("A classic.", config={"banned_words": "ass"})).published


def test_a_suspect_word_holds_the_comment() -> None:
    verdict = pipeline.run(submission("You idiot", config={"suspect_words": "idiot"}))
    assert verdict == pipeline.Verdict(CommentStatus.PENDING, HeldReason.SUSPECT_WORD)


def test_banned_words_win_over_suspect_words() -> None:
    with pytest.raises(InvalidInput):
        pipeline.run(
            submission("scam idiot", config={"banned_words": "scam", "suspect_words": "idiot"})
        )


def test_links_are_held_only_when_the_setting_says_so() -> None:
    body = "See www.example.com"
    assert pipeline.run(submission(body)).published
    verdict = pipeline.run(submission(body, config={"hold_links": True}))
    assert verdict.held_reason == HeldReason.LINK


def test_a_new_commenter_is_held_during_probation() -> None:
    held = pipeline.run(submission(config={"probation_count": 2}, commenter={"published_count": 1}))
    assert held.held_reason == HeldReason.PROBATION
    free = pipeline.run(submission(config={"probation_count": 2}, commenter={"published_count": 2}))
    assert free.published


def test_a_premoderated_reader_is_held() -> None:
    verdict = pipeline.run(submission(commenter={"always_premoderate": True}))
    assert verdict.held_reason == HeldReason.READER


def test_site_wide_premoderation_holds_everything_else() -> None:
    verdict = pipeline.run(submission(config={"premoderate_all": True}))
    assert verdict.held_reason == HeldReason.SITE


def test_the_first_holding_phase_names_the_reason() -> None:
    verdict = pipeline.run(
        submission(
            "idiot www.x.test",
            config={"suspect_words": "idiot", "hold_links": True, "premoderate_all": True},
        )
    )
    assert verdict.held_reason == HeldReason.SUSPECT_WORD
