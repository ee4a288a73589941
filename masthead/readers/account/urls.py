"""URLs of the reader's account page, mounted at /account/."""

from django.urls import path

from . import views

app_name = "account"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("newsletters/", views.newsletters, name="newsletters"),
    path("newsletters/switch/", views.marketing_switch, name="marketing-switch"),
    path("reading/", views.reading, name="reading"),
    path("history/", views.history, name="history"),
    path("sessions/", views.sessions, name="sessions"),
    path("data/", views.data, name="data"),
    path("delete/", views.delete, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
]
