"""Follows, mutes, thread follows, notifications and their preferences in the export and
erasure (owned by community-notify).

Invariants:
- The export names other readers by their public display name only (never their email
  or legal name), and tells a reader how many follow them, not who: the follower's
  choice is the follower's data. Whom the reader muted is theirs; who muted them is not
  exported.
- Erasure removes every follow and mute in either direction, the reader's thread follows,
  notifications and preferences; notifications others got about the reader's actions are
  kept for them, with the actor unlinked (they then read "a former reader").
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from .models import Follow, Mute, Notification, NotificationPreference, ThreadFollow
from .selectors_notifications import describe, with_rows


def _name(user: Any) -> str | None:
    commenter = getattr(user, "commenter", None)
    return commenter.display_name if commenter is not None else None


def export_following(user: Any) -> dict[str, Any]:
    return {
        "following": [
            {"display_name": _name(f.followee), "since": f.created}
            for f in Follow.objects.filter(follower=user)
            .select_related("followee__commenter")
            .order_by("created", "pk")
        ],
        "followers": Follow.objects.filter(followee=user).count(),
        "muted": [
            {"display_name": _name(m.muted), "since": m.created}
            for m in Mute.objects.filter(muter=user)
            .select_related("muted__commenter")
            .order_by("created", "pk")
        ],
        "followed_threads": [
            {"comment": t.root_id, "since": t.created}
            for t in ThreadFollow.objects.filter(user=user).order_by("created", "pk")
        ],
        "notifications": [
            {
                "kind": n.kind,
                "text": describe(n).text,
                "comment": n.comment_id,
                "created": n.created,
                "read_at": n.read_at,
                "emailed_at": n.emailed_at,
            }
            for n in with_rows(Notification.objects.filter(recipient=user)).order_by("pk")
        ],
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
