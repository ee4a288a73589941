"""The conversation under an article: rendering, weight, queries and posting, as ratios.

Run: `.venv/bin/python bench/bench_comments.py [--postgres] [--count 40]` (a few
minutes: most of it is building 10,000 comments and the registrations it compares with).

What it prints, each figure beside its baseline from the same run:
- the first page of a conversation of 10,000 comments across 2,000 threads, served to
  an anonymous reader (the fragment the article page loads), p50 against the article
  page itself (target: at most 2x), and its weight in bytes (target: under 100 KB);
- the same page for a signed-in reader (private: their likes, mutes, edit links);
- the queries that first page runs with 10 comments and with 10,000 (must be equal);
- posting a comment through the real view (every moderation phase: length, closed,
  sanitise, repeat, banned and suspect words, links, probation, pre-moderation; no
  network) p50 against a registration's work without its password hash (target: at
  most 2x), the registration measured here through allauth's real signup view.

Invariants: in-process with Django's test client, on a database of its own (SQLite in a
temporary folder, or `--postgres` for a fresh PostgreSQL database
`masthead_bench_comments`, dropped at the end); nothing touches var/ or test databases.
Timing lives here, never in a test; the tests assert the query counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rigs.bench_site import drop_postgres, use_throwaway_site  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
PG_DB = "masthead_bench_comments"
THREADS, REPLIES = 2000, 4  # 2,000 threads x (1 + 4) = 10,000 comments


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def _timed_get(client: Any, url: str, count: int) -> tuple[list[float], int]:
    client.get(url)  # warm-up
    samples = []
    size = 0
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        size = len(response.content)
    return samples, size


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def _bulk_conversation(article: Any, threads: int, replies: int) -> None:
    from django.utils import timezone

    from masthead.community.models import Comment, Commenter, Conversation
    from masthead.readers.tests.factories import ReaderFactory

    authors = [
        Commenter.objects.create(
            user=ReaderFactory(), display_name=f"Bench {n}", display_name_key=f"bench {n}"
        )
        for n in range(Commenter.objects.count(), Commenter.objects.count() + 20)
    ]
    conversation, _ = Conversation.objects.get_or_create(page=article)
    start = timezone.now() - dt.timedelta(days=2)
    text = "A reader's considered view of the story, in two sentences. " * 3
    tops = Comment.objects.bulk_create(
        Comment(
            conversation=conversation,
            author=authors[i % len(authors)],
            body=text,
            body_html=f"<p>{text}</p>",
            status="published",
            created=start + dt.timedelta(seconds=i),
            like_count=i % 7,
        )
        for i in range(threads)
    )
    Comment.objects.bulk_create(
        Comment(
            conversation=conversation,
            author=authors[(i + j + 1) % len(authors)],
            parent=top,
            root=top,
            nest_parent=top,
            depth=1,
            body=text,
            body_html=f"<p>{text}</p>",
            status="published",
            created=start + dt.timedelta(seconds=threads + i * replies + j),
        )
        for i, top in enumerate(tops)
        for j in range(replies)
    )
    Conversation.objects.filter(pk=conversation.pk).update(published_count=threads * (1 + replies))


def _bench_render(count: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from masthead.readers.tests.factories import ReaderFactory
    from rigs.newsroom import make_article, make_section

    section = make_section()
    big = make_article(section=section, title="The big conversation")
    small = make_article(section=section, title="The small conversation")
    started = time.perf_counter()
    _bulk_conversation(big, THREADS, REPLIES)
    _bulk_conversation(small, 5, 1)
    built_s = time.perf_counter() - started

    anonymous = Client()
    signed = Client()
    signed.force_login(ReaderFactory(verified=True))
    big_fragment = reverse("community:conversation-fragment", args=[big.pk])
    small_fragment = reverse("community:conversation-fragment", args=[small.pk])

    article_samples, article_bytes = _timed_get(anonymous, big.url, count)
    fragment_samples, fragment_bytes = _timed_get(anonymous, big_fragment, count)
    signed_samples, signed_bytes = _timed_get(signed, big_fragment, count)
    article_p50 = _p50(article_samples)
    fragment_p50 = _p50(fragment_samples)
    return {
        "build_seconds": round(built_s, 1),
        "article_p50_ms": article_p50,
        "article_bytes": article_bytes,
        "conversation_anonymous_p50_ms": fragment_p50,
        "conversation_anonymous_bytes": fragment_bytes,
        "conversation_signed_in_p50_ms": _p50(signed_samples),
        "conversation_signed_in_bytes": signed_bytes,
        "ratio_conversation_to_article": round(fragment_p50 / article_p50, 2),
        "queries_at_10": _queries(anonymous, small_fragment),
        "queries_at_10000": _queries(anonymous, big_fragment),
        "signed_in_queries_at_10": _queries(signed, small_fragment),
        "signed_in_queries_at_10000": _queries(signed, big_fragment),
    }


def _bench_posting(count: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse
    from wagtail.models import Site

    from masthead.community.models import CommunitySettings
    from masthead.readers.tests.factories import ReaderFactory
    from rigs.newsroom import make_article

    config = CommunitySettings.for_site(Site.objects.get(is_default_site=True))
    # Every phase has work to do: word lists to search, links to look for.
    config.banned_words = "\n".join(f"forbiddenword{n}" for n in range(50))
    config.suspect_words = "\n".join(f"suspectword{n}" for n in range(50))
    config.hold_links = True
    config.comment_interval_seconds = 0
    config.comment_burst = 1000
    config.save()
    article = make_article(title="Where the bench posts")
    url = reverse("community:post", args=[article.pk])
    clients = []
    for n in range(count + 1):
        client = Client()
        client.force_login(ReaderFactory(verified=True))
        clients.append((client, f"Poster {n}"))
    samples = []
    for n, (client, name) in enumerate(clients):
        body = f"Comment {n}: the ferry timetable matters to everyone on the island. " * 3
        start = time.perf_counter()
        response = client.post(
            url, {"body": body, "display_name": name}, HTTP_X_CONVERSATION="fragment"
        )
        elapsed = time.perf_counter() - start
        if response.status_code != 204:
            raise RuntimeError(f"posting failed: {response.status_code} {response.content[:200]}")
        if n:  # the first is the warm-up
            samples.append(elapsed)
    return {"post_p50_ms": _p50(samples), "posts": len(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="requests per measurement")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="masthead-bench-comments-") as folder:
        use_throwaway_site(Path(folder), postgres_database=PG_DB if args.postgres else None)
        try:
            sys.path.insert(0, str(ROOT))
            sys.path.insert(0, str(ROOT / "bench"))
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command
            from django.test.utils import setup_test_environment

            setup_test_environment()  # locmem email; Client() without a real server
            settings.ALTCHA_MAX_NUMBER = 500
            settings.ACCOUNT_RATE_LIMITS = {}
            call_command("migrate", verbosity=0, interactive=False)
            from bench_accounts import HashTimer, _bench_registration, _prepare_site

            _prepare_site()
            render = _bench_render(args.count)
            posting = _bench_posting(args.count)
            timer = HashTimer()
            timer.install()
            _bench_registration(5, 1, timer, "warm")
            registration = _bench_registration(args.count, 1, timer, "seq")
        finally:
            if args.postgres:
                from django.db import connections

                connections.close_all()
                drop_postgres(PG_DB)

    registration_work = round(registration["p50_ms"] - registration["hash_mean_ms"], 2)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if args.postgres else "sqlite",
        "count": args.count,
        "render": render,
        "posting": posting,
        "registration": registration,
        "registration_without_hash_p50_ms": registration_work,
        "ratio_post_to_registration_work": round(posting["post_p50_ms"] / registration_work, 2),
    }
    r = render
    print(f"== Comments bench ({report['database']}, {args.count} requests per figure)")
    print(f"built {THREADS * (1 + REPLIES):,} comments in {r['build_seconds']} s")
    print(
        f"article page p50 {r['article_p50_ms']} ms; conversation first page (anonymous) "
        f"p50 {r['conversation_anonymous_p50_ms']} ms: ratio "
        f"{r['ratio_conversation_to_article']} (target <= 2)"
    )
    print(
        f"conversation first page weighs {r['conversation_anonymous_bytes']:,} bytes "
        f"anonymous, {r['conversation_signed_in_bytes']:,} signed in (target < 100,000)"
    )
    print(
        f"signed-in first page p50 {r['conversation_signed_in_p50_ms']} ms; queries at 10 / "
        f"10,000 comments: anonymous {r['queries_at_10']} / {r['queries_at_10000']}, "
        f"signed in {r['signed_in_queries_at_10']} / {r['signed_in_queries_at_10000']}"
    )
    print(
        f"posting p50 {posting['post_p50_ms']} ms; registration p50 {registration['p50_ms']} ms "
        f"of which hashing {registration['hash_mean_ms']} ms: without it {registration_work} ms; "
        f"ratio {report['ratio_post_to_registration_work']} (target <= 2)"
    )
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS_DIR / f"comments-{stamp}.json"
        path.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"results: {path.relative_to(ROOT)}")
    ok = r["queries_at_10"] == r["queries_at_10000"] and r["conversation_anonymous_bytes"] < 100_000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
