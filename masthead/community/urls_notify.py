"""The notification and following URLs, included by community.urls (under /community/).

No app_name here: these names live in the "community" namespace of the including urls.
"""

from __future__ import annotations

from django.urls import path

from . import views_following, views_notifications

urlpatterns = [
    path("notifications/", views_notifications.notifications, name="notifications"),
    path(
        "notifications/<id:notification_id>/read/",
        views_notifications.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        views_notifications.notifications_read_all,
        name="notifications-read-all",
    ),
    path(
        "notifications/settings/",
        views_notifications.preferences,
        name="notification-preferences",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        views_notifications.unsubscribe,
        name="unsubscribe",
    ),
    path("readers/<id:commenter_id>/follow/", views_following.follow, name="follow"),
    path("readers/<id:commenter_id>/unfollow/", views_following.unfollow, name="unfollow"),
    path("readers/<id:commenter_id>/mute/", views_following.mute, name="mute"),
    path("readers/<id:commenter_id>/unmute/", views_following.unmute, name="unmute"),
    path("threads/<id:comment_id>/follow/", views_following.thread_follow, name="thread-follow"),
    path(
        "threads/<id:comment_id>/unfollow/",
        views_following.thread_unfollow,
        name="thread-unfollow",
    ),
]
