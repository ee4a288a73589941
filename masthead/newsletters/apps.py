from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "masthead.newsletters"
    label = "newsletters"

    def ready(self) -> None:
        # Joins the reader's data export and erasure (masthead.readers.privacy).
        from . import privacy  # noqa: F401
