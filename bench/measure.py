"""What one load run costs: CPU of a process tree, its peak memory, database time, and wrk's figures."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil


class ProcessTree:
    """A server's master process and its workers (the master's children)."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)

    def processes(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """user + system CPU of every live process, plus children that have already exited."""
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
            if proc.pid == self.root.pid:
                total += times.children_user + times.children_system
        return total

    def rss_bytes(self) -> int:
        total = 0
        for proc in self.processes():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


class PeakMemory:
    """Samples a tree's total RSS every `every` seconds while running (an asyncio task)."""

    def __init__(self, tree: ProcessTree, every: float = 0.2) -> None:
        self.tree = tree
        self.every = every
        self.peak = tree.rss_bytes()
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, await asyncio.to_thread(self.tree.rss_bytes))
            await asyncio.sleep(self.every)

    def __enter__(self) -> "PeakMemory":
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc) -> None:
        if self._task:
            self._task.cancel()


class StatementTime:
    """Database time from pg_stat_statements (reset before a run, summed after), for one database."""

    def __init__(self, conn: asyncpg.Connection, database: str) -> None:
        self.conn = conn
        self.database = database
        self.available = False

    async def setup(self) -> None:
        try:
            await self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await self.conn.fetchval("SELECT count(*) FROM pg_stat_statements")
            self.available = True
        except asyncpg.PostgresError:
            self.available = False

    async def reset(self) -> None:
        if self.available:
            await self.conn.execute("SELECT pg_stat_statements_reset()")

    async def totals(self) -> dict:
        """Statements executed since the last reset and the milliseconds spent executing them, with the
        statements asyncpg's pool sends on every connection release (RESET ALL and friends) counted apart,
        and the statements that took the most time."""
        if not self.available:
            return {"calls": 0, "ms": 0.0, "reset_calls": 0, "top": []}
        rows = await self.conn.fetch(
            """
            SELECT s.query, s.calls, s.total_exec_time AS ms
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND s.query NOT ILIKE '%pg_stat_statements%'
            ORDER BY s.total_exec_time DESC
            """,
            self.database,
        )
        resets = sum(r["calls"] for r in rows if _is_pool_reset(r["query"]))
        top = [
            {"query": " ".join(r["query"].split())[:300], "calls": r["calls"], "ms": round(r["ms"], 2)}
            for r in rows[:6]
        ]
        return {
            "calls": sum(r["calls"] for r in rows) - resets,
            "ms": sum(r["ms"] for r in rows),
            "reset_calls": resets,
            "top": top,
        }


POOL_RESET = {"select pg_advisory_unlock_all()", "close all", "unlisten *", "reset all"}


def _is_pool_reset(query: str) -> bool:
    return query.strip().rstrip(";").strip().lower() in POOL_RESET


def open_connections(port: int) -> int:
    """Server-side TCP connections on `port` that are not yet closed (a request still being answered
    keeps its socket, even after the client has gone). Reads /proc/net/tcp*, which is cheap."""
    count = 0
    suffix = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[1].endswith(suffix) and fields[3] not in ("0A", "06"):  # LISTEN, TIME_WAIT
                count += 1
    return count


async def active_queries(conn: asyncpg.Connection, database: str) -> int:
    """Statements still running in the database (a request whose client has gone may still be querying)."""
    return await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle' AND pid <> pg_backend_pid()",
        database,
    )


async def quiesce(tree: ProcessTree, port: int, conn: asyncpg.Connection, database: str, *,
                  timeout: float = 300) -> None:
    """Wait until the server has finished what was in flight when the load stopped: no connection
    left open on its port, no statement still running in the database, and its CPU use under 5% of
    a core for a quarter of a second."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    cpu = tree.cpu_seconds()
    while loop.time() < deadline:
        await asyncio.sleep(0.25)
        now_cpu = tree.cpu_seconds()
        if now_cpu - cpu < 0.0125 and open_connections(port) == 0 and await active_queries(conn, database) == 0:
            return
        cpu = now_cpu


@dataclass
class WrkResult:
    requests: int
    seconds: float
    bytes: int
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    p95_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


WRK_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def wrk_script(requests: list[tuple[str, str, dict[str, str], str | None]]) -> str:
    """A wrk script cycling through the given (method, path, headers, body) requests."""
    lines = ["local specs = {"]
    for method, path, headers, body in requests:
        header_items = ", ".join(f"[{lua_string(k)}]={lua_string(v)}" for k, v in headers.items())
        lines.append(f"  {{{lua_string(method)}, {lua_string(path)}, {{{header_items}}}, "
                     f"{lua_string(body) if body is not None else 'nil'}}},")
    lines.append("}")
    lines.append(r"""
local reqs = {}
local i = 0
local threads = 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end
function init(args)
  for k, s in ipairs(specs) do reqs[k] = wrk.format(s[1], s[2], s[3], s[4]) end
  -- each thread starts at its own place in the list, so connections do not march in step
  i = ((thread_index or 0) * 7919) % #reqs
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
""")
    lines.append(WRK_DONE)
    return "\n".join(lines)


async def run_wrk(url: str, script: Path, *, duration: int, connections: int, threads: int,
                  timeout_s: int = 30) -> WrkResult:
    proc = await asyncio.create_subprocess_exec(
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", f"--timeout={timeout_s}s",
        "-s", str(script), url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    text = out.decode()
    match = re.search(r"BENCH_JSON (\{.*\})", text)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {text[-2000:]} {err.decode()[-2000:]}")
    data = json.loads(match.group(1))
    return WrkResult(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, bytes=data["bytes"],
        errors={k: data[k] for k in ("connect", "read", "write", "status", "timeout")},
        p50_ms=data["p50"] / 1000, p90_ms=data["p90"] / 1000, p99_ms=data["p99"] / 1000, max_ms=data["max"] / 1000,
        p95_ms=data["p95"] / 1000,
    )


def count_statuses(log_file: Path, start: int, requests: set[tuple[str, str]] | None = None
                   ) -> tuple[dict[int, int], int, int, int]:
    """Since byte offset `start` of the app's JSON log: response statuses (of the given (method, path)
    requests only, when given), error lines, workers that died (the server replaces a worker that
    dies), and the new offset."""
    statuses: dict[int, int] = {}
    errors = 0
    died = 0
    with log_file.open("rb") as f:
        f.seek(start)
        data = f.read()
    for line in data.splitlines():
        if not line.startswith(b"{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "request":
            if requests is not None and (entry.get("method"), entry.get("path")) not in requests:
                continue
            status = int(entry.get("status", 0))
            statuses[status] = statuses.get(status, 0) + 1
        elif entry.get("level") in ("error", "critical"):
            errors += 1
        elif "died" in str(entry.get("message", "")):
            died += 1
    return statuses, errors, died, start + len(data)


def machine() -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total
    wrk_version = ""
    if shutil.which("wrk"):
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0:1]
        wrk_version = wrk_version[0].split(" Copyright")[0] if wrk_version else ""
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": model or platform.processor() or "unknown",
        "memory_gb": f"{memory / 2**30:.1f}",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version,
    }
