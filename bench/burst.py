"""Issue 14's burst: the power goes off and the whole street opens the app within seconds.

    uv run python -m bench.burst                               # the city's busiest street: 400 homes in 10 s, 3 runs
    uv run python -m bench.burst --size small --residents 150  # a quick look on the small city

Several hundred residents of one street (each with their own home, and a few pairs who share one,
as a household does) report `power` affected through the real API within a window of seconds, at
random moments (the first few at the same instant, which races to open the incident), while other
residents of the street load its status continuously (wrk). The app is the real `streetshare
serve`, started as bench/run.py starts it, on the generated city, with the generator's residents
and API tokens made as bench/run.py makes them.

Reported per run: the reports' latency (p50, p95, p99, the longest) and errors, measured by this
client from sending each report to its answer; the status loads' latency and errors (wrk); app and
PostgreSQL CPU, deadlocks and lock waits (sampled every 20 ms from pg_locks). Then the check, through
the API and the tables: the street's `homes_here` equals the number of distinct homes that reported
(none lost, none counted twice), every report is kept, and exactly one incident is open: PASS or FAIL.

Before each run the street's incidents are deleted (their prompts' jobs too, which no worker runs
here), and afterwards, so the city is left as generated; the shared homes are put back.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import math
import os
import signal
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from random import Random
from typing import Any, Callable
from urllib.parse import urlsplit

import asyncpg
import httpx

from bench import measure
from bench.run import RESULTS_DIR, VAR, VENV_BIN, Server, _on_signal, _stop_started, create_tokens, free_port, server_env
from bench.scenarios import Sample, Scenario, User, resolve, route_table

TOPIC = "power"
STATUS = "/api/v1/streets/{}/status"
REPORT = "/api/v1/streets/{}/status/{}"
# The same home as the status domain counts it: the private home point rounded to 5 decimals (~1 m).
HOME_KEY = "round(home_lat::numeric, 5), round(home_lng::numeric, 5)"


@dataclass
class Cast:
    """Who reports and who loads the page, on one street."""

    street: int
    members: int  # the street's active residents with a home point
    reporters: list[User]  # every resident who reports, each once
    readers: list[User]  # other residents of the street, whose status loads are replayed
    pairs: list[tuple[User, User]] = field(default_factory=list)  # (moved in, whose home they share)
    moved: list[tuple[int, float, float]] = field(default_factory=list)  # (resident, own home) to put back

    @property
    def homes(self) -> int:
        """Distinct homes among the reporters: what the street must count."""
        return len(self.reporters) - len(self.pairs)


async def busiest_street(conn: asyncpg.Connection) -> int:
    street = await conn.fetchval(
        """SELECT street FROM resident WHERE street IS NOT NULL AND is_active AND home_lat IS NOT NULL
           GROUP BY street ORDER BY count(*) DESC, street LIMIT 1""")
    if street is None:
        raise SystemExit("no street with residents in this database: generate a city first")
    return street


async def choose_cast(conn: asyncpg.Connection, *, residents: int, pairs: int, readers: int, seed: int,
                      street: int | None = None) -> Cast:
    """`residents` reporters of the street (the busiest unless given): `residents - pairs` with homes
    distinct at the status domain's rounding, and `pairs` more whose home is moved onto one of theirs
    (put back by `restore_homes`); up to `readers` other members load the status."""
    if not 0 <= pairs <= residents // 2:
        raise SystemExit(f"--pairs must be between 0 and half of --residents ({residents // 2})")
    street = street or await busiest_street(conn)
    rows = await conn.fetch(
        f"""SELECT id, home_lat, home_lng, {HOME_KEY} FROM resident
            WHERE street = $1 AND is_active AND home_lat IS NOT NULL AND home_lng IS NOT NULL
            ORDER BY md5(id::text || $2)""", street, f"status-burst:{seed}")
    distinct, others, seen = [], [], set()
    for row in rows:
        key = (row[3], row[4])
        if len(distinct) < residents - pairs and key not in seen:
            seen.add(key)
            distinct.append(row)
        else:
            others.append(row)
    if len(distinct) < residents - pairs or len(others) < pairs + 1:
        raise SystemExit(f"street {street} has {len(rows)} residents with a home: too few for {residents} reporters "
                         f"and at least one reader (try --residents {max(2, len(rows) - 10)}, or --size city)")
    movers, readers_rows = others[:pairs], others[pairs:pairs + readers]
    cast = Cast(street, len(rows), [User(r["id"], street) for r in distinct + movers],
                [User(r["id"], street) for r in readers_rows])
    by_id = {u.id: u for u in cast.reporters}
    for mover, host in zip(movers, distinct):
        cast.pairs.append((by_id[mover["id"]], by_id[host["id"]]))
        cast.moved.append((mover["id"], mover["home_lat"], mover["home_lng"]))
        await conn.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1",
                           mover["id"], host["home_lat"], host["home_lng"])
    return cast


async def restore_homes(conn: asyncpg.Connection, cast: Cast) -> None:
    for resident, lat, lng in cast.moved:
        await conn.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", resident, lat, lng)
    cast.moved.clear()


async def clear_street(conn: asyncpg.Connection, street: int) -> int:
    """Delete the street's incidents (their answers go with them) and their prompts' jobs; forget
    rate-limit hits. Returns how many incidents there were."""
    ids = await conn.fetch("DELETE FROM status_incident WHERE street = $1 RETURNING id", street)
    if ids:
        await conn.execute("DELETE FROM job WHERE idempotency_key = ANY($1::text[])",
                           [f"status-prompts:{r['id']}" for r in ids])
    await conn.execute("DELETE FROM rate_limit_hit")
    return len(ids)


# ---------------------------------------------------------------- one burst


def percentile(values: list[float], p: float) -> float:
    """Nearest rank, as wrk reports its percentiles."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def arrivals(count: int, window: float, opening: int, rng: Random) -> list[float]:
    """When each report is sent, in seconds from the start: `opening` at once, the rest at random."""
    opening = min(opening, count)
    return [0.0] * opening + sorted(rng.uniform(0, window) for _ in range(count - opening))


