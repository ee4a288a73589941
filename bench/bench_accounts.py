"""Registration and sign-in: latency (p50, p99), throughput, and the share that is Argon2.

Run: `.venv/bin/python bench/bench_accounts.py` (about a minute; `--help` for options).

Invariants:
- In-process, with Django's test client against a database of its own (SQLite in a
  temporary folder, or `--postgres` for a fresh PostgreSQL database
  `masthead_bench_accounts`, dropped at the end). Nothing touches var/ or test databases.
- The server side of the real flow is measured: allauth's signup view with our form,
  bot check (a solved ALTCHA; the browser's solving is not server time), consent rows,
  newsletter choices, the task rows for the emails (django-tasks' database backend, as
  in production), and the redirect; sign-in is allauth's login view with a password.
- The hashing share is measured in the same run: the password hasher is wrapped with a
  timer, so "hash ms / request ms" is a ratio of two figures from the same requests.
- The Argon2 parameter table times each candidate on this machine, in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rigs.bench_site import drop_postgres, use_throwaway_site  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
PG_DB = "masthead_bench_accounts"
PASSWORD = "Bench-harbour-42"  # noqa: S105 (a throwaway reader in a throwaway database)

# (label, time_cost, memory_cost KiB, parallelism)
ARGON2_CANDIDATES = [
    ("Django 5.2 default", 2, 102400, 8),
    ("OWASP 46 MiB, t=1", 1, 47104, 1),
    ("chosen: OWASP 19 MiB, t=2", 2, 19456, 1),
    ("OWASP 12 MiB, t=3", 3, 12288, 1),
    ("OWASP 7 MiB, t=5", 5, 7168, 1),
]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _summary(
    name: str, seconds: list[float], hash_seconds: list[float], wall: float
) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    hash_ms = [s * 1000 for s in hash_seconds]
    return {
        "name": name,
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(_percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "throughput_per_s": round(len(ms) / wall, 1),
        "hash_mean_ms": round(statistics.fmean(hash_ms), 2) if hash_ms else 0.0,
        "hash_share": round(sum(hash_seconds) / sum(seconds), 3) if seconds else 0.0,
    }


def _prepare_site() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    sys.path.insert(0, str(ROOT))
    from masthead.newsletters.models import Newsletter
    from rigs.registration import make_legal_pages

    make_legal_pages()
    for n, name in enumerate(["The Morning Ledger", "Coast & Climate", "Weekend Reads"]):
        Newsletter.objects.get_or_create(slug=f"bench-{n}", defaults={"name": name})


class HashTimer:
    """Wraps the configured hasher's encode and verify; per-thread accumulation."""

    def __init__(self) -> None:
        self.local = threading.local()

    def install(self) -> None:
        from django.contrib.auth.hashers import get_hasher

        hasher_class = type(get_hasher())
        timer = self
        original_encode = hasher_class.encode
        original_verify = hasher_class.verify

        def encode(self: Any, password: str, salt: str) -> str:
            start = time.perf_counter()
            try:
                return original_encode(self, password, salt)
            finally:
                timer.add(time.perf_counter() - start)

        def verify(self: Any, password: str, encoded: str) -> bool:
            start = time.perf_counter()
            try:
                return original_verify(self, password, encoded)
            finally:
                timer.add(time.perf_counter() - start)

        hasher_class.encode = encode
        hasher_class.verify = verify

    def add(self, seconds: float) -> None:
        self.local.total = getattr(self.local, "total", 0.0) + seconds

    def take(self) -> float:
        total = getattr(self.local, "total", 0.0)
        self.local.total = 0.0
        return total


def _bench_registration(count: int, workers: int, timer: HashTimer, label: str) -> dict[str, Any]:
    from django.db import connections
    from django.test import Client

    from masthead.newsletters.models import Newsletter
    from rigs.registration import registration_data, solved_altcha

    newsletter_ids = list(Newsletter.objects.values_list("pk", flat=True)[:2])
    run = datetime.now(UTC).strftime("%H%M%S%f")
    # Solving is the browser's work: done before the clock starts.
    forms = [
        registration_data(
            email=f"bench-{label}-{run}-{i}@example.com",
            password1=PASSWORD,
            newsletters=newsletter_ids,
            next="/news/some-story/#continue",
            altcha=solved_altcha(max_number=500),
        )
        for i in range(count)
    ]
    latencies: list[float] = []
    hashes: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        client = Client()
        ip = f"10.{(i // 65536) % 256}.{(i // 256) % 256}.{i % 256}"
        timer.take()
        start = time.perf_counter()
        response = client.post("/accounts/signup/", forms[i], REMOTE_ADDR=ip)
        elapsed = time.perf_counter() - start
        spent = timer.take()
        if response.status_code != 302 or response["Location"] != "/news/some-story/#continue":
            raise RuntimeError(f"registration {i} failed: {response.status_code}")
        with lock:
            latencies.append(elapsed)
            hashes.append(spent)
        connections.close_all() if workers > 1 else None

    wall_start = time.perf_counter()
    if workers == 1:
        for i in range(count):
            one(i)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, range(count)))
    wall = time.perf_counter() - wall_start
    return _summary(
        f"registration ({workers} thread{'s' if workers > 1 else ''})", latencies, hashes, wall
    )


