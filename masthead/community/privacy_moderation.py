"""The moderation log in the erasure (owned by community-moderation; a first version
from the skeleton): decisions are the newsroom's record, kept and unlinked from the
reader they were about and the moderator who made them."""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from .models import ModerationDecision


def export_decisions(user: Any) -> list[dict[str, Any]]:
    return list(
        ModerationDecision.objects.filter(reader=user)
        .order_by("created", "pk")
        .values("action", "reason", "comment_id", "created")
    )


def erase_decisions(user: Any) -> dict[str, int]:
    about = ModerationDecision.objects.filter(reader=user).update(reader=None)
    by = ModerationDecision.objects.filter(actor=user).update(actor=None)
    return {"decisions_unlinked": about + by}


privacy.register_exporter("community_moderation", export_decisions, covers=[ModerationDecision])
privacy.register_eraser("community_moderation", erase_decisions)
