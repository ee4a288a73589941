from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "masthead.community"
    label = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        # Wiring the signals' receivers is done by the modules that own them (they are
        # imported here once they exist); the wall's "[comments]" benefit is switched
        # on at integration, when the conversation is shown under articles.
        pass
