from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move


class ContentConfig(AppConfig):
    name = "masthead.content"
    label = "content"

    def ready(self) -> None:
        post_page_move.connect(_article_moved, dispatch_uid="content-article-moved")
        post_save.connect(_author_changed, sender="content.Author", dispatch_uid="content-author")
        # Cached menus and rendered bodies are dropped when what they show changes.
        from wagtail.models import Page, PageViewRestriction, Site

        from masthead.core.render_cache import pages_changed

        from .navigation import navigation_changed

        for receiver in (navigation_changed, pages_changed):
            name = receiver.__name__
            for signal in (page_published, page_unpublished, post_page_move):
                signal.connect(receiver, dispatch_uid=f"content-{name}-{id(signal)}")
            post_delete.connect(receiver, sender=Page, dispatch_uid=f"content-{name}-delete")
            # A page made live without the publish signal (a script's add_child) too;
            # Django sends post_save with the concrete class, so filter on Page here.
            post_save.connect(
                _if_page(receiver), weak=False, dispatch_uid=f"content-{name}-page-save"
            )
            post_save.connect(receiver, sender=Site, dispatch_uid=f"content-{name}-site")
            post_delete.connect(receiver, sender=Site, dispatch_uid=f"content-{name}-site-del")
        # Cached routes carry the page's view restrictions and its bylines' authors
        # (content.routing), and shells show the authors' names.
        for signal in (post_save, post_delete):
            for model in (PageViewRestriction, "content.Author"):
                signal.connect(
                    pages_changed,
                    sender=model,
                    dispatch_uid=f"content-pages-changed-{model}-{id(signal)}",
                )


def _author_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A byline's name and the author's page come from the snippet: purge both from
    # shared caches (only the purge: signals here only invalidate caches).
    from masthead.access.api import purge_later
    from masthead.core.cache_tags import author_listing_tag, author_tag

    purge_later([], tags=[author_tag(instance.pk), author_listing_tag(instance.pk)])


def _if_page(receiver: Any) -> Any:
    def on_save(sender: Any, instance: Any, **kwargs: Any) -> None:
        from wagtail.models import Page

        if isinstance(instance, Page):
            receiver(sender=sender, instance=instance, **kwargs)

    return on_save


def _article_moved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Wagtail saves a moved page as a plain Page, so the article's own save (which
    # mirrors its section and resolves its level) does not run; run it here.
    # Imported here: Django forbids importing models in apps.py at load time (the app
    # registry is not ready then).
    from .models import ArticlePage

    article = ArticlePage.objects.filter(pk=instance.pk).first()
    if article is not None:
        article.follow_new_place()
