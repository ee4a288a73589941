from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "masthead.events"
    label = "events"

    def ready(self) -> None:
        from masthead.access.benefits import register_feature

        from . import signals

        # The wall may promise virtual events: this app is running.
        register_feature("events")
        signals.connect()
