from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


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

        # Imported here: it imports the models, which are not ready when apps.py loads.
        from .signup_boxes import newsletter_changed

        # Sign-up boxes in articles show a newsletter: rendered afresh when it changes.
        for signal in (post_save, post_delete):
            signal.connect(
                newsletter_changed,
                sender="newsletters.Newsletter",
                dispatch_uid=f"newsletters-box-{id(signal)}",
            )

        # An address proved a reader's brings its open sign-ups to the account.
        verified_addresses.connect()
