"""The wall's small endpoints, mounted under /access/ by the project's urls.py.

Ids in paths use the `id` converter (masthead.core.numbers): range-checked, so an
enormous number is a 404, not a database error.
"""

from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("wall-event/", views.wall_beacon, name="wall-event"),
    path("articles/<id:article_id>/body/", views.article_body_fragment, name="article-body"),
]
