from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "masthead.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from .numbers import IdConverter

        # Before any URLconf loads: every route that takes an id uses <id:...>.
        register_converter(IdConverter, "id")
