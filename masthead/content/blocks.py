"""StreamField blocks for an article body.

Invariant: rendering a body costs a fixed number of queries whatever its length:
images (with their renditions), related-story links and the offers of sign-up boxes
are each fetched in one bulk query per block type, and embedded video renders a local
facade, never calling an oEmbed provider while a reader waits.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from . import signup_boxes
from .images import RENDITION_SPECS, pooled_image


class PrefetchingImageChooserBlock(ImageChooserBlock):
    """Loads every image of a body, with its renditions, in one round of queries."""

    def bulk_to_python(self, values: Any) -> list[Any]:
        values = list(values)
        found = {v: pooled_image(v) for v in values if v is not None}
        missing = [v for v, image in found.items() if image is None]
        if missing:
            found.update(
                self.model_class.objects.prefetch_renditions(*RENDITION_SPECS).in_bulk(missing)
            )
        return [found.get(v) if v is not None else None for v in values]


class ParagraphBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        template = "content/blocks/paragraph.html"
        features = ["bold", "italic", "link", "ol", "ul", "superscript", "subscript"]


class CrossheadBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "content/blocks/crosshead.html"
        form_classname = "title"


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=400)
    attribution = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "openquote"
        template = "content/blocks/pull_quote.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = PrefetchingImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=300)
    credit = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "image"
        template = "content/blocks/image.html"


VIDEO_PATTERNS = {
    "youtube": re.compile(
        r"^https://(?:www\.)?(?:youtube\.com/watch\?v=|youtu\.be/)(?P<id>[A-Za-z0-9_-]{6,20})"
    ),
    "vimeo": re.compile(r"^https://(?:www\.)?vimeo\.com/(?P<id>\d{4,12})"),
}


def parse_video_url(url: str) -> tuple[str, str] | None:
    for provider, pattern in VIDEO_PATTERNS.items():
        match = pattern.match(url or "")
        if match:
            return provider, match.group("id")
    return None


class VideoBlock(blocks.StructBlock):
    url = blocks.URLBlock(help_text=_("A YouTube or Vimeo address."))
    title = blocks.CharBlock(max_length=160, help_text=_("Read out to screen-reader users."))
    caption = blocks.CharBlock(required=False, max_length=300)

    class Meta:
        icon = "media"
        template = "content/blocks/video.html"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if parse_video_url(value["url"]) is None:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "url": ValidationError(
                        _("Paste a YouTube or Vimeo link, such as https://youtu.be/abc123.")
                    )
                }
            )
        return value

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context)
        parsed = parse_video_url(value["url"])
        if parsed:
            provider, video_id = parsed
            context["provider"] = provider
            context["embed_url"] = (
                f"https://www.youtube-nocookie.com/embed/{video_id}"
                if provider == "youtube"
                else f"https://player.vimeo.com/video/{video_id}"
            )
        return context


class RelatedStoryBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(page_type="content.ArticlePage")
    label = blocks.CharBlock(
        required=False, max_length=40, help_text=_("Defaults to 'Related'."), default=""
    )

    class Meta:
        icon = "link"
        template = "content/blocks/related_story.html"


class FactBoxBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    body = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "list-ul"
        template = "content/blocks/fact_box.html"


class OfferChoiceBlock(blocks.ChoiceBlock):
    """What a sign-up box offers: the choices come from the apps (content.signup_boxes),
    read when the editor's form is built or checked; a choice gone since it was made is
    refused with a message that says so."""

    def get_field(self, **kwargs: Any) -> Any:
        field = super().get_field(**kwargs)
        field.error_messages.update(
            {
                "required": _(
                    "Choose what readers sign up for here. Only newsletters anyone may "
                    "join are listed: one chosen before may have been deleted or closed "
                    "to sign-ups since."
                ),
                "invalid_choice": _(
                    "That newsletter has been deleted or no longer takes sign-ups from "
                    "anyone. Choose another, or remove this box."
                ),
            }
        )
        return field

    def to_python(self, value: Any) -> Any:
        # The stored value as it is: matching it against the choices (ChoiceBlock's way)
        # would ask the apps, and so the database, for every box of every body read.
        return value

    def normalize(self, value: Any) -> Any:
        return value


class SignupBoxValue(blocks.StructValue):
    # Set by SignupBoxBlock.bulk_to_python for a whole body: (provider, offer) or None.
    found: Any = signup_boxes.UNRESOLVED


class SignupBoxBlock(blocks.StructBlock):
    """A box where readers sign up for an open newsletter without leaving the article
    (content.signup_boxes: the newsletters app provides the offers and the box)."""

    offer = OfferChoiceBlock(
        choices=signup_boxes.offer_choices,
        label=_("Newsletter"),
        help_text=_("Only newsletters anyone may join (with double opt-in) are listed."),
        search_index=False,
    )
    heading = blocks.CharBlock(
        required=False,
        max_length=120,
        help_text=_("Leave empty to use the newsletter's name."),
    )
    text = blocks.TextBlock(
        required=False,
        max_length=300,
        help_text=_("A sentence or two. Leave empty to use the newsletter's description."),
    )

    class Meta:
        icon = "mail"
        label = _("Newsletter sign-up")
        value_class = SignupBoxValue
        # Not the story's words: the wall's share ignores it (access.lead_in).
        article_text = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not searchable: the box is the same words on many articles, not the story.
        kwargs.setdefault("search_index", False)
        super().__init__(*args, **kwargs)

    def bulk_to_python(self, values: Any) -> list[Any]:
        converted = super().bulk_to_python(values)
        found = signup_boxes.resolve(value.get("offer") for value in converted)
        for value in converted:
            value.found = found.get(value.get("offer"))
        return converted

    def render(self, value: Any, context: dict | None = None) -> SafeString:
        found = getattr(value, "found", signup_boxes.UNRESOLVED)
        if found is signup_boxes.UNRESOLVED:
            found = signup_boxes.resolve([value.get("offer")]).get(value.get("offer"))
        if found is None:
            return mark_safe("")  # deleted, or closed to sign-ups: no box at all
        provider, offer = found
        # The stream child's id (a UUID) names the box, so two boxes never share an id.
        block_id = (context or {}).get("id") or secrets.token_hex(8)
        return provider.render(
            offer,
            heading=value.get("heading") or "",
            text=value.get("text") or "",
            box_id=f"signup-{block_id}",
        )


class WallMarkerBlock(blocks.StaticBlock):
    """Where a gated article's lead-in ends (used by the access rules)."""

    class Meta:
        icon = "lock"
        label = _("Wall here")
        admin_text = _("Readers without access stop here. Only the first marker counts.")
        template = "content/blocks/wall_marker.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock()
    crosshead = CrossheadBlock()
    pull_quote = PullQuoteBlock()
    image = CaptionedImageBlock()
    video = VideoBlock()
    related_story = RelatedStoryBlock()
    fact_box = FactBoxBlock()
    signup_box = SignupBoxBlock()
    wall_marker = WallMarkerBlock()

    class Meta:
        block_counts = {"wall_marker": {"max_num": 1}}
