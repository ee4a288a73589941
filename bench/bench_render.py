"""Rendering for signed-in readers, side by side with the peers: `make bench-render`
(or `.venv/bin/python bench/bench_render.py`).

What it measures, each figure as a ratio against anchors measured in the same run:
- the peers' article (`/work/shared/peers/article.json`: headline, standfirst, author,
  date, 10 paragraphs, section "Local", 20 comments with 4 replies) loaded into Masthead
  as a registration article, read by a signed-in reader (session cookie: private,
  rendered every time), and by an anonymous reader (lead-in and the wall), straight
  from the app;
- the front page and the "Local" section page (anonymous, straight from the app);
- the peers when they are up (`sudo /work/shared/peers/setup.sh`; their URLs are read
  from /tmp/peers/urls.env): WordPress uncached and nginx serving the saved page as a
  static file, the two anchors the targets are stated against;
- any extra target given as `--target NAME=URL` (for instance the same article through
  the shipped nginx or Varnish configuration in front of this run's app server: the
  placeholder `{app}` in URL is replaced by the app server's base URL, `{article}`,
  `{front}` and `{section}` by the paths under test; `--target-cookie NAME` sends the
  reader's session cookie to that target too).

Targets (issue 13): signed-in article >= 10x WordPress uncached (requests/s at 10
connections) and p50 <= 6 ms on one connection; anonymous article >= 10x WordPress;
front and section page within 1.5x of the article's figures.

Invariants: the site runs the production way (bench/run.py's environment: production
settings, collected static files, gunicorn, a PostgreSQL database and a Redis database
of its own, both emptied first; SQLite when PostgreSQL does not answer); every URL is
checked for the content it must carry (the signed-in reader gets the last paragraph,
the anonymous reader does not) before it is measured; targets are measured in
alternating rounds (A B C, A B C) and each figure is the median of the rounds, so a
burst of other work on this shared machine cannot land on one target only; every
process started here is stopped and the database dropped, even on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # bench/run.py: environment, server and wrk helpers

sys.path.insert(0, str(bench.ROOT))
from rigs import edge as edge_rig  # the shipped nginx and Varnish, as tests/edge runs them

ROOT = bench.ROOT
HOST = bench.HOST
ARTICLE_JSON = Path("/work/shared/peers/article.json")
PEERS_ENV = Path(os.environ.get("PEERS_STATE", "/tmp/peers")) / "urls.env"  # noqa: S108 (setup.sh writes it there)
SIGNED_IN_P50_TARGET_MS = 6.0
WORDPRESS_MULTIPLE = 10.0
LISTING_WITHIN = 1.5

SETUP_SCRIPT = r"""
import json, re
from datetime import datetime, timezone as tz
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from wagtail.models import Site
from masthead.access.api import Level
from masthead.community.models import Comment, Commenter, Conversation
from masthead.content.models import ArticleAuthor, ArticlePage, Author, SectionPage

data = json.loads(open({path!r}).read())
site = Site.objects.get(is_default_site=True)
home = site.root_page.specific
section = SectionPage.objects.filter(title=data["category"]).first()
if section is None:
    section = SectionPage(
        title=data["category"], slug=data["category"].lower(),
        default_access_level=Level.REGISTRATION, show_in_menus=True,
    )
    home.add_child(instance=section)
    section.save_revision().publish()
who = data["author"]
author, _ = Author.objects.get_or_create(
    slug=who["login"], defaults={{"name": who["name"], "role": "Reporter"}}
)
article = ArticlePage(
    title=data["headline"],
    slug=data["slug"],
    standfirst=data["standfirst"],
    body=[{{"type": "paragraph", "value": f"<p>{{p}}</p>"}} for p in data["paragraphs"]],
    access_level=Level.REGISTRATION,
)
article.bylines.add(ArticleAuthor(author=author, sort_order=0))
section.add_child(instance=article)
article.save_revision().publish()
published = datetime.fromisoformat(data["published"]).replace(tzinfo=tz.utc)
ArticlePage.objects.filter(pk=article.pk).update(first_published_at=published)

User = get_user_model()
conversation, _ = Conversation.objects.get_or_create(page=article)
commenters = {{}}
def commenter(name):
    if name not in commenters:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        user = User.objects.create_user(f"bench-{{slug}}@example.com", "bench-pass-1234567")
        commenters[name] = Commenter.objects.create(
            user=user, display_name=name, display_name_key=name.lower()
        )
    return commenters[name]