@dataclass
class Answer:
    resident: int
    at: float  # scheduled, seconds from the start
    ms: float
    status: int | str
    homes_here: int | None = None


async def send_report(client: httpx.AsyncClient, cast: Cast, user: User, at: float, start: float,
                      address: str) -> Answer:
    await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
    headers = {**user.bearer(), "Content-Type": "application/json", "X-Forwarded-For": address}
    sent = time.perf_counter()
    try:
        response = await client.post(REPORT.format(cast.street, TOPIC), headers=headers, content=b'{"affected": true}')
    except httpx.HTTPError as e:
        return Answer(user.id, at, (time.perf_counter() - sent) * 1000, type(e).__name__)
    ms = (time.perf_counter() - sent) * 1000
    homes = None
    if response.status_code == 200:
        try:
            homes = response.json().get("homes_here")
        except ValueError:
            pass
    return Answer(user.id, at, ms, response.status_code, homes)


class LockWaits:
    """Backends of the database waiting for a lock, sampled every `every` seconds on a connection of its own."""

    SQL = """SELECT l.locktype, coalesce(l.relation::regclass::text, '') AS relation, count(*) AS n
             FROM pg_locks l JOIN pg_database d ON d.oid = l.database OR l.database IS NULL
             WHERE NOT l.granted AND d.datname = $1 GROUP BY 1, 2"""

    def __init__(self, database_url: str, database: str, every: float = 0.02) -> None:
        self.url, self.database, self.every = database_url, database, every
        self.samples = 0
        self.waiting_samples = 0
        self.most = 0
        self.kinds: Counter[str] = Counter()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(self.SQL, self.database)
                waiting = sum(r["n"] for r in rows)
                self.samples += 1
                self.waiting_samples += waiting > 0
                self.most = max(self.most, waiting)
                for r in rows:
                    self.kinds[f"{r['locktype']} {r['relation']}".strip()] += r["n"]
                try:
                    await asyncio.wait_for(self._stop.wait(), self.every)
                except TimeoutError:
                    pass
        finally:
            await conn.close()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._task:
            await self._task
        return {"samples": self.samples, "samples_waiting": self.waiting_samples, "most_waiting": self.most,
                "by_lock": dict(self.kinds.most_common(6))}


