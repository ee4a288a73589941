from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo newsroom: only the `load_demo` command; no models."""

    name = "masthead.demo"
    label = "demo"
    verbose_name = _("Demo newsroom")
