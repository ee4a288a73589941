"""The wall's small endpoints, mounted under /access/ by the project's urls.py."""

from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("wall-event/", views.wall_beacon, name="wall-event"),
    path("articles/<int:article_id>/body/", views.article_body_fragment, name="article-body"),
]
