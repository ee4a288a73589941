from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.urls import register_converter

from .numbers import IdConverter


class CoreConfig(AppConfig):
    name = "masthead.core"
    label = "core"

    def ready(self) -> None:
        # Imported here: wagtail.models (and this app's modules that use it) need the app
        # registry, which is not ready while apps.py loads.
        from wagtail.models import Site

        from . import account_sections, privacy
        from .newsroom import newsroom_name_forget

        # Before any URLconf loads: every route that takes an id uses <id:...>.
        register_converter(IdConverter, "id")
        # A renamed Site shows at once (masthead.core.newsroom remembers the name).
        for signal in (post_save, post_delete):
            signal.connect(newsroom_name_forget, sender=Site, dispatch_uid=f"newsroom-{signal}")
        # Each of our apps' `privacy` and `account_sections` modules register with the
        # registries (as Wagtail apps do through `wagtail_hooks`; core.discovery searches
        # only masthead.* apps); every app is loaded by now.
        privacy.autodiscover()
        account_sections.autodiscover()
