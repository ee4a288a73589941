"""The wall and the meter, measured: `.venv/bin/python bench/bench_access.py`.

Three figures, each a ratio against a baseline measured in the same run:
1. The meter's cost: the same registered reader opening a premium article (counted
   against the allowance) against opening a free article identical to it in every
   other way, in-process (Django's test client, no network), p50 and p90 over many
   alternating requests. Target: at most
   3 ms more at p50. (The query count, at most 2 more, is asserted by
   masthead/access/tests/test_meter.py::test_the_meter_costs_at_most_two_queries.)
2. Exactness under load: two separate gunicorn app servers on one PostgreSQL and one
   Redis, 50 concurrent connections of mixed anonymous and registered readers opening
   premium, registration and free articles. There must be no error, and afterwards
   every reader's meter must be exact: the premium articles they were given in full are
   exactly the ones recorded, the month's count equals their number and never exceeds
   the allowance, and a reader who asked for more than the allowance used all of it.
3. The anonymous gated article served from a shared cache (nginx `proxy_cache`, as a
   CDN would) against the trivial baseline view /healthz through the same nginx, with
   the uncached gated article (straight from the app) for reference.

Invariants: reuses bench/run.py's environment and server helpers (production settings,
a database of its own: PostgreSQL `masthead_bench_access` and Redis database 10, both
emptied first); every process started here is stopped and the database dropped, even
on failure; only loopback is used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # bench/run.py, the first benchmark: its helpers

sys.path.insert(0, str(bench.ROOT))
from rigs import nginx

ROOT = bench.ROOT
HOST = bench.HOST
METER_TARGET_MS = 3.0
ALLOWANCE = 3
EXTRA_PREMIUM = 20
READERS = 40

SETUP_SCRIPT = """
import json
from django.test import Client
from wagtail.models import Site
from masthead.access.api import Level
from masthead.access.models import AccessSettings
from masthead.content.models import SectionPage
from masthead.content.selectors import live_articles
from rigs.newsroom import make_article, paragraph
from django.contrib.auth import get_user_model
from django.conf import settings

site = Site.objects.get(is_default_site=True)
config = AccessSettings.for_site(site)
config.premium_allowance = {allowance}
config.save()
section = SectionPage.objects.filter(default_access_level=Level.PREMIUM).first()
for i in range({extra}):
    make_article(
        section=section, title=f"Bench premium {{i}}", hero=False,
        body=[paragraph(f"Paragraph {{j}} of bench premium {{i}}. " * 8) for j in range(8)],
    )
