"""Template helpers for articles: responsive images and structured data.

Invariant: every image tag asks only for specs in `images.RENDITION_SPECS`, so the
renditions were prefetched with the image and rendering makes no further queries.
"""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from masthead.content import images as specs
from masthead.core.newsroom import newsroom_name

register = template.Library()

KINDS = {
    "hero": ("width-{w}|format-{fmt}", specs.HERO_WIDTHS),
    "body": ("width-{w}|format-{fmt}", specs.BODY_WIDTHS),
    "card": ("fill-{w}x{h}|format-{fmt}", specs.CARD_WIDTHS),
}


def _renditions(image: Any, kind: str, fmt: str) -> list[Any]:
    pattern, widths = KINDS[kind]
    filters = [pattern.format(w=w, h=w * 9 // 16, fmt=fmt) for w in widths]
    found = image.get_renditions(*filters)
    return [found[f] for f in filters]


@register.simple_tag
def picture(
    image: Any,
    kind: str = "body",
    alt: str | None = None,
    sizes: str = "(min-width: 48rem) 44rem, 100vw",
    loading: str = "lazy",
) -> SafeString:
    """A <picture> with WebP and JPEG sources; width and height reserve the space."""
    if image is None:
        return mark_safe("")
    webp = _renditions(image, kind, "webp")
    jpeg = _renditions(image, kind, "jpeg")
    largest = jpeg[-1]
    middle = jpeg[len(jpeg) // 2]
    webp_set = ", ".join(f"{r.url} {r.width}w" for r in webp)
    jpeg_set = ", ".join(f"{r.url} {r.width}w" for r in jpeg)
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" '
        'loading="{}" decoding="async"{}></picture>',
        webp_set,
        sizes,
        middle.url,
        jpeg_set,
        sizes,
        largest.width,
        largest.height,
        image.title if alt is None else alt,
        loading,
        mark_safe(' fetchpriority="high"') if loading == "eager" else "",
    )


@register.simple_tag
def author_photo(author: Any) -> SafeString:
    if not author.photo_id:
        return mark_safe("")
    found = author.photo.get_renditions(*specs.PHOTO_SPECS)
    webp, jpeg = found[specs.PHOTO_SPECS[0]], found[specs.PHOTO_SPECS[1]]
    return format_html(
        '<picture><source type="image/webp" srcset="{}">'
        '<img class="author-photo" src="{}" width="{}" height="{}" alt="" loading="lazy">'
        "</picture>",
        webp.url,
        jpeg.url,
        jpeg.width,
        jpeg.height,
    )


def _absolute(request: HttpRequest | None, url: str) -> str:
    if url.startswith(("http://", "https://")) or request is None:
        return url
    return request.build_absolute_uri(url)


@register.simple_tag(takes_context=True)
def og_image_url(context: dict, image: Any) -> str:
    if image is None:
        return ""
    rendition = image.get_renditions(f"width-{specs.HERO_WIDTHS[-1]}|format-jpeg")
    return _absolute(context.get("request"), next(iter(rendition.values())).url)


@register.simple_tag(takes_context=True)
def article_json_ld(context: dict, article: Any) -> SafeString:
    """NewsArticle structured data. It never carries the article body (no articleBody):
    `isAccessibleForFree` says whether the article is gated, and `hasPart` marks the
    gated part only where it is actually in the page."""
    request = context.get("request")
    url = article.get_full_url(request)
    site_name = str(context.get("site_name") or newsroom_name())
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.search_description or article.standfirst,
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.canonical_url or url},
        "url": url,
        "datePublished": article.first_published_at.isoformat()
        if article.first_published_at
        else None,
        "dateModified": (
            article.updated_at or article.last_published_at or article.first_published_at
        ).isoformat()
        if article.first_published_at
        else None,
        "author": [
            {
                "@type": "Person",
                "name": a.name,
                "url": _absolute(request, a.get_absolute_url()),
            }
            for a in article.authors
        ],
        "publisher": {"@type": "NewsMediaOrganization", "name": site_name},
        "isAccessibleForFree": article.is_free,
    }
    # Google's paywalled-content markup: point at the gated part only when it is in
    # this page (a reader with access); a lead-in page has no gated part to point at.
    access = context.get("access")
    if access is not None and access.decision.gated and access.rest:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".article__gated",
        }
    if article.section:
        data["articleSection"] = article.section.title
    tags = context.get("tags")
    if tags:
        data["keywords"] = [t.name for t in tags]
    if article.hero_image:
        found = article.hero_image.get_renditions(
            *[f"width-{w}|format-jpeg" for w in specs.HERO_WIDTHS]
        )
        data["image"] = [_absolute(request, r.url) for r in found.values()]
    data = {k: v for k, v in data.items() if v is not None}
    return _ld_script(data)


def _ld_script(data: dict[str, Any]) -> SafeString:
    # json_script escapes <, > and & so the JSON cannot close the script element.
    payload = json.dumps(data, ensure_ascii=False)
    payload = payload.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))
