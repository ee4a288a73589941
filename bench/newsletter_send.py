"""Newsletter sending, measured: `.venv/bin/python bench/newsletter_send.py`.

Three figures from one run, each against a baseline measured in the same run:
1. Throughput: the send pipeline (`manage.py send_newsletters`: recipient list frozen,
   batches claimed under row locks, every delivery recorded) against a bare loop that
   builds the same messages (the same rendered issue, the same substitution and
   headers) and sends them over the same number of SMTP connections, each reused, to
   the same local SMTP sink, with no database writes. Target: the pipeline at least
   0.5x the bare loop. Messages per second are printed beside listmonk's default
   sending rate of 100 per second.
2. Memory: the pipeline's peak resident memory sending to `--small` subscribers
   against sending to `--subscribers`; flat means within 20%.
3. Correctness while at it: the sink must have received each large-send subscriber
   exactly once.

Invariants: the database is the bench's own (PostgreSQL `masthead_bench_newsletter`,
dropped and created; or SQLite in a temporary folder with `--sqlite`), the SMTP sink
is an aiosmtpd process on loopback that counts and discards; every process started
here is stopped, even on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = "masthead_bench_newsletter"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
LISTMONK_DEFAULT_PER_SECOND = 100  # listmonk: concurrency 10 x message rate 10/s


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------------
# Roles run in child processes (each its own Django)
# ----------------------------------------------------------------------------------


def role_sink(port: int, count_file: str) -> None:
    """An SMTP server that accepts everything, counting recipients per address."""
    from collections import Counter

    from aiosmtpd.controller import Controller

    seen: Counter[str] = Counter()

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            for rcpt in envelope.rcpt_tos:
                seen[rcpt] += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()

    def dump(*_: object) -> None:
        partial = Path(count_file + ".partial")
        partial.write_text(json.dumps(seen))
        partial.replace(count_file)  # whole or not at all

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    while True:
        time.sleep(3600)


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    import django

    django.setup()


def role_populate(large: int, small: int) -> None:
    _django()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from masthead.newsletters.models import Newsletter, NewsletterIssue, Subscription

    user_model = get_user_model()
    now = timezone.now()
    issues = {}
    for slug, count in (("bench-large", large), ("bench-small", small)):
        newsletter = Newsletter.objects.create(name=slug, slug=slug)
        issues[slug] = NewsletterIssue.objects.create(
            newsletter=newsletter,
            subject=f"The {slug} issue",
            intro="<p>" + "An editor's introduction of a few lines. " * 12 + "</p>",
        ).pk
        for start in range(0, count, 5000):
            users = user_model.objects.bulk_create(
                [
                    user_model(
                        email=f"{slug}-{n}@example.com",
                        first_name=f"Reader{n}",
                        last_name="Bench",
                        password="!unusable",  # noqa: S106 (Django's mark for "no password")
                    )
                    for n in range(start, min(count, start + 5000))
                ]
            )
            if users[0].pk is None:
                users = list(
                    user_model.objects.filter(email__in=[u.email for u in users]).only(
                        "pk", "email"
                    )
                )
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        user=u, newsletter=newsletter, created_at=now, changed_at=now, source="b"
                    )
                    for u in users
                ]
            )
            # Issues go only to an address its reader has proved.
            EmailAddress.objects.bulk_create(
                [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in users]
            )
    print(json.dumps(issues))


def role_pipeline(issue_id: int, connections: int) -> None:
    _django()
    from masthead.newsletters import sending
    from masthead.newsletters.models import NewsletterIssue

    send = sending.send_start(issue=NewsletterIssue.objects.get(pk=issue_id))
    started = time.perf_counter()
    sending.send_work(send_id=send.pk, connections=connections)
    elapsed = time.perf_counter() - started
    send.refresh_from_db()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"seconds": elapsed, "total": send.total, "status": send.status, "rss_kb": rss_kb}
        )
    )


def role_bare(issue_id: int, connections: int) -> None:
    """The same messages over the same connections, with no pipeline at all."""
    _django()
    import threading

    from django.core.mail import get_connection

    from masthead.newsletters import rendering
    from masthead.newsletters.models import NewsletterIssue, Subscription

    issue = NewsletterIssue.objects.select_related("newsletter").get(pk=issue_id)
    rows = list(
        Subscription.objects.filter(newsletter=issue.newsletter, active=True)
        .order_by("user_id")
        .values_list("user_id", "user__email", "user__first_name")
    )
    started = time.perf_counter()
    rendered = rendering.issue_rendered(issue)
    from_email = rendering.sender(issue.newsletter)

    def share(part: list[tuple[int, str, str]]) -> None:
        conn = get_connection(fail_silently=False)
        conn.open()
        for user_id, address, first_name in part:
            message = rendering.copy_for(
                rendered,
                newsletter=issue.newsletter,
                user_id=user_id,
                address=address,
                first_name=first_name,
                issue_id=issue.pk,
                message_id=f"<bare.{user_id}@example.com>",
                from_email=from_email,
            )
            conn.send_messages([message])
        conn.close()

    threads = [
        threading.Thread(target=share, args=(rows[i::connections],)) for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"seconds": time.perf_counter() - started, "total": len(rows)}))


# ----------------------------------------------------------------------------------
# The conductor
# ----------------------------------------------------------------------------------


def child(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [PYTHON, __file__, "--role", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"{args[0]} failed (exit {out.returncode})")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    log(f"{args[0]}: {result}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    if args.subscribers < 1 or args.small < 1 or args.connections < 1:
        parser.error("--subscribers, --small and --connections must be at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="bench-newsletter-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MASTHEAD_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="masthead.settings",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        MASTHEAD_FROM_EMAIL="desk@example.org",
        MASTHEAD_MEDIA_ROOT=str(workdir / "media"),
        REDIS_URL="",
    )
    if args.sqlite:
        env["MASTHEAD_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        database = "SQLite"
    else:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
        database = "PostgreSQL"
    counts = workdir / "counts.json"
    sink = subprocess.Popen(
        [PYTHON, __file__, "--role", "sink", str(port), str(counts)], cwd=ROOT, env=env
    )
    try:
        log(f"migrating a fresh {database} database")
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        log(f"writing {args.subscribers:,} + {args.small:,} subscribers")
        issues = child(env, "populate", str(args.subscribers), str(args.small))
        log("bare loop (no pipeline)")
        bare = child(env, "bare", str(issues["bench-large"]), str(args.connections))
        log("pipeline, small send")
        small = child(env, "pipeline", str(issues["bench-small"]), str(args.connections))
        log("pipeline, large send")
        large = child(env, "pipeline", str(issues["bench-large"]), str(args.connections))
        sink.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if counts.exists():
                break
            time.sleep(0.1)
        seen = json.loads(counts.read_text())
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        if not args.sqlite:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"])
        shutil.rmtree(workdir, ignore_errors=True)

    large_addresses = {a: n for a, n in seen.items() if a.startswith("bench-large-")}
    # The bare loop sent each large subscriber once too: the pipeline's copy is the second.
    exact = len(large_addresses) == args.subscribers and set(large_addresses.values()) == {2}
    bare_rate = bare["total"] / bare["seconds"]
    rate = large["total"] / large["seconds"]
    memory_ratio = large["rss_kb"] / small["rss_kb"]
    print()
    print(f"database: {database}; SMTP connections: {args.connections}; sink: aiosmtpd")
    print(f"bare loop:          {bare['total']:>8,} messages  {bare_rate:8.0f} msg/s")
    print(f"pipeline (large):   {large['total']:>8,} messages  {rate:8.0f} msg/s")
    print(
        f"pipeline (small):   {small['total']:>8,} messages  "
        f"{small['total'] / small['seconds']:8.0f} msg/s"
    )
    print(f"listmonk default:                    {LISTMONK_DEFAULT_PER_SECOND:8.0f} msg/s")
    print(f"throughput ratio pipeline/bare: {rate / bare_rate:.2f}  (target >= 0.5)")
    print(
        f"peak memory: small {small['rss_kb'] / 1024:.0f} MiB, large "
        f"{large['rss_kb'] / 1024:.0f} MiB, ratio {memory_ratio:.2f}  (target <= 1.20)"
    )
    print(f"every large-send subscriber exactly once from the pipeline: {exact}")
    ok = rate / bare_rate >= 0.5 and memory_ratio <= 1.2 and exact
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--role":
        role, rest = sys.argv[2], sys.argv[3:]
        if role == "sink":
            role_sink(int(rest[0]), rest[1])
        elif role == "populate":
            role_populate(int(rest[0]), int(rest[1]))
        elif role == "pipeline":
            role_pipeline(int(rest[0]), int(rest[1]))
        elif role == "bare":
            role_bare(int(rest[0]), int(rest[1]))
        sys.exit(0)
    sys.exit(main())
