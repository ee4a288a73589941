"""The events app's addresses (namespace "events"), mounted at the site's root.

The event pages themselves are Wagtail pages (wherever the editors put the events
listing); these are the actions and files around them.
"""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("events/<id:event_id>/register/", views.register, name="register"),
    path("events/<id:event_id>/cancel/", views.cancel, name="cancel"),
    path("events/<id:event_id>/event.ics", views.event_ics, name="event-ics"),
    path("events/join/<str:token>/", views.join, name="join"),
    path("events/upcoming.ics", views.feed, name="feed"),
    path("account/events/", views.mine, name="mine"),
]
