"""Follows, mutes, thread follows, notifications and their preferences in the export and
erasure (owned by community-notify; a first version from the skeleton)."""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from .models import Follow, Mute, Notification, NotificationPreference, ThreadFollow


def export_following(user: Any) -> dict[str, Any]:
    return {
        "following": list(
            Follow.objects.filter(follower=user).values_list("followee_id", "created")
        ),
        "followers": Follow.objects.filter(followee=user).count(),
        "muted": list(Mute.objects.filter(muter=user).values_list("muted_id", "created")),
        "followed_threads": list(
            ThreadFollow.objects.filter(user=user).values_list("root_id", "created")
        ),
        "notifications": list(
            Notification.objects.filter(recipient=user)
            .order_by("created", "pk")
            .values("kind", "comment_id", "created", "read_at", "emailed_at")
        ),
        "notification_preferences": dict(
            NotificationPreference.objects.filter(user=user).values_list("kind", "delivery")
        ),
    }


def erase_following(user: Any) -> dict[str, int]:
    counts = {}
    for name, queryset in [
        ("follows", Follow.objects.filter(follower=user) | Follow.objects.filter(followee=user)),
        ("mutes", Mute.objects.filter(muter=user) | Mute.objects.filter(muted=user)),
        ("thread_follows", ThreadFollow.objects.filter(user=user)),
        ("notifications", Notification.objects.filter(recipient=user)),
        ("notification_preferences", NotificationPreference.objects.filter(user=user)),
    ]:
        counts[name] = queryset.delete()[0]
    Notification.objects.filter(actor=user).update(actor=None)
    return counts


privacy.register_exporter(
    "community_following",
    export_following,
    covers=[Follow, Mute, ThreadFollow, Notification, NotificationPreference],
)
privacy.register_eraser("community_following", erase_following)
