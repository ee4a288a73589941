"""The access decision, table-driven: every kind of reader, level and meter state."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from masthead.access.policy import (
    MeterState,
    Reader,
    Reason,
    Wall,
    decide,
    next_month_start,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=LONDON)


@dataclass(frozen=True)
class Article:
    effective_access: str


READERS = {
    "anonymous": Reader(),
    "registered": Reader(registered=True),
    "unlimited": Reader(registered=True, unlimited=True),
    "editor-previewing": Reader(registered=True, previewing=True),
    "anonymous-previewing": Reader(previewing=True),
    "verified-crawler": Reader(verified_crawler=True),
}
METERS = {
    "fresh": MeterState(allowance=5, used=0),
    "one-left": MeterState(allowance=5, used=4),
    "used-up": MeterState(allowance=5, used=5),
    "used-up-but-opened": MeterState(allowance=5, used=5, already_opened=True),
    "no-allowance": MeterState(allowance=0, used=0),
    "head-request": MeterState(allowance=5, used=0, countable=False),
}
FULL, REG_WALL, PREMIUM_WALL = (True, Wall.NONE), (False, Wall.REGISTRATION), (False, Wall.PREMIUM)


def expected(reader: str, level: str, meter: str) -> tuple[bool, Wall, bool]:
    """(full, wall, counts): the rules of issue 4, written out plainly."""
    if level == "free" or "previewing" in reader:
        return (*FULL, False)
    if reader == "verified-crawler":
        return (*FULL, False)
    if reader == "anonymous":
        # A visitor's meter here is the anonymous registration allowance.
        m = METERS[meter]
        if level == "registration" and m.countable:
            if m.already_opened:
                return (*FULL, False)
            if m.left:
                return (*FULL, True)
        return (*REG_WALL, False)
    if reader == "unlimited" or level == "registration":
        return (*FULL, False)
    # registered + premium
    m = METERS[meter]
    if m.already_opened:
        return (*FULL, False)
    if m.left and m.countable:
        return (*FULL, True)
    return (*PREMIUM_WALL, False)


CASES = list(itertools.product(READERS, ["free", "registration", "premium"], METERS))


@pytest.mark.parametrize(("reader", "level", "meter"), CASES)
def test_every_combination(reader, level, meter):
    decision = decide(READERS[reader], Article(level), METERS[meter], NOW)
    assert (decision.full, decision.wall, decision.counts) == expected(reader, level, meter)
    # Structural rules that hold for every row.
    assert not (decision.full and decision.wall)
    assert decision.gated == (level != "free")


# The headline rows, spelled out so a reader of this file sees the rules directly.
TABLE = [
    # reader, level, meter, full, wall, counts
    ("anonymous", "free", "fresh", True, Wall.NONE, False),
    ("anonymous", "registration", "no-allowance", False, Wall.REGISTRATION, False),
    ("anonymous", "premium", "fresh", False, Wall.REGISTRATION, False),
    ("registered", "free", "used-up", True, Wall.NONE, False),
    ("registered", "registration", "used-up", True, Wall.NONE, False),
    ("registered", "premium", "fresh", True, Wall.NONE, True),
    ("registered", "premium", "one-left", True, Wall.NONE, True),
    ("registered", "premium", "used-up", False, Wall.PREMIUM, False),
    ("registered", "premium", "used-up-but-opened", True, Wall.NONE, False),
    ("registered", "premium", "head-request", False, Wall.PREMIUM, False),
    ("unlimited", "premium", "used-up", True, Wall.NONE, False),
    ("editor-previewing", "premium", "used-up", True, Wall.NONE, False),
    ("anonymous-previewing", "premium", "no-allowance", True, Wall.NONE, False),
    ("verified-crawler", "premium", "no-allowance", True, Wall.NONE, False),
]


@pytest.mark.parametrize(("reader", "level", "meter", "full", "wall", "counts"), TABLE)
def test_headline_rules(reader, level, meter, full, wall, counts):
    decision = decide(READERS[reader], Article(level), METERS[meter], NOW)
    assert (decision.full, decision.wall, decision.counts) == (full, wall, counts)


def test_premium_decisions_say_what_is_left_and_when_it_renews():
    counted = decide(READERS["registered"], Article("premium"), METERS["one-left"], NOW)
    assert counted.remaining == 0 and counted.allowance == 5
    assert counted.renews_at == datetime(2026, 4, 1, tzinfo=LONDON)
    walled = decide(READERS["registered"], Article("premium"), METERS["used-up"], NOW)
    assert walled.reason is Reason.EXHAUSTED and walled.remaining == 0
    assert walled.renews_at == datetime(2026, 4, 1, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("now", "renews"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=LONDON), datetime(2027, 1, 1, tzinfo=LONDON)),
        (datetime(2026, 1, 31, 23, 59, 59, tzinfo=LONDON), datetime(2026, 2, 1, tzinfo=LONDON)),
        (datetime(2026, 3, 1, 0, 0, tzinfo=LONDON), datetime(2026, 4, 1, tzinfo=LONDON)),
    ],
)
def test_the_allowance_renews_at_the_turn_of_the_month(now, renews):
    assert next_month_start(now) == renews


def test_the_decision_is_pure():
    """Nothing but its arguments: the policy module imports only the standard library
    (no Django: no database, settings or request) and reads no clock of its own. (Its
    tests run without database access, so a query would fail them too.)"""
    import ast
    import sys
    from pathlib import Path

    from masthead.access import policy

    tree = ast.parse(Path(policy.__file__).read_text(encoding="utf-8"))
    imported = {(a.name, "") for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {
        (n.module, a.name)
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module
        for a in n.names
    }
    outside = {(m, name) for m, name in imported if m.split(".")[0] not in sys.stdlib_module_names}
    # Level is the article field's choices too, so it is a TextChoices with translated
    # labels: two names that touch no database, settings or request.
    allowed = {("django.db.models", "TextChoices"), ("django.utils.translation", "gettext_lazy")}
    assert outside <= allowed, f"the policy imports {sorted(outside - allowed)}"
    called = {
        n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
    }
    clocks = called & {"now", "today", "utcnow", "time", "monotonic", "random", "getenv"}
    assert not clocks, f"the policy reads {sorted(clocks)} itself"


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError):
        decide(READERS["anonymous"], Article("secret"), METERS["fresh"], NOW)