async def deadlocks(conn: asyncpg.Connection, database: str) -> int:
    return await conn.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = $1", database) or 0


async def check(client: httpx.AsyncClient, conn: asyncpg.Connection, cast: Cast) -> dict[str, Any]:
    """The street's count, as a neighbour on the street reads it through the API, against the homes
    that reported; the reports kept and the incidents open, from the tables."""
    response = await client.get(STATUS.format(cast.street), headers=cast.readers[0].bearer())
    homes_here = None
    if response.status_code == 200:
        topic = next((t for t in response.json().get("topics", []) if t.get("topic") == TOPIC), None)
        homes_here = topic.get("homes_here") if topic else None
    open_incidents = await conn.fetchval(
        "SELECT count(*) FROM status_incident WHERE street = $1 AND topic = $2 AND ended_at IS NULL", cast.street, TOPIC)
    kept = await conn.fetchval(
        """SELECT count(*) FROM status_report r JOIN status_incident i ON i.id = r.incident
           WHERE i.street = $1 AND i.topic = $2 AND i.ended_at IS NULL AND r.affected AND r.resident = ANY($3::int[])""",
        cast.street, TOPIC, [u.id for u in cast.reporters])
    passed = homes_here == cast.homes and open_incidents == 1 and kept == len(cast.reporters)
    return {"passed": passed, "homes_here": homes_here, "homes_reported": cast.homes,
            "reporters": len(cast.reporters), "reports_kept": kept, "open_incidents": open_incidents,
            "status_code": response.status_code}


def describe_check(c: dict[str, Any]) -> str:
    verdict = "PASS" if c["passed"] else "FAIL"
    return (f"{verdict}: homes_here {c['homes_here']} for {c['homes_reported']} distinct homes that reported "
            f"({c['reporters']} residents); {c['reports_kept']} reports kept; {c['open_incidents']} incident(s) open")


@dataclass
class Meters:
    database_url: str
    database: str
    conn: asyncpg.Connection
    app: measure.ProcessTree
    postgres: measure.ProcessTree | None
    statements: measure.StatementTime | None