User = get_user_model()
readers = []
for i in range({readers}):
    user = User.objects.create_user(f"bench-reader-{{i}}@example.com", "bench-pass-1234567")
    client = Client()
    client.force_login(user)
    readers.append({{"id": user.pk, "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value}})
def path(a):
    import re
    return re.sub(r"^https?://[^/]+", "", a.get_url())
articles = list(live_articles())
print("SETUP=" + json.dumps({{
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "free": [path(a) for a in articles if a.level is Level.FREE],
    "registration": [path(a) for a in articles if a.level is Level.REGISTRATION],
    "premium": [path(a) for a in articles if a.level is Level.PREMIUM],
    "premium_ids": {{path(a): a.pk for a in articles if a.level is Level.PREMIUM}},
    "readers": readers,
}}))
"""

METER_SCRIPT = """
import json, statistics, time
from django.test import Client
from django.contrib.auth import get_user_model
from masthead.access.models import AccessSettings, MeterMonth, MeterRead
from masthead.content.selectors import live_articles
from wagtail.models import Site

config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
config.premium_allowance = 30000
config.save()
user = get_user_model().objects.create_user("bench-meter@example.com", "bench-pass-1234567")
client = Client(SERVER_NAME="127.0.0.1")
client.force_login(user)
# Twin articles, identical but for their access level, so only the meter differs.
from masthead.access.api import Level
from masthead.content.models import SectionPage
import itertools
from rigs import newsroom as factories
from rigs.newsroom import make_article, paragraph
factories._counter = itertools.count(100000)  # slugs clear of the set-up's articles
body = [paragraph(f"Paragraph {{j}} of the twin article. " * 10) for j in range(10)]
def twin(level):
    section = SectionPage.objects.filter(default_access_level=level).first()
    return make_article(
        section=section, title=f"Twin {{level}}", body=body, hero=False, tags=["twin"]
    )
premium = twin(Level.PREMIUM)
free = twin(Level.FREE)
for _ in range(20):
    client.get(premium.get_url()); client.get(free.get_url())
counted, plain = [], []
for i in range({iterations}):
    # So the next open counts again, as a reader's 2nd..Nth article of a month would.
    MeterRead.objects.filter(user=user).delete()
    MeterMonth.objects.filter(user=user).update(used=1)
    for which in ((0, 1) if i % 2 else (1, 0)):
        url = premium.get_url() if which == 0 else free.get_url()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if which == 0:
            assert b"article__gated" in response.content, "the premium article was not opened"
            counted.append(elapsed)
        else:
            plain.append(elapsed)
assert MeterMonth.objects.get(user=user).used == 2
def q(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]
print("METER=" + json.dumps({{
    "iterations": {iterations},
    "premium_counted_p50_ms": statistics.median(counted),
    "premium_counted_p90_ms": q(counted, 0.9),
    "free_p50_ms": statistics.median(plain),
    "free_p90_ms": q(plain, 0.9),
}}))
"""

CHECK_SCRIPT = """
import json
from collections import defaultdict
from masthead.access.models import MeterMonth, MeterRead
reads = defaultdict(list)
for user_id, article_id in MeterRead.objects.values_list("user_id", "article_id"):
    reads[user_id].append(article_id)
used = defaultdict(int)
for user_id, n in MeterMonth.objects.values_list("user_id", "used"):
    used[user_id] += n
print("CHECK=" + json.dumps({{"reads": reads, "used": used}}))
"""


def shell(backend: bench.Backend, script: str, marker: str) -> Any:
    found = bench.manage_shell(backend, script, marker)
    if found is None:
        raise SystemExit(f"the {marker} step failed")
    return found


# --------------------------------------------------------------------------------------
# 2. Mixed load on two app servers, then the meter audit
# --------------------------------------------------------------------------------------
@dataclass
class LoadResult:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    granted: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    asked: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    leaks: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)


def mixed_load(
    ports: list[int], setup: dict[str, Any], total: int, connections: int, seed: int = 7
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    remaining = [total]
    cookie_name = setup["session_cookie"]
    readers = setup["readers"]
    premium, registration, free = setup["premium"], setup["registration"], setup["free"]

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)  # noqa: S311 (a reproducible mix)
        port = ports[index % len(ports)]
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            headers = {"Host": f"{HOST}:{port}", "Accept": "text/html"}
            if rng.random() < 0.6:
                reader = rng.choice(readers)
                headers["Cookie"] = f"{cookie_name}={reader['cookie']}"
                roll = rng.random()
                path = rng.choice(premium if roll < 0.7 else registration if roll < 0.85 else free)
                kind = "registered"
            else:
                reader = None
                path = rng.choice(premium + registration + free)
                kind = "anonymous"
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                with lock:
                    result.errors.append(f"{kind} {path}: {exc!r}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            full = b'class="article__gated"' in body
            with lock:
                result.requests += 1
                result.latencies_ms.append(elapsed)
                result.by_kind[kind] += 1
                if status != 200:
                    result.errors.append(f"{kind} {path}: HTTP {status}")
                if reader is not None and path in premium:
                    result.asked[reader["id"]].add(path)
                    if full:
                        result.granted[reader["id"]].add(path)
                if reader is None and full:
                    result.leaks += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    result.seconds = time.perf_counter() - started
    return result


def audit(result: LoadResult, check: dict[str, Any], setup: dict[str, Any]) -> list[str]:
    """Every way the meter could be wrong, as messages (empty when exact)."""
    ids = setup["premium_ids"]
    problems = []
    reads = {int(k): set(v) for k, v in check["reads"].items()}
    used = {int(k): v for k, v in check["used"].items()}
    for reader in setup["readers"]:
        rid = reader["id"]
        granted = {ids[p] for p in result.granted.get(rid, set())}
        asked = {ids[p] for p in result.asked.get(rid, set())}
        recorded = reads.get(rid, set())
        count = used.get(rid, 0)
        if granted != recorded:
            problems.append(f"reader {rid}: given {sorted(granted)}, recorded {sorted(recorded)}")
        if count != len(recorded):
            problems.append(f"reader {rid}: count {count} but {len(recorded)} articles recorded")
        if count > ALLOWANCE:
            problems.append(f"reader {rid}: {count} premium articles, allowance {ALLOWANCE}")
        if len(asked) >= ALLOWANCE and count != ALLOWANCE:
            problems.append(f"reader {rid}: asked for {len(asked)}, only {count} counted")
    return problems


# --------------------------------------------------------------------------------------
# 3. nginx as the shared cache
# --------------------------------------------------------------------------------------
def start_nginx(upstream_port: int, cookie: str) -> int | None:
    """The recommended shared cache (rigs/nginx.py, as the leak test uses) in front of
    the app; None when nginx is absent."""
    try:
        rig = nginx.start(f"{HOST}:{upstream_port}", session_cookie=cookie, setups=["recommended"])
    except nginx.NginxUnavailable as why:
        bench.log(f"{why}: skipping the cached figure")
        return None
    bench._cleanups.append(rig.stop)
    return rig.ports["recommended"]


def cache_status(port: int, path: str) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("GET", path, headers={"Host": f"{HOST}:{port}", "Accept": "text/html"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("X-Cache-Status", "")


# --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--iterations", type=int, default=300, help="meter: request pairs")
    parser.add_argument("--requests", type=int, default=4000, help="mixed load: requests")
    parser.add_argument("--connections", type=int, default=50, help="mixed load: connections")
    parser.add_argument("--duration", type=float, default=8.0, help="wrk seconds per URL")
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--database", default="masthead_bench_access")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    args.sqlite = False
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="masthead-bench-access-"))
    if not args.keep:
        bench._cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    bench.log("== Masthead access benchmark")
    backend = bench.prepare_environment(args, workdir)
    if not backend.database.startswith("PostgreSQL") or "Redis" not in backend.cache:
        raise SystemExit("this benchmark needs PostgreSQL and Redis on 127.0.0.1")
    bench.log(f"  database: {backend.database}; cache: {backend.cache}")
    for step in (("migrate", "--noinput", "-v0"), ("collectstatic", "--noinput", "-v0")):
        bench.manage(backend, *step)
    bench.manage(backend, "load_demo", "--force", "-v0")
    setup = shell(
        backend,
        SETUP_SCRIPT.format(allowance=ALLOWANCE, extra=EXTRA_PREMIUM, readers=READERS),
        "SETUP",
    )
    bench.log(
        f"  {len(setup['premium'])} premium, {len(setup['registration'])} registration, "
        f"{len(setup['free'])} free articles; {len(setup['readers'])} signed-in readers; "
        f"allowance {ALLOWANCE}"
    )
    payload: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": bench.git_revision(),
        "machine": {"cores": os.cpu_count()},
        "database": backend.database,
        "cache": backend.cache,
    }
    ok = True

    # 2 first (the meter step below changes the allowance).
    bench.log(f"\n== Mixed load: two gunicorn servers, {args.connections} connections")
    spec = bench.ServerSpec(
        "gunicorn-gthread-w1-t8",
        bench.gunicorn_argv(workers=1, threads=8, worker_class="gthread"),
        "gunicorn, 1 process x 8 threads",
    )
    servers = [bench.start_server(spec, backend, workdir) for _ in range(2)]
    try:
        load = mixed_load([s.port for s in servers], setup, args.requests, args.connections)
    finally:
        for server in servers:
            bench.stop_server(server)
    check = shell(backend, CHECK_SCRIPT.format(), "CHECK")
    problems = audit(load, check, setup)
    lat = sorted(load.latencies_ms) or [0.0]
    exact = not problems and not load.errors and load.leaks == 0
    ok &= exact
    bench.log(
        f"  {load.requests} requests in {load.seconds:.1f} s ({load.requests / load.seconds:.0f}"
        f" req/s; p50 {lat[len(lat) // 2]:.1f} ms, p99 {lat[int(len(lat) * 0.99)]:.1f} ms); "
        f"{dict(load.by_kind)}; errors: {len(load.errors)}; visitor got full text: {load.leaks}"
    )
    counted = sum(len(v) for v in check["reads"].values())
    bench.log(
        f"  meter audit: {'EXACT' if not problems else 'WRONG'} ({counted} premium articles "
        f"counted for {len(check['used'])} readers, none over {ALLOWANCE})"
    )
    for line in (load.errors + problems)[:20]:
        bench.log("    " + line)
    payload["mixed_load"] = {
        "servers": 2,
        "server": spec.description,
        "connections": args.connections,
        "requests": load.requests,
        "seconds": round(load.seconds, 2),
        "requests_per_s": round(load.requests / load.seconds, 1),
        "p50_ms": lat[len(lat) // 2],
        "p99_ms": lat[int(len(lat) * 0.99)],
        "errors": len(load.errors),
        "anonymous_full_text": load.leaks,
        "meter_problems": problems,
        "meter_exact": not problems,
        "premium_articles_counted": counted,
    }

    # 3. The cached anonymous gated article against /healthz.
    bench.log("\n== The anonymous gated article from a shared cache (nginx) vs /healthz")
    server = bench.start_server(spec, backend, workdir)
    try:
        gated = setup["registration"][0]
        nginx_port = start_nginx(server.port, setup["session_cookie"])
        rows = []
        if nginx_port is not None:
            cache_status(nginx_port, gated)
            status = cache_status(nginx_port, gated)
            bench.log(f"  {gated}: X-Cache-Status {status}")
            ok &= status == "HIT"
            via = bench.RunningServer(server.spec, nginx_port, server.proc, server.log_path)
            for label, target, path in (
                ("baseline /healthz (via nginx)", via, "/healthz"),
                ("gated article, cached (nginx)", via, gated),
                ("gated article, uncached (app)", server, gated),
            ):
                bench.check_url(target, path, None)
                m = bench.wrk(
                    target,
                    label,
                    path,
                    seconds=args.duration,
                    connections=args.wrk_connections,
                    threads=2,
                )
                ok &= m.clean
                rows.append(m)
            base = rows[0]
            for m in rows:
                ratio = m.requests_per_s / base.requests_per_s if base.requests_per_s else 0
                p50 = m.p50_ms / base.p50_ms if base.p50_ms else 0
                bench.log(
                    f"  {m.label:<32} {m.requests_per_s:9.1f} req/s  p50 {m.p50_ms:7.2f} ms  "
                    f"x{ratio:.2f} throughput, x{p50:.2f} p50 vs /healthz"
                    + ("" if m.clean else "  ERRORS")
                )
            payload["cached_gated"] = [
                {
                    "label": m.label,
                    "path": m.path,
                    "requests_per_s": m.requests_per_s,
                    "p50_ms": m.p50_ms,
                    "p99_ms": m.p99_ms,
                    "clean": m.clean,
                    "requests_per_s_ratio": m.requests_per_s / base.requests_per_s
                    if base.requests_per_s
                    else None,
                }
                for m in rows
            ]
    finally:
        bench.stop_server(server)

    # 1. The meter's cost, in-process.
    bench.log(f"\n== The meter's cost: {args.iterations} alternating pairs, in-process")
    meter = shell(backend, METER_SCRIPT.format(iterations=args.iterations), "METER")
    extra = meter["premium_counted_p50_ms"] - meter["free_p50_ms"]
    meets = extra <= METER_TARGET_MS
    ok &= meets
    bench.log(
        f"  free article p50 {meter['free_p50_ms']:.2f} ms (p90 {meter['free_p90_ms']:.2f}); "
        f"premium, counted p50 {meter['premium_counted_p50_ms']:.2f} ms "
        f"(p90 {meter['premium_counted_p90_ms']:.2f})"
    )
    bench.log(
        f"  the meter adds {extra:+.2f} ms at p50 (ratio "
        f"{meter['premium_counted_p50_ms'] / meter['free_p50_ms']:.3f}); target <= "
        f"{METER_TARGET_MS:.0f} ms: {'meets' if meets else 'MISSES'}"
    )
    payload["meter"] = meter | {"extra_p50_ms": extra, "target_ms": METER_TARGET_MS}

    payload["total_s"] = round(time.perf_counter() - started, 1)
    payload["ok"] = bool(ok)
    output = args.output or bench.RESULTS_DIR / (
        "access-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ".json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    bench.log(f"\nresults written to {output} (total {payload['total_s']} s); ok={ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    bench.run_main(main)
