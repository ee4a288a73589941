"""Profile the pages bench_render.py measures, in process, against a site it kept
(`bench_render.py --keep` prints the folder; its database and Redis database stay):

    .venv/bin/python bench/profile_render.py /tmp/masthead-bench-render-XXXX \
        --database masthead_bench_render --redis-db 9 --which signed,anon,front,section

For each page: the queries one warm request makes, the CPU time per request (Django's
test client through the whole middleware stack, production settings), and for the pages
named in --profile, cProfile's top frames by cumulative time (the .prof files go to
--out, for snakeviz or `python -m pstats`). Run it when no benchmark uses the same Redis
database: the route and page caches of two sites in one Redis database would mix.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_SLUG = "kelbrook-tidal-ferry-first-winter"  # /work/shared/peers/article.json
READER = "bench-render-reader@example.com"  # made by bench_render.py's setup


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("site", type=Path, help="the folder bench_render.py --keep kept")
    parser.add_argument("--database", default="masthead_bench_render")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--which", default="signed,anon,front,section")
    parser.add_argument("--profile", default="signed", help="pages to profile")
    parser.add_argument("--top", type=int, default=40, help="frames to print")
    parser.add_argument("--out", type=Path, default=Path("/tmp"))  # noqa: S108
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "MASTHEAD_PRODUCTION": "1",
            "MASTHEAD_SECRET_KEY": "profile-" + "x" * 60,
            "MASTHEAD_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MASTHEAD_SSL_REDIRECT": "0",
            "MASTHEAD_STATIC_ROOT": str(args.site / "static"),
            "MASTHEAD_MEDIA_ROOT": str(args.site / "media"),
            "MASTHEAD_LOG_LEVEL": "WARNING",
            "MASTHEAD_BASE_URL": "http://127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "masthead.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from masthead.content.models import ArticlePage

    article = ArticlePage.objects.get(slug=ARTICLE_SLUG)
    path = re.sub(r"^https?://[^/]+", "", article.get_url())
    section = re.sub(r"^https?://[^/]+", "", article.get_parent().get_url())
    signed = Client(HTTP_HOST="127.0.0.1")
    signed.force_login(get_user_model().objects.get(email=READER))
    anon = Client(HTTP_HOST="127.0.0.1")
    pages = {
        "signed": (signed, path),
        "anon": (anon, path),
        "front": (anon, "/"),
        "section": (anon, section),
    }
    for name in args.which.split(","):
        client, url = pages[name]
        for _ in range(20):
            if client.get(url).status_code != 200:
                raise SystemExit(f"{name}: {url} did not answer 200")
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        cpu = time.process_time()
        for _ in range(args.requests):
            client.get(url)
        cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
        print(f"== {name} {url}: {len(queries)} queries, {cpu_ms:.2f} ms CPU per request")
        if name in args.profile.split(","):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                client.get(url)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
            stats.dump_stats(str(args.out / f"render-{name}.prof"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