async def run_once(app: Server, meters: Meters, cast: Cast, *, window: float, opening: int, connections: int,
                   threads: int, rng: Random, log_offset: int) -> tuple[dict[str, Any], int]:
    """One burst on a street with no incident: reports at their moments while wrk loads the status."""
    conn = meters.conn
    await clear_street(conn, cast.street)
    status_path = STATUS.format(cast.street)
    script = VAR / "lua" / "status_burst.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(measure.wrk_script([("GET", status_path, u.bearer(), None) for u in cast.readers]))
    order = list(cast.reporters)
    rng.shuffle(order)
    moments = arrivals(len(order), window, opening, rng)
    if meters.statements:
        await meters.statements.reset()
    dead_before = await deadlocks(conn, meters.database)
    cpu_app = meters.app.cpu_seconds()
    cpu_pg = meters.postgres.cpu_seconds() if meters.postgres else 0.0
    waits = LockWaits(meters.database_url, meters.database)
    waits.start()
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=app.url, timeout=60, limits=limits) as client:
        start = time.perf_counter() + 0.05
        loads = asyncio.create_task(measure.run_wrk(app.url, script, duration=max(1, math.ceil(window)),
                                                    connections=connections, threads=min(threads, connections))
                                    if connections else _no_loads())
        answers = await asyncio.gather(*(
            send_report(client, cast, user, at, start, f"10.14.{k // 250}.{k % 250 + 1}")
            for k, (user, at) in enumerate(zip(order, moments))))
    wrk = await loads
    lock_waits = await waits.stop()
    # Whatever was still in flight finishes inside this run (the reporters' connections are closed).
    await measure.quiesce(meters.app, app.port, conn, meters.database)
    await asyncio.sleep(1.1)  # PostgreSQL publishes its statistics (deadlocks) within a second
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as client:
        verdict = await check(client, conn, cast)
    cpu_app = meters.app.cpu_seconds() - cpu_app
    cpu_pg = (meters.postgres.cpu_seconds() - cpu_pg) if meters.postgres else None
    report_path = REPORT.format(cast.street, TOPIC)
    statuses_post, error_lines, died, _ = measure.count_statuses(app.log_file, log_offset, {("POST", report_path)})
    statuses_get, _, _, log_offset = measure.count_statuses(app.log_file, log_offset, {("GET", status_path)})
    statements = await meters.statements.totals() if meters.statements else None
    ok = [a for a in answers if a.status == 200]
    latencies = [a.ms for a in answers]
    served_total = len(answers) + wrk.requests
    result = {
        "reports": {
            "sent": len(answers), "ok": len(ok),
            "errors": dict(Counter(str(a.status) for a in answers if a.status != 200)),
            "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(max(latencies, default=0), 1),
            "opening": sum(a.at == 0.0 for a in answers),
            "opening_max_ms": round(max((a.ms for a in answers if a.at == 0.0), default=0), 1),
            "highest_count_answered": max((a.homes_here or 0 for a in ok), default=0),
            "statuses_logged": statuses_post,
        },
        "loads": {
            "requests": wrk.requests, "rps": round(wrk.rps, 1), "p50_ms": round(wrk.p50_ms, 1),
            "p95_ms": round(wrk.p95_ms, 1), "p99_ms": round(wrk.p99_ms, 1), "max_ms": round(wrk.max_ms, 1),
            "wrk_errors": wrk.errors, "statuses_logged": statuses_get,
            "unexpected": sum(n for s, n in statuses_get.items() if int(s) != 200)
            + sum(v for k, v in wrk.errors.items() if k in ("connect", "read", "write", "timeout")),
        },
        "deadlocks": await deadlocks(conn, meters.database) - dead_before,
        "lock_waits": lock_waits,
        "error_log_lines": error_lines,
        "worker_deaths": died,
        "app_cpu_ms_per_request": round(cpu_app * 1000 / max(served_total, 1), 3),
        "pg_cpu_ms_per_request": round(cpu_pg * 1000 / max(served_total, 1), 3) if cpu_pg is not None else None,
        "db_ms_per_request": round(statements["ms"] / max(served_total, 1), 3) if statements else None,
        "top_statements": statements["top"] if statements else [],
        "load_average": round(os.getloadavg()[0], 2),
        "check": verdict,
    }
    return result, log_offset


async def _no_loads() -> measure.WrkResult:
    """--connections 0: the reports alone, nobody loading the status meanwhile."""
    return measure.WrkResult(0, 0.0, 0, {k: 0 for k in ("connect", "read", "write", "status", "timeout")},
                             0.0, 0.0, 0.0, 0.0)


