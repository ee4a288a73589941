from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "masthead.community"
    label = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        # Imported here because Django builds the app registry before any app's modules
        # may use models; each connects this app's parts to its signals and registries.
        from masthead.access.benefits import register_feature

        from . import listing, purging, receivers_notify  # noqa: F401 (receivers connect)

        purging.connect()  # purge the shared first page of a conversation when it changes
        listing.register()  # comment counts on listing cards
        # The wall may promise comments: this app is running.
        register_feature("comments")
