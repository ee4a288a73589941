"""Sign-up boxes: content owns the block, an app above it owns the offer
(content.signup_boxes). Here with a stand-in provider; the newsletters app's own boxes
are tested in masthead/newsletters/tests/test_signup_box.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils.html import format_html
from wagtail import hooks

from masthead.content import signup_boxes
from masthead.content.models import ArticlePage

from .factories import make_article, make_home, make_section, paragraph

pytestmark = pytest.mark.django_db


class StandIn:
    """Offers "competition:<n>" for n in 1..3, counting its lookups."""

    kind = "competition"

    def __init__(self) -> None:
        self.lookups = 0

    def choices(self):
        return [(str(n), f"Competition {n}") for n in (1, 2, 3)]

    def offers(self, keys):
        self.lookups += 1
        return {key: f"Competition {key}" for key in keys if key in {"1", "2", "3"}}

    def render(self, offer, *, heading, text, box_id):
        return format_html('<div class="stand-in" id="{}">{}: {}</div>', box_id, offer, heading)


def box(offer: str, heading: str = "Enter now") -> dict:
    return {"type": "signup_box", "value": {"offer": offer, "heading": heading, "text": ""}}


def test_the_body_and_its_migrations_name_no_app_above_content():
    field = ArticlePage._meta.get_field("body")
    assert "masthead.newsletters" not in repr(field.deconstruct())
    migrations = Path(signup_boxes.__file__).parent / "migrations"
    for path in migrations.glob("*.py"):
        assert "masthead.newsletters" not in path.read_text(), path.name


def test_the_choices_are_every_providers_offers_read_when_asked():
    provider = StandIn()
    with hooks.register_temporarily(signup_boxes.SIGNUP_BOXES_HOOK, lambda: provider):
        choices = dict(signup_boxes.offer_choices())
    assert choices["competition:2"] == "Competition 2"


def test_a_body_finds_its_offers_in_one_lookup_and_drops_what_is_gone(client):
    provider = StandIn()
    with hooks.register_temporarily(signup_boxes.SIGNUP_BOXES_HOOK, lambda: provider):
        article = make_article(
            section=make_section(parent=make_home()),
            body=[
                paragraph("Text."),
                box("competition:1", "First"),
                box("competition:2", "Second"),
                box("competition:9", "Gone"),
                box("raffle:1", "No such provider"),
            ],
        )
        page = client.get(article.url).content.decode()
    assert "Competition 1: First" in page and "Competition 2: Second" in page
    assert "Gone" not in page and "No such provider" not in page
    assert provider.lookups == 1
    # Each box is named by its block's id, so two never share one.
    ids = [b.id for b in article.body if b.block_type == "signup_box"]
    assert f'id="signup-{ids[0]}"' in page and f'id="signup-{ids[1]}"' in page
    assert article.has_signup_boxes
    assert "offer-competition-1" in article.cache_tags()


def test_a_box_is_not_the_storys_text():
    block = ArticlePage._meta.get_field("body").stream_block.child_blocks["signup_box"]
    assert block.meta.article_text is False  # the wall's share ignores it (access.lead_in)
    assert block.get_searchable_content(block.to_python({"heading": "Join us"})) == []
