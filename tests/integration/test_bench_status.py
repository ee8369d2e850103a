"""Issue 14's burst (bench/burst.py), tiny: 20 residents of one street of a generated city report a
power cut within 2 seconds through the real `streetshare serve` while their neighbours load the
street's status; afterwards the street counts each home once (two pairs share a home), keeps every
report and has exactly one incident open. And the check says FAIL when a report goes missing."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from streetshare import db

from bench.burst import burst, check, restore_homes
from bench.generate import SIZES, load_city, plan_city

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_a_burst_of_reports_counts_each_home_once_in_one_incident(database, client):
    await load_city(database, plan_city(SIZES["tiny"], 7, NOW), concurrent=False, analyze=False,
                    progress=lambda _: None)
    said: list[str] = []
    results, cast = await burst(database, residents=20, pairs=2, window=2, opening=4, readers=10, connections=2,
                                threads=1, workers=1, runs=1, seed=3, keep=True, say=said.append)

    run = results["runs"][0]
    # Deadlocks, lock waits and statements are read for this database (its URL's path, not the socket's).
    assert results["settings"]["database"] == await db.fetchval("SELECT current_database()")
    assert (run["reports"]["sent"], run["reports"]["ok"]) == (20, 20), run["reports"]
    assert run["reports"]["p99_ms"] > 0
    assert run["check"] == {"passed": True, "homes_here": 18, "homes_reported": 18, "reporters": 20,
                            "reports_kept": 20, "open_incidents": 1, "status_code": 200}
    assert run["loads"]["requests"] > 0 and run["loads"]["unexpected"] == 0, run["loads"]
    assert any(line.strip().startswith("check    PASS") for line in said), said

    # One resident's report goes missing (withdrawn): the same check now fails, one home short.
    alone = next(u for u in cast.reporters if all(u not in pair for pair in cast.pairs))
    response = await client.delete(f"/api/v1/streets/{cast.street}/status/power", headers=alone.bearer())
    assert response.status_code == 204, response.text
    conn = await asyncpg.connect(database)
    try:
        again = await check(client, conn, cast)
        moved = [resident for resident, _, _ in cast.moved]
        await restore_homes(conn, cast)
        homes = await conn.fetchval(
            "SELECT count(DISTINCT (home_lat, home_lng)) FROM resident WHERE id = ANY($1::int[])",
            moved + [host.id for _, host in cast.pairs])
    finally:
        await conn.close()
    assert again["passed"] is False
    assert (again["homes_here"], again["reports_kept"], again["open_incidents"]) == (17, 19, 1)
    assert homes == 4  # the two shared homes are each resident's own again
