from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from wagtail.signals import post_page_move


class ContentConfig(AppConfig):
    name = "masthead.content"
    label = "content"

    def ready(self) -> None:
        post_page_move.connect(_article_moved, dispatch_uid="content-article-moved")
        post_save.connect(_author_changed, sender="content.Author", dispatch_uid="content-author")


def _author_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A byline's name and the author's page come from the snippet: purge both from
    # shared caches (only the purge: signals here only invalidate caches).
    from masthead.access.api import purge_later
    from masthead.core.cache_tags import author_listing_tag, author_tag

    purge_later([], tags=[author_tag(instance.pk), author_listing_tag(instance.pk)])


def _article_moved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Wagtail saves a moved page as a plain Page, so the article's own save (which
    # mirrors its section and resolves its level) does not run; run it here.
    # Imported here: Django forbids importing models in apps.py at load time (the app
    # registry is not ready then).
    from .models import ArticlePage

    article = ArticlePage.objects.filter(pk=instance.pk).first()
    if article is not None:
        article.follow_new_place()
