"""The community's models, one module per part (see each module's invariants)."""

from .comments import (
    MAX_NEST_DEPTH,
    Comment,
    Commenter,
    CommenterStatus,
    CommentRevision,
    CommentStatus,
    Conversation,
    HeldReason,
    Like,
    Report,
    ReportReason,
)
from .following import Follow, Mute, ThreadFollow
from .moderation import ModerationAction, ModerationDecision
from .notifications import Delivery, Notification, NotificationKind, NotificationPreference
from .settings import CommunitySettings, EraseMode

__all__ = [
    "MAX_NEST_DEPTH",
    "Comment",
    "CommentRevision",
    "CommentStatus",
    "Commenter",
    "CommenterStatus",
    "CommunitySettings",
    "Conversation",
    "Delivery",
    "EraseMode",
    "Follow",
    "HeldReason",
    "Like",
    "ModerationAction",
    "ModerationDecision",
    "Mute",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "Report",
    "ReportReason",
    "ThreadFollow",
]