def _bench_sign_in(count: int, workers: int, timer: HashTimer) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client

    emails = list(
        get_user_model().objects.filter(email__startswith="bench-").values_list("email", flat=True)
    )
    if not emails:
        raise RuntimeError("no registered readers to sign in")
    latencies: list[float] = []
    hashes: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        client = Client()
        ip = f"10.9.{(i // 256) % 256}.{i % 256}"
        timer.take()
        start = time.perf_counter()
        response = client.post(
            "/accounts/login/",
            {"login": emails[i % len(emails)], "password": PASSWORD, "next": "/news/some-story/"},
            REMOTE_ADDR=ip,
        )
        elapsed = time.perf_counter() - start
        spent = timer.take()
        if response.status_code != 302 or response["Location"] != "/news/some-story/":
            raise RuntimeError(f"sign-in {i} failed: {response.status_code}")
        with lock:
            latencies.append(elapsed)
            hashes.append(spent)
        connections.close_all() if workers > 1 else None

    wall_start = time.perf_counter()
    if workers == 1:
        for i in range(count):
            one(i)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, range(count)))
    wall = time.perf_counter() - wall_start
    return _summary(
        f"sign-in ({workers} thread{'s' if workers > 1 else ''})", latencies, hashes, wall
    )


def _argon2_table(repeat: int) -> list[dict[str, Any]]:
    import argon2

    rows = []
    for label, time_cost, memory_kib, parallelism in ARGON2_CANDIDATES:
        hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        hasher.hash(PASSWORD)  # warm-up
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            hasher.hash(PASSWORD)
            samples.append((time.perf_counter() - start) * 1000)
        rows.append(
            {
                "parameters": label,
                "time_cost": time_cost,
                "memory_mib": round(memory_kib / 1024, 1),
                "parallelism": parallelism,
                "hash_ms_p50": round(statistics.median(samples), 1),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="requests per measurement")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    parser.add_argument("--argon2-repeat", type=int, default=10)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="masthead-bench-accounts-") as folder:
        tmp = Path(folder)
        use_throwaway_site(tmp, postgres_database=PG_DB if args.postgres else None)
        try:
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            from django.conf import settings
            from django.test.utils import setup_test_environment

            setup_test_environment()  # locmem email; Client() without a real server
            settings.ALTCHA_MAX_NUMBER = 500
            settings.ACCOUNT_RATE_LIMITS = {}  # the bench is one client; limits are tested
            _prepare_site()
            from django.contrib.auth.hashers import get_hasher

            hasher = get_hasher()
            timer = HashTimer()
            timer.install()

            # Warm-up (templates, URL resolvers, connections), not measured.
            _bench_registration(5, 1, timer, "warm")
            _bench_sign_in(5, 1, timer)
            results = [
                _bench_registration(args.count, 1, timer, "seq"),
                _bench_registration(args.count, args.threads, timer, "par"),
                _bench_sign_in(args.count, 1, timer),
                _bench_sign_in(args.count, args.threads, timer),
            ]
            table = _argon2_table(args.argon2_repeat)
        finally:
            if args.postgres:
                from django.db import connections

                connections.close_all()
                drop_postgres(PG_DB)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if args.postgres else "sqlite",
        "cpus": os.cpu_count(),
        "hasher": {
            "class": f"{type(hasher).__module__}.{type(hasher).__name__}",
            "time_cost": hasher.time_cost,
            "memory_mib": round(hasher.memory_cost / 1024, 1),
            "parallelism": hasher.parallelism,
        },
        "results": results,
        "argon2_candidates": table,
    }
    chosen = report["hasher"]
    print(
        f"\nMasthead accounts bench: {report['database']}, {report['cpus']} CPUs, hasher "
        f"t={chosen['time_cost']} m={chosen['memory_mib']} MiB p={chosen['parallelism']}\n"
    )
    header = ("measurement", "n", "p50 ms", "p99 ms", "req/s", "hash ms", "hash share")
    print("{:28} {:>4} {:>8} {:>8} {:>7} {:>8} {:>10}".format(*header))
    for row in results:
        print(
            f"{row['name']:28} {row['requests']:>4} {row['p50_ms']:>8} {row['p99_ms']:>8} "
            f"{row['throughput_per_s']:>7} {row['hash_mean_ms']:>8} {row['hash_share']:>10.1%}"
        )
    print(f"\n{'Argon2id parameters':28} {'t':>3} {'MiB':>6} {'p':>3} {'hash ms':>8}")
    for row in table:
        print(
            f"{row['parameters']:28} {row['time_cost']:>3} {row['memory_mib']:>6} "
            f"{row['parallelism']:>3} {row['hash_ms_p50']:>8}"
        )
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        name = f"accounts-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        (RESULTS_DIR / name).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nsaved bench/results/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