def describe_run(r: dict[str, Any]) -> list[str]:
    rep, loads = r["reports"], r["loads"]
    errors = ", ".join(f"{n}× {s}" for s, n in rep["errors"].items()) or "no errors"
    waits = r["lock_waits"]
    return [
        f"  reports  {rep['ok']}/{rep['sent']} ok ({errors})  p50 {rep['p50_ms']} ms  p95 {rep['p95_ms']} ms  "
        f"p99 {rep['p99_ms']} ms  max {rep['max_ms']} ms  (the {rep['opening']} at once: slowest {rep['opening_max_ms']} ms)",
        f"  loads    {loads['requests']} ({loads['rps']}/s)  p50 {loads['p50_ms']} ms  p95 {loads['p95_ms']} ms  "
        f"p99 {loads['p99_ms']} ms  max {loads['max_ms']} ms  unexpected {loads['unexpected']}",
        f"  database deadlocks {r['deadlocks']}  lock waits: {waits['samples_waiting']} of {waits['samples']} samples, "
        f"at most {waits['most_waiting']} waiting {waits['by_lock'] or ''}  app CPU {r['app_cpu_ms_per_request']} ms/req  "
        f"PostgreSQL CPU {r['pg_cpu_ms_per_request']} ms/req  error lines {r['error_log_lines']}",
        f"  check    {describe_check(r['check'])}",
    ]


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(group: str, key: str) -> float:
        return round(statistics.median(r[group][key] for r in runs), 1)

    return {
        "reports": {k: median("reports", k) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
        "loads": {k: median("loads", k) for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "max_ms")},
        "report_errors": sum(r["reports"]["sent"] - r["reports"]["ok"] for r in runs),
        "load_errors": sum(r["loads"]["unexpected"] for r in runs),
        "deadlocks": sum(r["deadlocks"] for r in runs),
        "checks_passed": sum(r["check"]["passed"] for r in runs),
        "runs": len(runs),
    }


# ---------------------------------------------------------------- the whole scenario


def not_built(routes=None) -> list[str]:
    """The status API routes the app does not serve yet."""
    routes = routes if routes is not None else route_table()
    wanted = [Scenario("status_report", "", "api", ("/api/v1/streets/{}/status/{}",), lambda *a: [], method="POST"),
              Scenario("status_load", "", "api", ("/api/v1/streets/{}/status",), lambda *a: [])]
    return [f"{s.method} {s.candidates[0]}" for s in wanted if resolve(s, routes) is None]


