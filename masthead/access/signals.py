"""Signal receivers: cache purges, and crediting a registration to the wall behind it.

Invariant: receivers only purge caches or turn an event into a service call (the
project's rule for signals); a failure here never breaks publishing or signing up.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from allauth.account.signals import user_signed_up
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.core.cache_tags import listing_tag, page_tag
from masthead.core.render_cache import pages_changed

from .articles import find_live_article
from .models import AccessSettings, WallEvent
from .purge import purge_later
from .services import wall_event_record

logger = logging.getLogger("masthead.access")


def _listing_urls(page: Any) -> list[str]:
    """The page and the listings and feeds it appears in."""
    urls = [page.get_full_url()]
    for ancestor in page.get_ancestors().specific().filter(depth__gt=1):
        base = ancestor.get_full_url()
        if base:
            urls += [base, base + "rss/", base + "atom/", base + "feeds/rss/", base + "feeds/atom/"]
    return urls


def _ancestor_listing_tags(page: Any) -> list[str]:
    return [
        listing_tag(pk)
        for pk in page.get_ancestors().filter(depth__gt=1).values_list("pk", flat=True)
    ]


def _purge_tags(page: Any) -> list[str]:
    """The cache tags a change to `page` purges: its own `purge_tags()` when its type
    defines one, else the page and the listings above it."""
    specific = page.specific
    own = getattr(specific, "purge_tags", None)
    if callable(own):
        return list(own())
    return [page_tag(page.pk), *_ancestor_listing_tags(page)]


@receiver(page_published)
@receiver(page_unpublished)
def purge_on_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    try:
        urls = _listing_urls(instance)
        if hasattr(instance, "articles"):  # a section: its articles' access may follow it
            urls += [a.get_full_url() for a in instance.articles.all()[:500]]
        purge_later(urls, tags=_purge_tags(instance))
    except Exception:
        logger.warning("could not work out what to purge for %s", instance, exc_info=True)


@receiver(post_page_move)
def purge_on_move(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A live page moved: its new place as on publishing, and the listings it left."""
    try:
        if not instance.live:
            return
        before = kwargs.get("parent_page_before")
        tags = _purge_tags(instance)
        urls = _listing_urls(instance)
        if before is not None:
            tags += [listing_tag(before.pk), *_ancestor_listing_tags(before)]
            urls += _listing_urls(before)
        purge_later(urls, tags=tags)
    except Exception:
        logger.warning("could not work out what to purge for %s", instance, exc_info=True)


@receiver(post_save, sender=AccessSettings)
def purge_on_settings_change(sender: Any, instance: AccessSettings, **kwargs: Any) -> None:
    # The wall's words and the lead-in length appear on every gated page; the settings
    # row also rides along with every cached route (content.routing).
    purge_later([], everything=True)
    pages_changed()


def article_for_next(request: Any, next_url: str) -> Any | None:
    """The live article a `next` address (from the wall's links) points at, if any."""
    path = urlsplit(next_url or "").path
    if not path.startswith("/") or path.startswith("//") or path == "/":
        return None
    site = Site.find_for_request(request)
    if site is None:
        return None
    url_path = site.root_page.url_path + path.lstrip("/")
    return find_live_article(url_path=url_path)


def credit_registration(request: Any, user: Any, **kwargs: Any) -> None:
    """allauth's user_signed_up: count a completed registration for the article whose
    wall sent the reader (the `next` address the wall's links carry)."""
    if request is None:
        return
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    article = article_for_next(request, next_url)
    if article is not None:
        wall_event_record(article_id=article.pk, kind=WallEvent.COMPLETED)


def connect() -> None:
    user_signed_up.connect(credit_registration, dispatch_uid="access-credit-registration")
