"""`manage.py end_suspensions --loop` ends suspensions pass after pass until stopped.

In a module of its own because it is transactional: each pass of a loop closes a
database connection left inside a transaction (masthead.core.loops), as a plain
database test's would be, and test_suspensions.py builds its rows once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from masthead.community.management.commands import end_suspensions
from masthead.community.models import Commenter, CommenterStatus
from masthead.community.services import decisions
from masthead.community.services.suspensions import suspensions_end_expired

from .moderation_rig import make_commenter, make_moderator

START = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def test_end_suspensions_loops_until_stopped_ending_suspensions_as_they_fall_due(
    django_db_serialized_rollback, transactional_db, monkeypatch
):
    # Serialized rollback, as every transactional test here: the flush afterwards would
    # otherwise take the rows migrations made (content types, permissions) with it.
    over, running = make_commenter(), make_commenter()
    with time_machine.travel(START, tick=False):
        for commenter, days in ((over, 2), (running, 10)):
            decisions.reader_suspend(
                actor=make_moderator(), user=commenter.user, days=days, reason="Cool off"
            )
    passes: list[int] = []
    attempts: list[None] = []

    def one_pass() -> int:
        try:
            ended = suspensions_end_expired(now=START + dt.timedelta(days=5 * (len(passes) + 1)))
            passes.append(ended)
            return ended
        finally:
            attempts.append(None)
            if len(attempts) == 3:  # even after a failed pass, so the loop always ends
                os.kill(os.getpid(), signal.SIGTERM)  # as systemd's stop would

    monkeypatch.setattr(end_suspensions, "suspensions_end_expired", one_pass)
    call_command("end_suspensions", "--loop", "--interval", "0.01", stdout=StringIO())
    assert passes == [1, 1, 0]  # day 5 ends one, day 10 the other; stopped after the third
    statuses = set(Commenter.objects.filter(pk__in=[over.pk, running.pk]).values_list("status"))
    assert statuses == {(CommenterStatus.ACTIVE,)}
    with pytest.raises(CommandError, match="more than 0"):
        call_command("end_suspensions", "--loop", "--interval", "0")