async def burst(database_url: str, *, residents: int = 400, pairs: int = 5, window: float = 10.0, opening: int = 8,
                readers: int = 200, connections: int = 8, threads: int = 2, workers: int = 2, runs: int = 3,
                seed: int = 1, street: int | None = None, postgres_pid: int | None = None,
                measure_statements: bool = False, keep: bool = False,
                say: Callable[[str], None] = print) -> tuple[dict[str, Any], Cast]:
    """Run the burst `runs` times on a generated city in `database_url`; the results and the cast.
    With `keep`, the last run's incident and the shared homes are left for the caller to look at."""
    from streetshare import db

    missing = not_built()
    if missing:
        raise RuntimeError("the status API is not built yet: no " + " and no ".join(missing))
    database = urlsplit(database_url).path.lstrip("/")  # the socket directory in ?host= has slashes too
    db.configure(database_url)
    opened = db.DB.pool is None
    await db.open_pool(1, 4)
    conn = await asyncpg.connect(database_url)
    cast: Cast | None = None
    app: Server | None = None
    try:
        cast = await choose_cast(conn, residents=residents, pairs=pairs, readers=readers, seed=seed, street=street)
        await conn.execute("DELETE FROM auth_token WHERE label = 'bench'")  # tokens of earlier bench runs
        await create_tokens(Sample(users=cast.reporters + cast.readers))
        if opened:
            await db.close_pool()
        say(f"Street {cast.street} ({cast.members} residents with a home): {len(cast.reporters)} report "
            f"{TOPIC} ({cast.homes} homes: {len(cast.pairs)} pairs share one) within {window} s, {opening} at once "
            f"first; {len(cast.readers)} others load the status on {connections} connections")
        statements = measure.StatementTime(conn, database) if measure_statements else None
        if statements:
            await statements.setup()
        port = free_port()
        app = Server.start("status-burst", [str(VENV_BIN / "streetshare"), "serve", "--host", "127.0.0.1",
                                            "--port", str(port), "--workers", str(workers)],
                           server_env(database_url, port, workers), port)
        await app.wait_ready("/healthz")
        meters = Meters(database_url, database, conn, measure.ProcessTree(app.process.pid),
                        measure.ProcessTree(postgres_pid) if postgres_pid else None, statements)
        offset = app.log_file.stat().st_size
        rng = Random(f"status-burst:{seed}")
        results = []
        for n in range(1, runs + 1):
            say(f"Run {n} of {runs}")
            result, offset = await run_once(app, meters, cast, window=window, opening=opening,
                                            connections=connections, threads=threads, rng=rng, log_offset=offset)
            results.append(result)
            for line in describe_run(result):
                say(line)
        summary = summarise(results)
        say(f"Median of {runs}: reports p50 {summary['reports']['p50_ms']} ms, p95 {summary['reports']['p95_ms']} ms, "
            f"p99 {summary['reports']['p99_ms']} ms; loads {summary['loads']['rps']}/s, p50 {summary['loads']['p50_ms']} ms, "
            f"p99 {summary['loads']['p99_ms']} ms; errors {summary['report_errors']} + {summary['load_errors']}; "
            f"deadlocks {summary['deadlocks']}; check {'PASS' if summary['checks_passed'] == runs else 'FAIL'} "
            f"({summary['checks_passed']} of {runs})")
        return {
            "settings": {"residents": len(cast.reporters), "homes": cast.homes, "pairs": len(cast.pairs),
                         "window_s": window, "opening": opening, "readers": len(cast.readers),
                         "connections": connections, "threads": threads, "workers": workers, "runs": runs,
                         "street": cast.street, "street_residents": cast.members, "seed": seed,
                         "database": database},
            "machine": measure.machine(),
            "runs": results,
            "median": summary,
        }, cast
    finally:
        if app:
            app.stop()
        if cast and not keep:
            await clear_street(conn, cast.street)
            await restore_homes(conn, cast)
        await conn.close()


def main(argv: list[str] | None = None) -> None:
    from datetime import UTC, datetime

    from bench.generate import prepare_database
    from bench.pg import BENCH_PGDATA, postmaster_pid

    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("tiny", "small", "city"), default="city",
                        help="the generated city (city: the busiest street has 2,000 residents)")
    parser.add_argument("--street", type=int, default=None, help="street id (default: the one with most residents)")
    parser.add_argument("--residents", type=int, default=400, help="residents who report, each once")
    parser.add_argument("--pairs", type=int, default=5, help="of them, pairs who share a home (homes = residents - pairs)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which the reports arrive")
    parser.add_argument("--opening", type=int, default=8, help="reports sent at the same instant at the start")
    parser.add_argument("--readers", type=int, default=200, help="other residents whose status loads are replayed")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections loading the status (0: nobody loads it, the reports alone)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--runs", type=int, default=3, help="bursts (the median is reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="generate the city again even if it is up to date")
    args = parser.parse_args(argv)
    atexit.register(_stop_started)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    _, url, metadata = prepare_database(args.size, seed=args.seed, regenerate=args.regenerate)
    results, _ = asyncio.run(burst(
        url, residents=args.residents, pairs=args.pairs, window=args.window, opening=args.opening,
        readers=args.readers, connections=args.connections, threads=args.threads, workers=args.workers,
        runs=args.runs, seed=args.seed, street=args.street, postgres_pid=postmaster_pid(BENCH_PGDATA),
        measure_statements=True))
    results.update({"size": args.size, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "command": "uv run python -m bench.burst " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "generation": {k: metadata.get(k) for k in ("now", "seed", "counts")}})
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"status_burst-{args.size}.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    print(f"Results: {path}")
    if results["median"]["checks_passed"] != args.runs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
