"""The background commands' loop (masthead.core.loops): passes, stop signals, errors."""

from __future__ import annotations

import logging
import os
import signal
import threading

import pytest
from django.core.management.base import CommandError

from masthead.core import loops

# Each pass closes stale database connections, as the commands do.
pytestmark = pytest.mark.django_db
logger = logging.getLogger("masthead.tests.loops")


def test_without_loop_one_pass_runs_and_its_error_propagates():
    calls = []
    loops.run(
        lambda stopping: calls.append(stopping()) or 7,
        name="once",
        loop=False,
        interval=60,
        logger=logger,
        report=calls.append,
    )
    assert calls == [False, 7]

    def broken(stopping):
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError, match="database away"):
        loops.run(broken, name="once", loop=False, interval=60, logger=logger)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_the_loop_after_the_pass_under_way(signum, caplog):
    seen = []

    def work(stopping):
        seen.append(stopping())
        if len(seen) == 3:
            os.kill(os.getpid(), signum)  # as `kill` or Ctrl-C would, mid-pass
            seen.append(stopping())  # the pass is told at once
        return len(seen)

    before = signal.getsignal(signum)
    with caplog.at_level(logging.INFO, logger=logger.name):
        loops.run(work, name="signalled", loop=True, interval=0.01, logger=logger)
    assert seen == [False, False, False, True]  # no fourth pass
    assert signal.getsignal(signum) is before  # the process's handler is back
    assert "signalled: stopped" in caplog.text
    assert caplog.text.count("signalled: pass done") == 3


def test_a_pass_that_fails_is_logged_and_the_next_one_runs(caplog):
    stop = threading.Event()
    passes = []

    def work(stopping):
        passes.append(len(passes) + 1)
        if len(passes) == 1:
            raise ConnectionError("mail server away")
        if len(passes) == 3:
            stop.set()
        return "ok"

    with caplog.at_level(logging.INFO, logger=logger.name):
        loops.run(work, name="flaky", loop=True, interval=0.01, logger=logger, stop=stop)
    assert passes == [1, 2, 3]
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "flaky: pass failed" in failure.getMessage()
    assert failure.exc_info and failure.exc_info[0] is ConnectionError
    assert caplog.text.count("flaky: pass done") == 2


def test_report_is_for_a_single_pass_or_a_verbose_loop():
    stop = threading.Event()
    reports = []

    def work(stopping):
        stop.set()
        return 1

    loops.run(
        work,
        name="quiet",
        loop=True,
        interval=0.01,
        logger=logger,
        report=reports.append,
        stop=stop,
    )
    assert reports == []
    stop.clear()
    loops.run(
        work,
        name="loud",
        loop=True,
        interval=0.01,
        logger=logger,
        report=reports.append,
        stop=stop,
        verbose=True,
    )
    assert reports == [1]


def test_a_loop_needs_a_positive_interval():
    with pytest.raises(CommandError, match="more than 0"):
        loops.run(lambda stopping: None, name="busy", loop=True, interval=0, logger=logger)


@pytest.mark.parametrize(
    ("app", "command", "interval"),
    [
        ("masthead.core", "deliver_outbox", 5.0),
        ("masthead.events", "send_event_reminders", 60.0),
        ("masthead.community", "end_suspensions", 300.0),
    ],
)
def test_the_looping_commands_take_loop_and_their_own_default_interval(app, command, interval):
    from django.core.management import load_command_class

    parser = load_command_class(app, command).create_parser("manage.py", command)
    once = parser.parse_args([])
    assert (once.loop, once.interval) == (False, interval)
    looping = parser.parse_args(["--loop", "--interval", "2"])
    assert (looping.loop, looping.interval) == (True, 2.0)