made = []
for item in data["comments"]:
    parent = made[item["parent"]] if item["parent"] is not None else None
    created = datetime.fromisoformat(item["date"]).replace(tzinfo=tz.utc)
    made.append(Comment.objects.create(
        conversation=conversation, author=commenter(item["author"]),
        parent=parent, root=(parent.root or parent) if parent else None,
        nest_parent=parent, depth=(parent.depth + 1) if parent else 0,
        body=item["text"], body_html=f"<p>{{item['text']}}</p>",
        status="published", created=created,
    ))
for c in made:
    c.reply_count = sum(1 for r in made if r.parent_id == c.pk)
    c.save(update_fields=["reply_count"])

reader = User.objects.create_user("bench-render-reader@example.com", "bench-pass-1234567")
client = Client()
client.force_login(reader)
def path(page):
    return re.sub(r"^https?://[^/]+", "", page.get_url())
print("SETUP=" + json.dumps({{
    "article": path(ArticlePage.objects.get(pk=article.pk)),
    "section": path(section),
    "front": path(home),
    "cookie_name": settings.SESSION_COOKIE_NAME,
    "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
    "comments": len(made),
    "replies": sum(1 for c in made if c.parent_id),
}}))
"""


@dataclass
class Target:
    name: str
    url: str
    headers: list[str] = field(default_factory=list)
    must_contain: str | None = None
    must_not_contain: str | None = None
    peer: bool = False
    runs: dict[int, list[bench.Measurement]] = field(default_factory=dict)
    size: int = 0


STATIC_MASTHEAD = "static nginx, Masthead"
EDGE_WITHIN_STATIC = 0.9


def _edge_targets(
    edges: list[Any], app: str, article: str, peers: dict[str, str], headline_html: str
) -> list[Target]:
    """Start the shipped caches in front of `app` (appended to `edges`, for stopping) and
    return their targets, plus the peers' nginx serving Masthead's anonymous article as a
    static file (the same bytes) when the peers are up."""
    targets = []
    for name in ("nginx", "varnish"):
        try:
            running = edge_rig.STARTERS[name](app)
        except edge_rig.EdgeUnavailable as error:
            bench.log(f"  {name}: not measured ({error})")
            continue
        edges.append(running)
        targets.append(
            Target(
                f"anonymous via {name}",
                running.url + article,
                must_contain=headline_html,
                peer=True,
            )
        )
    www = PEERS_ENV.parent / "www"
    if peers.get("STATIC_URL") and www.is_dir():
        with urllib.request.urlopen(app + article, timeout=30) as response:
            (www / "masthead.html").write_bytes(response.read())
        static_url = peers["STATIC_URL"].rsplit("/", 1)[0] + "/masthead.html"
        targets.append(Target(STATIC_MASTHEAD, static_url, must_contain=headline_html, peer=True))
    return targets


def read_peers() -> dict[str, str]:
    """STATIC_URL, WP_URL, ... from setup.sh's urls.env (shell `KEY=value` lines)."""
    found: dict[str, str] = {}
    if not PEERS_ENV.exists():
        return found
    for line in PEERS_ENV.read_text().splitlines():
        line = line.strip().removeprefix("export ").strip()
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip().strip("'\"")
    return found


def fetch(target: Target) -> int:
    """GET the URL once, as wrk will: 200, no redirect, with (and without) its markers."""
    request = urllib.request.Request(target.url)
    for header in target.headers:
        key, value = header.split(":", 1)
        request.add_header(key.strip(), value.strip())

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a: Any, **k: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{target.name}: {target.url} answered {exc.code}, not 200") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise SystemExit(
            f"{target.name}: {target.url} did not answer ({getattr(exc, 'reason', exc)})"
        ) from exc
    text = body.decode("utf-8", errors="replace")
    if status != 200:
        raise SystemExit(f"{target.name}: {target.url} answered {status}, not 200")
    if target.must_contain and target.must_contain not in text:
        raise SystemExit(f"{target.name}: {target.must_contain!r} missing from {target.url}")
    if target.must_not_contain and target.must_not_contain in text:
        raise SystemExit(f"{target.name}: {target.must_not_contain!r} present in {target.url}")
    return len(body)


