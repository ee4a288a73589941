from django.urls import path

from . import feeds, views

app_name = "content"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("authors/<slug:slug>/", views.author_detail, name="author"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    path("feeds/rss/", feeds.SiteRssFeed(), name="rss"),
    path("feeds/atom/", feeds.SiteAtomFeed(), name="atom"),
]
