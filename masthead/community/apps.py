from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Modules of this app that plug into its signals and core's registries when the app
# starts: (module, function to call or None). Each is owned by one part of the app and
# may be absent on a branch built before it; once all parts are merged every one exists.
PLUG_INS = [
    ("receivers_notify", None),  # notifications fan out from the signals (community-notify)
    ("purging", "connect"),  # purge the shared first page of a conversation (community-web)
    ("listing", "register"),  # comment counts on listing cards (community-web)
]


class CommunityConfig(AppConfig):
    name = "masthead.community"
    label = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        for module_name, function in PLUG_INS:
            dotted = f"{self.name}.{module_name}"
            if find_spec(dotted) is None:
                continue
            module = import_module(dotted)
            if function is not None:
                getattr(module, function)()
        # The wall's "[comments]" benefit is switched on at integration
        # (masthead.access.benefits.register_feature("comments")), with the wall's test.