def wrk(
    target: Target,
    server: bench.RunningServer,
    *,
    seconds: float,
    connections: int,
    threads: int,
    measure_cpu: bool = True,
) -> bench.Measurement:
    """bench/run.py's `wrk` on the target's URL: the app server's CPU per request is
    measured for the app's own targets, not for a peer or a cache in front of it."""
    return bench.wrk(
        server,
        target.name,
        "",
        url=target.url,
        headers=target.headers,
        seconds=seconds,
        connections=connections,
        threads=threads,
        server_cpu=measure_cpu and not target.peer,
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--reps", type=int, default=3, help="alternating rounds (medians)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per target")
    parser.add_argument("--connections", default="10,1", help="connection counts to measure")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn worker processes (0: cores + 1)"
    )
    parser.add_argument(
        "--worker-threads", type=int, default=1, help="threads per gunicorn worker (>1: gthread)"
    )
    parser.add_argument("--no-peers", action="store_true", help="leave the peers out")
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="an extra target; {app}, {article}, {front}, {section} are filled in",
    )
    parser.add_argument(
        "--edge",
        action="store_true",
        help="also measure the anonymous article through the shipped nginx and Varnish "
        "(deploy/), beside the peers' nginx serving the same bytes as a static file",
    )
    parser.add_argument(
        "--target-cookie",
        action="append",
        default=[],
        metavar="NAME",
        help="send the signed-in reader's session cookie to this extra target",
    )
    parser.add_argument("--quiet-busy", type=int, default=40, help="wait until CPU below %%")
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="...at most this long")
    parser.add_argument("--sqlite", action="store_true", help="SQLite + local-memory cache")
    parser.add_argument("--database", default="masthead_bench_render")
    parser.add_argument("--redis-db", type=int, default=9, help="Redis database (flushed)")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    return parser.parse_args(argv)


def cpu_busy() -> int:
    """Percent of all CPUs busy over one second (/proc/stat), as compare.sh measures."""

    def sample() -> list[int]:
        return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]

    a = sample()
    time.sleep(1)
    b = sample()
    idle = (b[3] + b[4]) - (a[3] + a[4])
    total = sum(b) - sum(a)
    return 100 * (total - idle) // total if total > 0 else 0


