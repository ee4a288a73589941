"""The reader's meter history in the account export and erasure.

Invariant: every model of this app that points at a reader (MeterRead, MeterMonth) is
covered here, exported in full and deleted on erasure. WallStat holds no personal data.
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from .models import MeterMonth, MeterRead
from .services import meter_export


def _erase(user: Any) -> dict[str, int]:
    reads, _ = MeterRead.objects.filter(user=user).delete()
    months, _ = MeterMonth.objects.filter(user=user).delete()
    return {"premium_articles_counted": reads, "meter_months": months}


privacy.register_exporter(
    "premium_meter", lambda user: meter_export(user=user), covers=[MeterRead, MeterMonth]
)
privacy.register_eraser("premium_meter", _erase)
