"""Exactly once under concurrency: two workers fanning out the same event, or sending the
digest at the same moment, notify and email each reader once (PostgreSQL, real threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from masthead.community.models import Notification, ThreadFollow
from masthead.community.services import notifications as service
from masthead.core.models import OutboxEmail
from rigs.newsroom import make_article

from .notify_support import comment, commenter, reader

pytestmark = [
    pytest.mark.postgresql,
    # serialized_rollback: the flush after a transactional test would otherwise take the
    # Wagtail root page and default site the migrations made, which later tests need.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def at_once(work: Callable[[], Any], workers: int = 4) -> list[Any]:
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_workers_fan_out_one_event_once(settings):
    page = make_article(hero=False)
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    fans = [reader() for _ in range(5)]
    top = comment(ada, page)
    for fan in fans:
        ThreadFollow.objects.create(user=fan, root=top)
    reply = comment(ben, page, parent=top, mentions=[ada])

    at_once(lambda: service.notify_comment_published(comment_id=reply.pk))

    assert Notification.objects.count() == 6
    # Ada's reply email, once (the fans' thread replies wait for the digest).
    assert OutboxEmail.objects.count() == 1


def test_concurrent_digest_runs_queue_one_email_per_reader():
    page = make_article(hero=False)
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    fan = reader()
    top = comment(ada, page)
    ThreadFollow.objects.create(user=fan, root=top)
    for _ in range(3):
        service.notify_comment_published(comment_id=comment(ben, page, parent=top).pk)
    before = OutboxEmail.objects.count()

    at_once(service.digests_send)

    assert OutboxEmail.objects.count() - before == 1
    assert not Notification.objects.filter(recipient=fan, emailed_at__isnull=True).exists()
