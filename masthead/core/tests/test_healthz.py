"""/healthz tells a load balancer whether this process can serve readers, and why not."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.db import OperationalError
from django.utils import timezone

from masthead.core import views

pytestmark = pytest.mark.django_db


def _lines(response) -> list[str]:
    return response.content.decode().splitlines()


def test_all_well(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert _lines(response) == [
        "ok",
        "database: ok",
        "cache: ok",
        "tasks: ok, 0 ready, oldest waiting 0 s",
    ]


def test_cache_down_is_degraded_but_still_serving(client, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "masthead.core.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    assert _lines(response)[:3] == ["degraded", "database: ok", "cache: fail"]


def test_database_down_is_503(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert _lines(response) == ["down", "database: fail", "cache: ok", "tasks: unknown"]


def _task(*, waited: dt.timedelta, run_after: dt.datetime | None = None):
    from django_tasks_db.models import DBTaskResult, get_date_max

    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="masthead.example.task",
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - waited)
    return task


def test_the_task_queue_age_is_the_oldest_ready_tasks_wait(client):
    _task(waited=dt.timedelta(seconds=90))
    _task(waited=dt.timedelta(seconds=30))
    # Scheduled for later: not ready, so not waiting.
    _task(waited=dt.timedelta(hours=2), run_after=timezone.now() + dt.timedelta(hours=1))
    lines = _lines(client.get("/healthz"))
    assert lines[0] == "ok"
    tasks = lines[3]
    assert tasks.startswith("tasks: ok, 2 ready, oldest waiting ")
    assert 90 <= int(tasks.rsplit(" ", 2)[1]) < 90 + 60


def test_a_queue_no_worker_takes_is_degraded(client):
    _task(waited=dt.timedelta(seconds=views.TASK_QUEUE_STALE_SECONDS + 60))
    response = client.get("/healthz")
    assert response.status_code == 200
    lines = _lines(response)
    assert lines[0] == "degraded"
    assert lines[3].startswith("tasks: stale, 1 ready")
