from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "masthead.newsletters"
    label = "newsletters"

    def ready(self) -> None:
        from masthead.access.benefits import register_feature

        # The wall may promise newsletters: this app is running.
        register_feature("newsletters")

        from . import tracking, verified_addresses

        # Bounces and complaints from the provider's verified webhooks (anymail).
        tracking.connect()
        # An address proved a reader's brings its open sign-ups to the account.
        verified_addresses.connect()