def wait_quiet(limit: int, wait: float) -> int:
    deadline = time.monotonic() + wait
    while True:
        busy = cpu_busy()
        if busy < limit or time.monotonic() >= deadline:
            return busy


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian package)")
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    workdir = Path(tempfile.mkdtemp(prefix="masthead-bench-render-"))
    if not args.keep:
        bench._cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    bench.log("== Masthead: rendering for signed-in readers, beside the peers")
    backend = bench.prepare_environment(args, workdir)
    bench.log(f"  database: {backend.database}; cache: {backend.cache}; {cores} cores")
    if args.keep:
        bench.log(f"  kept afterwards: the database and {workdir}")
    for step in (("migrate", "--noinput", "-v0"), ("collectstatic", "--noinput", "-v0")):
        bench.manage(backend, *step)
    # The demo newsroom gives the front page and sections their usual company; under
    # production settings it must be forced, with a strong password of this run's own.
    bench.manage(backend, "load_demo", "--force", "-v0")
    setup = bench.manage_shell(backend, SETUP_SCRIPT.format(path=str(ARTICLE_JSON)), "SETUP")
    if not setup:
        raise SystemExit("loading article.json failed")
    data = json.loads(ARTICLE_JSON.read_text())
    bench.log(
        f"  article: {setup['article']} ({len(data['paragraphs'])} paragraphs, "
        f"{setup['comments']} comments of which {setup['replies']} replies)"
    )

    workers = args.workers or cores + 1
    worker_class = "gthread" if args.worker_threads > 1 else "sync"
    spec = bench.ServerSpec(
        f"gunicorn-{worker_class}-w{workers}-t{args.worker_threads}",
        bench.gunicorn_argv(
            workers=workers, threads=args.worker_threads, worker_class=worker_class
        ),
        f"gunicorn, {workers} {worker_class} workers x {args.worker_threads} threads",
    )
    server = bench.start_server(spec, backend, workdir)
    bench.log(f"  app server: {spec.description} on {server.base}")
    cookie = f"Cookie: {setup['cookie_name']}={setup['cookie']}"
    last_paragraph = data["paragraphs"][-1][:60]
    headline_html = data["headline"].replace("'", "&#x27;")
    app = server.base
    targets = [
        Target(
            "signed-in article",
            app + setup["article"],
            headers=[cookie],
            must_contain=last_paragraph,
        ),
        Target(
            "anonymous article",
            app + setup["article"],
            must_contain=headline_html,
            must_not_contain=last_paragraph,
        ),
        Target("front page", app + setup["front"]),
        Target("section page", app + setup["section"], must_contain=headline_html),
    ]
    peers = {} if args.no_peers else read_peers()
    if peers.get("WP_URL"):
        targets.insert(0, Target("wordpress uncached", peers["WP_URL"], peer=True))
    if peers.get("STATIC_URL"):
        targets.insert(0, Target("static nginx", peers["STATIC_URL"], peer=True))
    if not args.no_peers and not peers:
        bench.log(f"  peers are not up ({PEERS_ENV} missing): measuring Masthead only")
    fill = {
        "{app}": app,
        "{article}": setup["article"],
        "{front}": setup["front"],
        "{section}": setup["section"],
    }
    for spec_text in args.target:
        name, _, url = spec_text.partition("=")
        for key, value in fill.items():
            url = url.replace(key, value)
        targets.append(
            Target(name, url, headers=[cookie] if name in args.target_cookie else [], peer=True)
        )

    edges: list[Any] = []
    if args.edge:
        targets.extend(_edge_targets(edges, app, setup["article"], peers, headline_html))

    conns = [int(c) for c in args.connections.split(",") if c.strip()]
    try:
        for t in targets:
            t.size = fetch(t)
        for c in conns:
            bench.log(f"\n== {c} connection(s): warm-up, then {args.reps} alternating rounds")
            for t in targets:
                if args.warmup > 0:
                    wrk(
                        t,
                        server,
                        seconds=args.warmup,
                        connections=c,
                        threads=args.threads,
                        measure_cpu=False,
                    )
            for rep in range(args.reps):
                for t in targets:
                    busy = wait_quiet(args.quiet_busy, args.quiet_wait)
                    m = wrk(t, server, seconds=args.duration, connections=c, threads=args.threads)
                    t.runs.setdefault(c, []).append(m)
                    bench.log(
                        f"  run {rep + 1} {t.name:<22} {m.requests_per_s:10.1f} req/s  p50 "
                        f"{m.p50_ms:8.2f} ms  p99 {m.p99_ms:8.2f} ms  busy_before {busy}%"
                        + ("" if m.clean else "  ERRORS")
                    )
    finally:
        for running_edge in edges:
            running_edge.stop()
        bench.stop_server(server)

    def figure(t: Target, c: int, key: str) -> float:
        return median([getattr(m, key) for m in t.runs.get(c, [])])

    by_name = {t.name: t for t in targets}
    wp = by_name.get("wordpress uncached")
    static = by_name.get("static nginx")
    bench.log(
        f"\n== Medians of {args.reps} alternating runs of {args.duration:.0f} s "
        f"(wrk -t{args.threads}; {spec.description})"
    )
    header = (
        f"{'target':<24}{'conns':>6}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'x WordPress':>13}{'x static':>10}{'cpu ms/req':>12}{'bytes':>9}"
    )
    bench.log(header)
    rows: list[dict[str, Any]] = []
    for c in conns:
        for t in targets:
            rps = figure(t, c, "requests_per_s")
            wp_rps = figure(wp, c, "requests_per_s") if wp else 0.0
            st_rps = figure(static, c, "requests_per_s") if static else 0.0
            cpu = [m.server_cpu_ms_per_request for m in t.runs.get(c, [])]
            cpu_ms = median([x for x in cpu if x]) if any(cpu) else None
            row = {
                "target": t.name,
                "url": t.url,
                "connections": c,
                "requests_per_s": rps,
                "p50_ms": figure(t, c, "p50_ms"),
                "p99_ms": figure(t, c, "p99_ms"),
                "x_wordpress": rps / wp_rps if wp_rps else None,
                "x_static": rps / st_rps if st_rps else None,
                "server_cpu_ms_per_request": cpu_ms,
                "bytes": t.size,
                "runs_requests_per_s": [m.requests_per_s for m in t.runs.get(c, [])],
                "clean": all(m.clean for m in t.runs.get(c, [])),
            }
            rows.append(row)
            bench.log(
                f"{t.name:<24}{c:>6}{rps:>11.1f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
                + (f"{row['x_wordpress']:>13.2f}" if row["x_wordpress"] else f"{'-':>13}")
                + (f"{row['x_static']:>10.4f}" if row["x_static"] else f"{'-':>10}")
                + (f"{cpu_ms:>12.2f}" if cpu_ms else f"{'-':>12}")
                + f"{t.size:>9}"
                + ("" if row["clean"] else "  ERRORS")
            )

    def get(name: str, c: int, key: str) -> float | None:
        for row in rows:
            if row["target"] == name and row["connections"] == c:
                return row[key]
        return None

    verdicts: list[tuple[str, bool | None]] = []
    c_load = conns[0]
    signed = get("signed-in article", c_load, "x_wordpress")
    anon = get("anonymous article", c_load, "x_wordpress")
    verdicts.append((f"signed-in article >= {WORDPRESS_MULTIPLE:.0f}x WordPress", None))
    if signed is not None:
        verdicts[-1] = (verdicts[-1][0] + f" ({signed:.1f}x)", signed >= WORDPRESS_MULTIPLE)
    if 1 in conns:
        p50 = get("signed-in article", 1, "p50_ms") or 0.0
        verdicts.append(
            (
                f"signed-in article p50 at 1 connection <= {SIGNED_IN_P50_TARGET_MS:.0f} ms "
                f"({p50:.2f} ms)",
                p50 <= SIGNED_IN_P50_TARGET_MS,
            )
        )
    verdicts.append((f"anonymous article >= {WORDPRESS_MULTIPLE:.0f}x WordPress", None))
    if anon is not None:
        verdicts[-1] = (verdicts[-1][0] + f" ({anon:.1f}x)", anon >= WORDPRESS_MULTIPLE)
    article_rps = get("anonymous article", c_load, "requests_per_s") or 0.0
    for name in ("front page", "section page"):
        rps = get(name, c_load, "requests_per_s") or 0.0
        ratio = article_rps / rps if rps else float("inf")
        verdicts.append(
            (
                f"{name} within {LISTING_WITHIN}x of the anonymous article's req/s "
                f"(article/{name.split()[0]} = {ratio:.2f})",
                ratio <= LISTING_WITHIN,
            )
        )
    static_bytes = get(STATIC_MASTHEAD, c_load, "requests_per_s")
    for name in ("nginx", "varnish"):
        through = get(f"anonymous via {name}", c_load, "requests_per_s")
        if through is None:
            continue
        ratio = through / static_bytes if static_bytes else None
        verdicts.append(
            (
                f"anonymous article through the shipped {name} >= {EDGE_WITHIN_STATIC}x "
                f"nginx serving the same bytes" + (f" ({ratio:.2f}x)" if ratio is not None else ""),
                None if ratio is None else ratio >= EDGE_WITHIN_STATIC,
            )
        )
    bench.log("\n== Targets")
    for text, ok in verdicts:
        mark = "n/a (no peers)" if ok is None else ("meets" if ok else "MISSES")
        bench.log(f"  {mark:<15} {text}")

    payload = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": bench.git_revision(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {"cores": cores, "load_average_1m_after": os.getloadavg()[0]},
        "database": backend.database,
        "cache": backend.cache,
        "server": spec.description,
        "settings": {
            "duration_s": args.duration,
            "reps": args.reps,
            "warmup_s": args.warmup,
            "connections": conns,
            "wrk_threads": args.threads,
        },
        "article": setup["article"],
        "results": rows,
        "targets": [{"what": text, "meets": ok} for text, ok in verdicts],
        "total_s": round(time.perf_counter() - started, 1),
    }
    output = args.output or bench.RESULTS_DIR / (
        "render-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ".json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    bench.log(f"\nresults written to {output} (total {payload['total_s']} s)")
    return 0 if all(r["clean"] for r in rows) else 1


if __name__ == "__main__":
    bench.run_main(main)
