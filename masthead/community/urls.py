"""The community's pages, mounted at /community/ (views by community-web)."""

from . import urls_notify

app_name = "community"

urlpatterns: list = [
    # Notifications and following (community-notify).
    *urls_notify.urlpatterns,
]
