"""The community's pages, mounted at /community/ (views by community-web)."""

app_name = "community"

urlpatterns: list = []
