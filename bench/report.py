"""docs/performance.md from the latest results of each size (bench/results/<size>.json)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

SIZES = ("small", "city")
FLAT_PAGES = ("feed", "search", "dashboard")
P99_PAGES = ("feed", "offer", "exchange")
P99_LIMIT_MS = 100
FLOOR_SHARE = 0.5
SCALE_LIMIT = 1.3
WEIGHT_LIMIT = 100 * 1024


def load(results_dir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for size in SIZES:
        path = results_dir / f"{size}.json"
        if path.exists():
            found[size] = with_ratios(json.loads(path.read_text()))
    return found


FINDINGS = Path(__file__).parent / "findings.md"


def write(doc: Path, results_dir: Path) -> None:
    doc.parent.mkdir(parents=True, exist_ok=True)
    findings = FINDINGS.read_text() if FINDINGS.exists() else ""
    doc.write_text(render(load(results_dir), findings))


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def _kb(n: int | float | None) -> str:
    return "–" if not n else f"{n / 1024:.1f}"


def floor_ratio(entry: dict[str, Any], floor: dict[str, Any] | None) -> float | None:
    """The page's req/s over the floor's, round by round (the floor runs first in every round, so the
    two share the machine's load at the time), then the median of the rounds."""
    if not floor or not entry.get("runs") or not floor.get("runs"):
        return (entry.get("median") or {}).get("floor_ratio")
    ratios = [r["rps"] / f["rps"] for r, f in zip(entry["runs"], floor["runs"]) if f["rps"]]
    return round(statistics.median(ratios), 3) if ratios else None


def with_ratios(result: dict[str, Any]) -> dict[str, Any]:
    floor = result["scenarios"].get("floor")
    for entry in result["scenarios"].values():
        if entry.get("median"):
            entry["median"]["floor_ratio"] = floor_ratio(entry, floor)
    return result


def _cost(entry: dict[str, Any]) -> float | None:
    m = entry.get("median") or {}
    if m.get("app_cpu_ms") is None or m.get("pg_cpu_ms") is None:
        return None
    return m["app_cpu_ms"] + m["pg_cpu_ms"]


def _measured(result: dict[str, Any], key: str) -> dict[str, Any] | None:
    entry = result["scenarios"].get(key)
    return entry if entry and entry.get("status") == "measured" and entry.get("median") else None


def targets(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(target, figures, verdict) for each target of issue 8."""
    rows = []
    # 1. The feed serves at least half the floor's requests per second.
    figures, verdicts = [], []
    for size, result in results.items():
        feed = _measured(result, "feed")
        if feed:
            ratio = feed["median"].get("floor_ratio")
            figure = f"{size}: {ratio:.0%} of the floor"
            churn = _measured(result, "feed_churn")
            if churn and churn["median"].get("floor_ratio") is not None:
                # Not the target's figure, but the one that says what the feed cache is worth while streets change.
                figure += (f" ({churn['median']['floor_ratio']:.0%} with {churn['median'].get('writes_per_s') or 0:.0f} "
                           "changes a second in the sampled streets)")
            figures.append(figure)
            verdicts.append(ratio is not None and ratio >= FLOOR_SHARE)
        else:
            figures.append(f"{size}: feed {result['scenarios'].get('feed', {}).get('status', 'not run')}")
    rows.append(("The street feed serves at least 50% of the floor's requests per second", "; ".join(figures),
                 _verdict(verdicts, complete=len(verdicts) == len(results) and bool(results))))
    # 2. Cost is flat with scale.
    figures, verdicts = [], []
    if "small" in results and "city" in results:
        for key in FLAT_PAGES:
            small, city = _measured(results["small"], key), _measured(results["city"], key)
            if small and city and _cost(small) and _cost(city):
                ratio = _cost(city) / _cost(small)
                figures.append(f"{key}: {ratio:.2f}x")
                verdicts.append(ratio <= SCALE_LIMIT)
            else:
                figures.append(f"{key}: not measured at both sizes")
    else:
        figures.append("needs results at both sizes")
    rows.append(("Feed, search and dashboard at 1M offers cost at most 1.3x what they cost at 10,000 offers "
                 "(server CPU per request, app + PostgreSQL)", "; ".join(figures),
                 _verdict(verdicts, complete=len(verdicts) == len(FLAT_PAGES))))
    # 3. p99 under 100 ms.
    figures, verdicts = [], []
    for size, result in results.items():
        floor = _measured(result, "floor")
        if floor:
            figures.append(f"{size} floor: {floor['median']['p99_ms']:.0f} ms")
        for key in P99_PAGES:
            entry = _measured(result, key)
            if entry:
                p99 = entry["median"]["p99_ms"]
                figures.append(f"{size} {key}: {p99:.0f} ms")
                verdicts.append(p99 < P99_LIMIT_MS)
            else:
                figures.append(f"{size} {key}: {result['scenarios'].get(key, {}).get('status', 'not run')}")
    rows.append(("p99 under 100 ms at 16 connections for the feed, offer and exchange pages", "; ".join(figures),
                 _verdict(verdicts, complete=len(verdicts) == len(P99_PAGES) * len(results) and bool(results))))
    # 4. Home page weight.
    figures, verdicts = [], []
    for size, result in results.items():
        weight = result.get("page_weight") or {}
        if weight:
            figures.append(f"{size}: {_kb(weight['total_bytes'])} KB")
            verdicts.append(weight["total_bytes"] < WEIGHT_LIMIT)
    feed_built = all(_measured(r, "feed") for r in results.values()) and bool(results)
    rows.append(("The home page a phone downloads (HTML + CSS + JS + first-screen images) is under 100 KB",
                 "; ".join(figures) + ("" if feed_built else " (of the page served today; the feed is not built yet)"),
                 _verdict(verdicts, complete=feed_built)))
    # 5. No error responses.
    figures, verdicts = [], []
    for size, result in results.items():
        errors = sum((e.get("median") or {}).get("errors", 0) for e in result["scenarios"].values())
        timeouts = sum((e.get("median") or {}).get("timeouts", 0) for e in result["scenarios"].values())
        failing = [k for k, e in result["scenarios"].items() if e.get("status") == "failing"]
        restarts = result.get("worker_restarts", 0)
        text = f"{size}: {errors} unexpected responses, {timeouts} requests unanswered after 30 s"
        if failing:
            text += f", failing before load: {', '.join(failing)}"
        if restarts:
            text += f", {restarts} worker restarts"
        figures.append(text)
        verdicts.append(errors == 0 and timeouts == 0 and not failing and not restarts)
    rows.append(("No error responses during the run", "; ".join(figures), _verdict(verdicts, complete=bool(results))))
    return rows


def _verdict(verdicts: list[bool], *, complete: bool) -> str:
    if not verdicts:
        return "not measurable yet"
    if not all(verdicts):
        return "**fail**"
    return "pass" if complete else "pass so far (not all measured)"


def render(results: dict[str, dict[str, Any]], findings: str = "") -> str:
    out: list[str] = ["# Performance", ""]
    out.append(
        "Streetshare measured at city scale against the framework's own floor (issue 8). Produced by "
        "`bench/run.py`; see `bench/README.md` for how to run it and what each figure means. Absolute "
        "numbers drift on a shared machine: compare pages with the floor measured in the same run."
    )
    out.append("")
    if not results:
        out.append("No results yet: run `uv run python -m bench.run --size small`.")
        return "\n".join(out) + "\n"
    any_result = next(iter(results.values()))
    out += ["## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    for target, figures, verdict in targets(results):
        out.append(f"| {target} | {figures} | {verdict} |")
    out.append("")
    machine = any_result["machine"]
    out += [
        "## The machine and the settings", "",
        f"- {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gb']} GB memory, Linux {machine['kernel']}, "
        f"Python {machine['python']}, PostgreSQL {any_result.get('postgres', '?')} (embedded, compose.yaml's "
        "settings: defaults but 512 MB of shared_buffers; plus pg_stat_statements), {}.".format(machine.get("wrk") or "wrk"),
        "- Load generator, app servers and PostgreSQL all share these CPUs.",
    ]
    for size, result in results.items():
        s = result["settings"]
        out.append(
            f"- {size}: `{result['command']}` on {result['date']}: {s['workers']} workers for the app and for the floor, "
            f"{s['connections']} connections from {s['threads']} wrk threads, {s['duration_s']} s per measurement "
            f"after {s['warmup_s']} s of warm-up, {s['repeats']} measurements per page (median shown), "
            f"{s['people']} sampled residents; the run took {result['seconds'] / 60:.0f} minutes."
        )
    out.append("")
    for size, result in results.items():
        out += _size_section(size, result)
    if len(results) == 2:
        out += _scale_section(results)
    out += _slow_section(results)
    if findings.strip():
        out += [findings.strip(), ""]
    out += _method_section()
    return "\n".join(out) + "\n"


def _size_section(size: str, result: dict[str, Any]) -> list[str]:
    gen = result["generation"]
    offers = gen["counts"].get("offer", 0)
    out = [f"## {'Small city' if size == 'small' else 'Full city' if size == 'city' else size} ({offers:,} offers)", ""]
    counts = ", ".join(f"{table} {n:,}" for table, n in gen["counts"].items())
    seconds = gen["seconds"]
    out.append(f"Generated with seed {gen['seed']} (reference time {gen['now']}) in {seconds['total']:.0f} s "
               f"(plan {seconds.get('plan', 0):.0f} s, COPY {seconds.get('copy', 0):.0f} s, indexes "
               f"{seconds.get('indexes', 0):.0f} s, VACUUM ANALYZE {seconds.get('vacuum_analyze', 0):.0f} s): {counts}.")
    if result.get("neighbouring_streets") is not None:
        out.append(f"The sampled residents' streets have {result['neighbouring_streets']} other streets within a mile "
                   "on average (the feed of a resident who looks \"nearby\" covers them too).")
    if gen.get("skipped"):
        out.append("Not generated (no table yet): " + ", ".join(f"{t}" for t in gen["skipped"]) + ".")
    loads = [e["median"].get("load_average") for e in result["scenarios"].values() if e.get("median")]
    loads = [x for x in loads if x is not None]
    if loads:
        out.append(f"Load average (1 min) during the measurements: {min(loads):.1f} to {max(loads):.1f} "
                   f"on {result['machine']['cpus']} CPUs.")
    out.append("")
    out += [
        "| page | path | req/s | × floor | p50 ms | p99 ms | unexpected | app CPU ms/req | PostgreSQL CPU ms/req "
        "| DB time ms/req | queries/req | page KB (gzip) | peak RSS MB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    waiting = []
    for key, entry in result["scenarios"].items():
        m = entry.get("median")
        if not m:
            waiting.append((key, entry))
            continue
        ratio = m.get("floor_ratio")
        path = (entry.get("path") or "").replace("|", "\\|")
        method = "" if entry.get("method", "GET") == "GET" else f"{entry['method']} "
        out.append(
            f"| {entry['title']} | `{method}{path}` | {_num(m['rps'])} | {'1.00' if key == 'floor' else _num(ratio, 2)} "
            f"| {_num(m['p50_ms'])} | {_num(m['p99_ms'])} | {m['errors']}"
            f"{' (+' + str(m['timeouts']) + ' timed out)' if m.get('timeouts') else ''} | {_num(m['app_cpu_ms'], 2)} "
            f"| {_num(m['pg_cpu_ms'], 2)} | {_num(m['db_ms'], 2)} | {_num(m['queries'], 1)} "
            f"| {_kb(m.get('bytes_per_request'))} | {_num(m['peak_rss_mb'], 0)} |"
        )
    out.append("")
    if waiting:
        out.append("Not measured in this run:")
        out.append("")
        for key, entry in waiting:
            detail = f": {entry['detail']}" if entry.get("detail") else ""
            out.append(f"- {entry['title']} (`{key}`): {entry['status']}{detail}")
        out.append("")
    floor = result["scenarios"].get("floor", {})
    feed = result["scenarios"].get("feed", {})
    out.append(f"The floor page is {_kb(floor.get('page_bytes'))} KB uncompressed "
               f"({_kb(floor.get('wire_bytes'))} KB gzip); the feed page is "
               f"{_kb(feed.get('page_bytes')) if feed.get('status') == 'measured' else 'not built yet'}"
               f"{' KB' if feed.get('status') == 'measured' else ''}.")
    out.append("")
    weight = result.get("page_weight") or {}
    if weight:
        out += [f"Page weight of `{weight['path']}` for a signed-in resident, as a phone downloads it (gzip as served):",
                "", "| what | path | encoding | body bytes | header bytes |", "|---|---|---|--:|--:|"]
        for item in weight["items"]:
            out.append(f"| {item['kind']} | `{item['url']}` | {item['encoding']} | {item['body']:,} | {item['headers']:,} |")
        out.append(f"| **total** | | | **{weight['body_bytes']:,}** | **{weight['header_bytes']:,}** |")
        out.append("")
        signed_out = result.get("page_weight_signed_out")
        extra = f" The signed-out home page weighs {_kb(signed_out['total_bytes'])} KB." if signed_out else ""
        out.append(f"Total {_kb(weight['total_bytes'])} KB (limit 100 KB).{extra}")
        out.append("")
    return out


def _scale_section(results: dict[str, dict[str, Any]]) -> list[str]:
    small, city = results["small"], results["city"]
    out = ["## Cost with scale (city ÷ small)", "",
           "| page | server CPU ms/req small | city | ratio | p50 ms small | city | DB ms/req small | city |",
           "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for key, entry in small["scenarios"].items():
        other = city["scenarios"].get(key)
        if not entry.get("median") or not other or not other.get("median"):
            continue
        a, b = _cost(entry), _cost(other)
        ratio = f"{b / a:.2f}" if a and b else "–"
        out.append(f"| {entry['title']} | {_num(a, 2)} | {_num(b, 2)} | {ratio} | {_num(entry['median']['p50_ms'])} "
                   f"| {_num(other['median']['p50_ms'])} | {_num(entry['median']['db_ms'], 2)} "
                   f"| {_num(other['median']['db_ms'], 2)} |")
    out.append("")
    return out


def _slow_section(results: dict[str, dict[str, Any]]) -> list[str]:
    """For each page under half the floor or over 100 ms at p99: the statements that took the most time."""
    out = ["## Where the time goes", "",
           "Pages under half the floor's req/s, and the feed, offer and exchange pages when over 100 ms at p99, "
           "with the statements that took the most database time (pg_stat_statements, per request):", ""]
    found = False
    for size, result in results.items():
        for key, entry in result["scenarios"].items():
            m = entry.get("median") or {}
            if key == "floor" or not m or key in ("signin", "api_token"):
                continue
            slow = (m.get("floor_ratio") or 1) < FLOOR_SHARE
            late = key in P99_PAGES and (m.get("p99_ms") or 0) >= P99_LIMIT_MS
            if not slow and not late:
                continue
            found = True
            best = max(entry["runs"], key=lambda r: r["rps"])
            served = best.get("served") or best["requests"] or 1
            heavy = [st for st in (m.get("top_statements") or []) if st["ms"] / served >= 1.0][:2]
            line = (f"- **{size}, {entry['title']}** ({_num(m.get('floor_ratio'), 2)} × floor, p99 "
                    f"{_num(m.get('p99_ms'), 0)} ms; app {_num(m.get('app_cpu_ms'), 2)} ms + PostgreSQL "
                    f"{_num(m.get('pg_cpu_ms'), 2)} ms CPU per request)")
            out.append(line + (":" if heavy else ": no statement takes 1 ms; the time is the app's and the queue's."))
            for statement in heavy:
                query = statement["query"][:140].replace("`", "'")
                out.append(f"  - {statement['ms'] / served:.1f} ms, {statement['calls'] / served:.1f}× per request: "
                           f"`{query}…`")
    if not found:
        out.append("None.")
    out.append("")
    return out


def _method_section() -> list[str]:
    return [
        "## How these figures are made", "",
        "- **req/s, p50, p99**: wrk, median of the repeated measurements; latency includes queueing at 16 connections.",
        "- **× floor**: the page's req/s divided by the floor's in the same round (the floor runs first in each "
        "round), median of the rounds. The floor "
        "(`bench/floor_app.py`) is one Litestar handler doing one indexed query (a street's newest 20 offers) and "
        "rendering a Jinja2 page padded to the size of the real feed page, gzip as the app does it, on the same "
        "server (granian, through `streetshare.cli.run_server`) and worker count.",
        "- **unexpected**: responses with another status than the page should give (from the app's JSON request "
        "log) plus connection errors (wrk); requests wrk gave up on (30 s) are reported as timeouts.",
        "- **app CPU / PostgreSQL CPU per request**: user + system CPU of the server's processes (master and "
        "workers) and of every PostgreSQL process during the measurement, divided by the requests served.",
        "- **DB time, queries per request**: pg_stat_statements (reset before each measurement): execution time "
        "and statements for the bench database, divided by requests. It includes the session lookup every signed-in "
        "request makes. Execution time is wall time inside PostgreSQL, waiting for a CPU or a disk included, so on a "
        "busy machine it exceeds PostgreSQL's CPU time.",
        "- **peak RSS**: the largest total resident memory of the server's processes, sampled every 0.2 s.",
        "- **Sign-in**: the real form POST (CSRF cookie and field, argon2 verification, rate-limit counters, a new "
        "session row, a 303). The limits are per email and per client address, so every request uses another "
        "bench resident and another X-Forwarded-For address (the app runs with STREETSHARE_TRUST_PROXY=true, as "
        "it would behind a reverse proxy). argon2 is slow on purpose, so sign-in is not compared with the floor.",
        "- **Page weight**: the signed-in feed page and what its HTML asks for on the first screen (stylesheets, "
        "scripts, icons, images not marked loading=\"lazy\", files the CSS refers to), fetched with "
        "`Accept-Encoding: gzip`; body bytes as served plus response headers. Cached assets (long max-age) would "
        "not be downloaded again on the next visit.",
    ]
