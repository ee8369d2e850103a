"""The benchmark, in one command: generate (or reuse) a city, serve it as production does, load
every page with wrk next to the "floor" app, and write docs/performance.md.

    uv run python -m bench.run --size small --duration 10
    uv run python -m bench.run --size city --duration 10
    uv run python -m bench.run --size small --only feed,offer --repeats 1   # a quick look

Needs wrk (Debian: apt-get install -y wrk). See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urljoin

import asyncpg
import httpx

from bench import measure, report
from bench.generate import prepare_database
from bench.pg import BENCH_PGDATA, database_name, postmaster_pid
from bench.scenarios import SCENARIOS, Request, Sample, Scenario, User, resolve, route_table
from streetshare.paths import PROJECT_DIR

log = logging.getLogger("bench")

VAR = PROJECT_DIR / "var" / "bench"
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
DOC = PROJECT_DIR / "docs" / "performance.md"
VENV_BIN = Path(sys.executable).parent
SIGNIN_KEYS = {"signin", "api_token"}


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, port: int, workers: int) -> dict[str, str]:
    """The environment compose.yaml gives the app (production mode, a real secret), on the bench database."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("STREETSHARE_", "SMTP_", "DB_POOL_")) and k not in {
            "DATABASE_URL", "SECRET_KEY", "BASE_URL", "MAIL_FROM", "LOG_LEVEL", "WEB_CONCURRENCY"}
    }
    env.update({
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "STREETSHARE_MODE": "production",
        "STREETSHARE_DATA_DIR": str(VAR / "data"),
        # Behind a reverse proxy, as in production; lets sign-in requests come from many addresses.
        "STREETSHARE_TRUST_PROXY": "true",
        "WEB_CONCURRENCY": str(workers),
    })
    return env


_STARTED: list["Server"] = []


def _stop_started(*_: object) -> None:
    for server in list(_STARTED):
        server.stop()


_SIGNALS = []


