"""URLs of the readers app's account pages, mounted at /account/.

Other apps mount their own account pages beside these (masthead/urls.py) and list them
in the navigation through masthead.core.account_sections.
"""

from django.urls import path

from . import views

app_name = "account"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("reading/", views.reading, name="reading"),
    path("history/", views.history, name="history"),
    path("sessions/", views.sessions, name="sessions"),
    path("data/", views.data, name="data"),
    path("delete/", views.delete, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
]
