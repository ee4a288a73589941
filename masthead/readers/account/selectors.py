"""Reads for the reader's account pages.

Invariant: `personal_data` is the whole "download your data" file: every section
registered with masthead.core.privacy, under a versioned envelope, and nothing else.
Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from masthead.core import privacy

EXPORT_FORMAT = "masthead-personal-data"
EXPORT_FORMAT_VERSION = 1


def personal_data(user: Any) -> dict[str, Any]:
    """Everything held about the reader, one key per registered section."""
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": timezone.now(),
        "sections": privacy.export_for(user),
    }