def _on_signal(signum: int, _frame: object) -> None:
    """Ctrl-C or a TERM: stop the servers this run started, then leave (at once on a second signal,
    e.g. while COPY connections are being cancelled)."""
    _SIGNALS.append(signum)
    _stop_started()
    if len(_SIGNALS) > 1:
        os._exit(128 + signum)
    raise SystemExit(128 + signum)


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, name: str, command: list[str], env: dict[str, str], port: int) -> "Server":
        VAR.mkdir(parents=True, exist_ok=True)
        log_file = VAR / f"{name}.log"
        out = log_file.open("wb")
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_DIR,
                                   start_new_session=True)
        out.close()
        server = cls(name, process, port, log_file)
        _STARTED.append(server)
        return server

    async def wait_ready(self, path: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited ({self.process.returncode}); see {self.log_file}")
                try:
                    if (await client.get(self.url + path)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer {path} within {timeout} s; see {self.log_file}")

    def stop(self) -> None:
        """Stop the server we started: its own process group (the master and its workers)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------- who asks for what


async def make_sample(conn: asyncpg.Connection, people: int, seed: int) -> Sample:
    """Residents, offers, exchanges and coordinators to load the pages with, the same every run."""
    rng = Random(f"bench-sample:{seed}")
    tables = {r["table_name"] for r in await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    users: dict[int, User] = {}

    def user(resident: int, street: int) -> User:
        return users.setdefault(resident, User(resident, street))

    s = Sample()
    s.residents = await conn.fetchval("SELECT count(*) FROM resident")
    rows = await conn.fetch(
        "SELECT id, street FROM resident WHERE street IS NOT NULL AND is_active ORDER BY md5(id::text || $1) LIMIT $2",
        str(seed), people,
    )
    s.users = [user(r["id"], r["street"]) for r in rows]
    s.newest_at = await conn.fetchval("SELECT max(created_at) FROM offer")
    for street in sorted({u.street for u in s.users}):
        titles = await conn.fetch(
            """SELECT id, title FROM offer WHERE street = $1 AND status = 'active' AND hidden_at IS NULL
               ORDER BY created_at DESC, id DESC LIMIT 20""", street)
        s.newest_titles[street] = {t["title"] for t in titles}
        if titles:
            s.newest_offers[street] = titles[0]["id"]
    for u in s.users:
        offer = await conn.fetchval(
            """
            SELECT o.id FROM offer o
            WHERE o.street = $1 AND o.status = 'active' AND o.hidden_at IS NULL AND o.owner <> $2
              AND NOT EXISTS (SELECT 1 FROM resident_block b
                              WHERE (b.blocker = $2 AND b.blocked = o.owner) OR (b.blocker = o.owner AND b.blocked = $2))
            ORDER BY md5(o.id::text) LIMIT 1
            """, u.street, u.id)
        if offer:
            s.offers.append((offer, u))
    if "exchange" in tables:
        top = await conn.fetchval("SELECT max(id) FROM exchange") or 0
        if top:
            ids = sorted({rng.randint(1, top) for _ in range(people)})
            rows = await conn.fetch(
                """SELECT e.id, r.id AS viewer, r.street FROM exchange e
                   JOIN resident r ON r.id = CASE WHEN e.id % 2 = 0 THEN e.provider ELSE e.recipient END
                   WHERE e.id = ANY($1::int[]) AND r.street IS NOT NULL""", ids)
            s.exchanges = [(r["id"], user(r["viewer"], r["street"])) for r in rows]
    rows = await conn.fetch(
        """SELECT DISTINCT ON (c.street) c.street, c.resident, r.street AS home
           FROM street_coordinator c JOIN resident r ON r.id = c.resident
           ORDER BY c.street, c.appointed_at, c.id""")
    rows = sorted(rows, key=lambda r: Random(f"{seed}:{r['street']}").random())[:people]
    s.coordinators = [(r["street"], user(r["resident"], r["home"])) for r in rows]
    busiest = await conn.fetchrow(
        """SELECT r.street, count(*) AS members FROM resident r WHERE r.street IS NOT NULL
           GROUP BY r.street ORDER BY count(*) DESC, r.street LIMIT 1""")
    if busiest and busiest["members"] >= 1000:
        coordinator = await conn.fetchrow(
            """SELECT c.resident, r.street FROM street_coordinator c JOIN resident r ON r.id = c.resident
               WHERE c.street = $1 ORDER BY c.appointed_at, c.id LIMIT 1""", busiest["street"])
        if coordinator:
            s.busiest = (busiest["street"], user(coordinator["resident"], coordinator["street"]))
    s.neighbours = float(await conn.fetchval(
        """SELECT avg((SELECT count(*) FROM street n WHERE n.id <> s.id AND earth_distance(
               ll_to_earth(s.centre_lat, s.centre_lng), ll_to_earth(n.centre_lat, n.centre_lng)) <= 1609))
           FROM street s WHERE s.id = ANY($1::int[])""", [u.street for u in s.users]) or 0)
    s.signin_offset = secrets.randbelow(1_000_000)
    return s


def _everyone(sample: Sample) -> list[User]:
    """Every sampled resident whose requests are replayed, once each."""
    everyone = {u.id: u for u in [*sample.users, *(u for _, u in sample.offers + sample.exchanges + sample.coordinators)]}
    if sample.busiest:
        everyone[sample.busiest[1].id] = sample.busiest[1]
    return list(everyone.values())


async def create_tokens(sample: Sample) -> None:
    """A web session and an API token for every sampled resident, through the accounts service."""
    from streetshare.accounts.service import start_session

    for u in _everyone(sample):
        u.session = await start_session(u.id, kind="session", label="bench", days=30)
        u.api = await start_session(u.id, kind="api", label="bench", days=None)


async def csrf_token(app: Server) -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(app.url + "/signin")
        return response.cookies.get("streetshare_csrf", "")


# ---------------------------------------------------------------- preflight and page weight


@dataclass
class Plan:
    scenario: Scenario
    status: str  # measured, not built yet, failing, no data
    template: str | None = None
    detail: str = ""
    page_bytes: int = 0  # uncompressed body, median of the probes
    wire_bytes: int = 0  # gzip body as served, median of the probes
    runs: list[dict[str, Any]] = field(default_factory=list)


async def preflight(app: Server, scenario: Scenario, template: str | None, sample: Sample, probes: int) -> Plan:
    """Check a few of the scenario's requests before loading it: right status, and a real page."""
    if template is None:
        return Plan(scenario, "not built yet", detail="no route: " + " or ".join(scenario.candidates))
    requests = scenario.build(sample, template, 99)
    if not requests:
        return Plan(scenario, "no data", template, scenario.no_data_hint)
    count = 2 if scenario.key in SIGNIN_KEYS else probes
    step = max(1, len(requests) // count)
    sizes, wires, failures, verified = [], [], [], 0
    async with httpx.AsyncClient(base_url=app.url, timeout=60, follow_redirects=False) as client:
        for method, path, headers, body in requests[::step][:count]:
            client.cookies.clear()
            response = await client.request(method, path, headers=headers, content=body)
            if response.status_code != scenario.expected:
                failures.append(f"{method} {path} -> {response.status_code}: {response.text[:200]!r}")
                continue
            sizes.append(len(response.content))
            wires.append(response.num_bytes_downloaded)
            if scenario.verify is None or scenario.verify(sample, (method, path, headers, body), response.text):
                verified += 1
    plan = Plan(scenario, "measured", template,
                page_bytes=int(statistics.median(sizes)) if sizes else 0,
                wire_bytes=int(statistics.median(wires)) if wires else 0)
    if failures:
        plan.status = "failing"
        plan.detail = f"{len(failures)} of {min(count, len(requests))} probes: " + failures[0]
    elif verified == 0 and scenario.verify is not None:
        plan.status = "not built yet"
        plan.detail = scenario.not_built_hint or "the page does not show what it should yet"
    return plan


class Assets(HTMLParser):
    """What a browser fetches for the first screen: stylesheets, scripts, icons, eager images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = a.get("rel", "").lower().split()
        if tag == "link" and "stylesheet" in rel and a.get("href"):
            self.urls.append(("css", a["href"]))
        elif tag == "link" and "icon" in rel and a.get("href"):
            self.urls.append(("icon", a["href"]))
        elif tag == "script" and a.get("src"):
            self.urls.append(("js", a["src"]))
        elif tag == "img" and a.get("src") and a.get("loading", "").lower() != "lazy":
            self.urls.append(("image", a["src"]))


async def page_weight(app: Server, path: str, user: User | None) -> dict[str, Any]:
    """Bytes a phone downloads for a page: HTML and first-screen assets, gzip as served, plus headers."""
    headers = user.cookie() if user else dict(measure_gzip())
    items: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:

        async def fetch(kind: str, url: str, extra: dict[str, str]) -> httpx.Response:
            client.cookies.clear()
            response = await client.get(url, headers={**extra, "Accept-Encoding": "gzip"})
            header_bytes = sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 17
            items.append({"kind": kind, "url": url.split("?")[0], "status": response.status_code,
                          "body": response.num_bytes_downloaded, "headers": header_bytes,
                          "encoding": response.headers.get("content-encoding", "identity")})
            return response

        page = await fetch("html", path, headers)
        parser = Assets()
        parser.feed(page.text)
        seen = set()
        for kind, url in parser.urls:
            absolute = urljoin(path, url)
            if absolute.startswith(("http://", "https://", "//")) or absolute in seen:
                continue
            seen.add(absolute)
            response = await fetch(kind, absolute, {})
            if kind == "css":
                import re

                for ref in re.findall(r"url\(['\"]?([^'\")]+)['\"]?\)", response.text):
                    if ref.startswith("data:"):
                        continue
                    ref_url = urljoin(absolute, ref)
                    if ref_url not in seen:
                        seen.add(ref_url)
                        await fetch("css asset", ref_url, {})
    body = sum(i["body"] for i in items)
    header = sum(i["headers"] for i in items)
    return {"path": path, "items": items, "body_bytes": body, "header_bytes": header, "total_bytes": body + header}


def measure_gzip() -> dict[str, str]:
    return {"Accept-Encoding": "gzip"}


# ---------------------------------------------------------------- load runs


@dataclass
class Meters:
    app: measure.ProcessTree
    floor: measure.ProcessTree
    postgres: measure.ProcessTree
    statements: measure.StatementTime
    conn: asyncpg.Connection
    database_url: str


async def churn(database_url: str, offers: list[int], per_second: float, stop: asyncio.Event) -> int:
    """Edit the given offers in turn, `per_second` commits a second, on a connection of its own, until
    `stop`; returns how many were written. Each edit raises its street's feed change number (as any
    neighbour's edit does), so the pages the app kept for that street are read again: the feed cache
    measured while the street is alive, not only while it is still. The writes' PostgreSQL CPU counts
    in the page's cost."""
    conn = await asyncpg.connect(database_url)
    written = 0
    try:
        start = time.perf_counter()
        while not stop.is_set():
            await conn.execute("UPDATE offer SET updated_at = clock_timestamp() WHERE id = $1",
                               offers[written % len(offers)])
            written += 1
            delay = start + written / per_second - time.perf_counter()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
    finally:
        await conn.close()
    return written


async def load_once(server: Server, tree: measure.ProcessTree, meters: Meters, requests: list[Request], key: str,
                    args: argparse.Namespace, duration: int, log_offset: int, *,
                    writes: tuple[list[int], float] | None = None) -> tuple[dict[str, Any], int]:
    """One measurement of one page; with `writes` (offers, changes a second), `churn` edits those
    offers while wrk runs."""
    script = VAR / "lua" / f"{key}.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(measure.wrk_script(requests))
    if key in SIGNIN_KEYS:
        await meters.conn.execute("DELETE FROM rate_limit_hit")
    await meters.statements.reset()
    is_app = server.name == "app"
    cpu_app, cpu_pg = tree.cpu_seconds(), meters.postgres.cpu_seconds()
    stop = asyncio.Event()
    writer = asyncio.create_task(churn(meters.database_url, *writes, stop)) if writes and writes[0] else None
    started = time.perf_counter()
    with measure.PeakMemory(tree) as memory:
        try:
            result = await measure.run_wrk(server.url, script, duration=duration, connections=args.connections,
                                           threads=args.threads)
        finally:
            stop.set()
            written = await writer if writer else 0
        loaded_s = time.perf_counter() - started
        # Requests still in flight when wrk stopped finish now, inside this measurement, not the next one.
        await measure.quiesce(tree, server.port, meters.conn, meters.statements.database)
    cpu_app, cpu_pg = tree.cpu_seconds() - cpu_app, meters.postgres.cpu_seconds() - cpu_pg
    statements = await meters.statements.totals()
    if is_app:
        own = {(method, path.split("?")[0]) for method, path, _, _ in requests}
        statuses, error_lines, died, log_offset = measure.count_statuses(server.log_file, log_offset, own)
    else:
        statuses, error_lines, died = {}, 0, 0
    # Costs are shared over every request the server finished (wrk's count misses the ones in flight at the end).
    served = sum(statuses.values()) or result.requests
    n = max(served, 1)
    run = {
        "requests": result.requests,
        "served": served,
        "rps": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p90_ms": round(result.p90_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "max_ms": round(result.max_ms, 1),
        "wrk_errors": result.errors,
        "statuses": statuses,
        "error_log_lines": error_lines,
        "worker_deaths": died,
        "app_cpu_ms": round(cpu_app * 1000 / n, 3),
        "pg_cpu_ms": round(cpu_pg * 1000 / n, 3),
        "db_ms": round(statements["ms"] / n, 3) if meters.statements.available else None,
        "queries": round(statements["calls"] / n, 2) if meters.statements.available else None,
        "pool_resets": round(statements["reset_calls"] / n, 2) if meters.statements.available else None,
        "top_statements": statements["top"],
        "peak_rss_mb": round(memory.peak / 2**20, 1),
        "bytes_per_request": round(result.bytes / max(result.requests, 1)),
        "load_average": round(os.getloadavg()[0], 2),
        "writes_per_s": round(written / loaded_s, 2) if writer else None,
    }
    return run, log_offset


def unexpected(run: dict[str, Any], expected: int) -> int:
    """Responses that were not what the page should answer (from the app's log; wrk's >= 400 count for
    the floor) and connection errors. Timeouts (wrk gave up waiting) are counted apart."""
    socket_errors = sum(v for k, v in run["wrk_errors"].items() if k in ("connect", "read", "write"))
    logged = sum(n for status, n in run["statuses"].items() if int(status) != expected)
    return socket_errors + (logged if run["statuses"] else run["wrk_errors"]["status"])


def summarise(runs: list[dict[str, Any]], expected: int) -> dict[str, Any]:
    def median(key: str):
        values = [r[key] for r in runs if r.get(key) is not None]
        return round(statistics.median(values), 3) if values else None

    return {
        "rps": median("rps"), "p50_ms": median("p50_ms"), "p90_ms": median("p90_ms"), "p99_ms": median("p99_ms"),
        "app_cpu_ms": median("app_cpu_ms"), "pg_cpu_ms": median("pg_cpu_ms"), "db_ms": median("db_ms"),
        "queries": median("queries"), "pool_resets": median("pool_resets"),
        "bytes_per_request": median("bytes_per_request"), "load_average": median("load_average"),
        "writes_per_s": median("writes_per_s"),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "errors": sum(unexpected(r, expected) for r in runs),
        "timeouts": sum(r["wrk_errors"].get("timeout", 0) for r in runs),
        "error_log_lines": sum(r["error_log_lines"] for r in runs),
        "worker_deaths": sum(r.get("worker_deaths", 0) for r in runs),
        "top_statements": max(runs, key=lambda r: r["rps"])["top_statements"] if runs else [],
    }


async def run_bench(args: argparse.Namespace, database_url: str, metadata: dict[str, Any]) -> dict[str, Any]:
    from streetshare import db

    started = time.perf_counter()
    selected = [s for s in SCENARIOS if not args.only or s.key in args.only]
    db.configure(database_url)
    await db.open_pool(1, 4)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM auth_token")  # every token here was made by a bench run
        await conn.execute("DELETE FROM rate_limit_hit")
        sample = await make_sample(conn, args.people, args.seed)
        await create_tokens(sample)
        await db.close_pool()
        print(f"Sample: {len(sample.users)} residents, {len(sample.offers)} offers, {len(sample.exchanges)} exchanges, "
              f"{len(sample.coordinators)} coordinators", flush=True)
        routes = route_table()
        templates = {s.key: resolve(s, routes) for s in selected}
        statements = measure.StatementTime(conn, database_name(args.size))
        await statements.setup()
        pg_version = await conn.fetchval("SHOW server_version")

        app_port, floor_port = free_port(), free_port()
        app = Server.start(
            "app", [str(VENV_BIN / "streetshare"), "serve", "--host", "127.0.0.1", "--port", str(app_port),
                    "--workers", str(args.workers)],
            server_env(database_url, app_port, args.workers), app_port)
        floor: Server | None = None
        try:
            await app.wait_ready("/healthz")
            sample.csrf = await csrf_token(app)
            for user in _everyone(sample):
                user.csrf = sample.csrf  # as a browser keeps it (else every page would set a new one)
            plans = {}
            for scenario in selected:
                plans[scenario.key] = await preflight(app, scenario, templates[scenario.key], sample, args.probes)
                p = plans[scenario.key]
                print(f"  {scenario.key:<18} {p.status:<14} {p.template or '':<28} {p.detail[:120]}", flush=True)
            feed = plans.get("feed")
            floor_bytes = feed.page_bytes if feed and feed.status == "measured" else 0
            floor_env = {**server_env(database_url, floor_port, args.workers), "BENCH_FLOOR_PAGE_BYTES": str(floor_bytes)}
            floor = Server.start("floor", [sys.executable, "-m", "bench.floor_app", "--host", "127.0.0.1", "--port",
                                           str(floor_port), "--workers", str(args.workers)], floor_env, floor_port)
            floor_requests: list[Request] = [("GET", f"/?street={u.street}", measure_gzip(), None) for u in sample.users]
            await floor.wait_ready(floor_requests[0][1])
            floor_plan = Plan(Scenario("floor", "Floor (one query, one template)", "floor", ("/",), lambda *a: []),
                              "measured", "/?street={}")
            async with httpx.AsyncClient(base_url=floor.url, timeout=30) as client:
                response = await client.get(floor_requests[0][1], headers=measure_gzip())
                floor_plan.page_bytes, floor_plan.wire_bytes = len(response.content), response.num_bytes_downloaded

            meters = Meters(measure.ProcessTree(app.process.pid), measure.ProcessTree(floor.process.pid),
                            measure.ProcessTree(postmaster_pid(BENCH_PGDATA)), statements, conn, database_url)
            offsets = {"app": app.log_file.stat().st_size, "floor": 0}
            measured = [p for p in plans.values() if p.status == "measured"]

            async def one(plan: Plan, run: int, duration: int) -> dict[str, Any]:
                if plan.scenario.key == "floor":
                    server, tree, requests = floor, meters.floor, floor_requests
                else:
                    server, tree = app, meters.app
                    requests = plan.scenario.build(sample, plan.template, run)
                writes = (list(sample.newest_offers.values()), plan.scenario.writes_per_s) \
                    if plan.scenario.writes_per_s else None
                result, offsets[server.name] = await load_once(server, tree, meters, requests, plan.scenario.key, args,
                                                               duration, offsets[server.name], writes=writes)
                return result

            if args.warmup:
                print(f"Warming up ({args.warmup} s each) ...", flush=True)
                for plan in [floor_plan, *measured]:
                    await one(plan, 0, args.warmup)
            for round_ in range(1, args.repeats + 1):
                print(f"Round {round_} of {args.repeats}", flush=True)
                for plan in [floor_plan, *measured]:
                    result = await one(plan, round_, args.duration)
                    plan.runs.append(result)
                    print(f"  {plan.scenario.key:<18} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:>7.1f} ms  "
                          f"p99 {result['p99_ms']:>7.1f} ms  cpu {result['app_cpu_ms']:>6.2f}+{result['pg_cpu_ms']:.2f} ms"
                          f"  db {result['db_ms']} ms  q {result['queries']}  unexpected "
                          f"{unexpected(result, plan.scenario.expected)}  timeouts {result['wrk_errors']['timeout']}",
                          flush=True)
            feed_user = sample.users[0] if sample.users else None
            weight = await page_weight(app, feed.template if feed and feed.template else "/", feed_user)
            signed_out = await page_weight(app, "/", None)
        finally:
            if floor:
                floor.stop()
            app.stop()
    finally:
        await conn.close()

    scenarios = {}
    for plan in [floor_plan, *plans.values()]:
        entry: dict[str, Any] = {
            "title": plan.scenario.title, "group": plan.scenario.group, "status": plan.status,
            "path": plan.template, "detail": plan.detail, "page_bytes": plan.page_bytes, "wire_bytes": plan.wire_bytes,
            "method": plan.scenario.method, "expected": plan.scenario.expected, "runs": plan.runs,
        }
        if plan.runs:
            entry["median"] = summarise(plan.runs, plan.scenario.expected)
            entry["median"]["floor_ratio"] = report.floor_ratio(entry, {"runs": floor_plan.runs})
        scenarios[plan.scenario.key] = entry
    return {
        "size": args.size,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "uv run python -m bench.run " + " ".join(args.argv),
        "machine": measure.machine(),
        "postgres": pg_version,
        "neighbouring_streets": round(sample.neighbours, 1),
        "settings": {"duration_s": args.duration, "repeats": args.repeats, "warmup_s": args.warmup,
                     "connections": args.connections, "threads": args.threads, "workers": args.workers,
                     "people": args.people},
        "generation": metadata,
        "scenarios": scenarios,
        "page_weight": weight,
        "page_weight_signed_out": signed_out,
        "worker_restarts": sum(r.get("worker_deaths", 0) for p in plans.values() for r in p.runs),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="Load the real app next to the floor.")
    parser.add_argument("--size", choices=("small", "city", "tiny"), default="small")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per page (the median is reported)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load per page first")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (app and floor)")
    parser.add_argument("--people", type=int, default=128, help="sampled residents whose requests are replayed")
    parser.add_argument("--probes", type=int, default=12, help="requests checked per page before loading it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", type=lambda v: set(v.split(",")), default=None, help="comma-separated scenario keys")
    parser.add_argument("--regenerate", action="store_true", help="generate the city again even if it is up to date")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)")
    atexit.register(_stop_started)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    _, url, metadata = prepare_database(args.size, seed=args.seed, regenerate=args.regenerate)
    results = asyncio.run(run_bench(args, url, metadata))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = args.size if not args.only else f"{args.size}-partial"
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"Results: {RESULTS_DIR / f'{name}.json'} ({results['seconds']} s)")
    if not args.no_doc and not args.only:
        report.write(DOC, RESULTS_DIR)
        print(f"Wrote {DOC}")


if __name__ == "__main__":
    main()
