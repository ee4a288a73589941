"""StreamField blocks for an article body.

Invariant: rendering a body costs a fixed number of queries whatever its length:
images (with their renditions) and related-story links are each fetched in one bulk
query per block type, and embedded video renders a local facade, never calling an
oEmbed provider while a reader waits.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

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
    wall_marker = WallMarkerBlock()

    class Meta:
        block_counts = {"wall_marker": {"max_num": 1}}
