from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "masthead.access"
    label = "access"
    verbose_name = _("Access: the wall and the meter")

    def ready(self) -> None:
        # Imported here because Django forbids importing models before the app registry
        # is ready, and the receivers need them.
        from . import signals

        signals.connect()
