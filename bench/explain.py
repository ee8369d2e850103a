"""Why is a page slow? EXPLAIN (ANALYZE, BUFFERS) the feed and search queries on a generated city.

    uv run python -m bench.explain --size city --people 5 --q ladder [--plans]

For each of the first sampled residents (the same ones bench.run loads the pages with), runs the
feed query once to warm the cache, then EXPLAINs it (times are planning + execution) (streetshare.feed.queries.page_query) with a custom plan and with a generic plan (asyncpg
keeps prepared statements, and after five executions PostgreSQL may switch to the generic plan),
for the plain feed and for a search, and prints execution times (and the plans with --plans).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics

import asyncpg

from bench import pg


async def explain(url: str, people: int, q: str, show_plans: bool, seed: int) -> None:
    from streetshare import db
    from streetshare.feed import queries as fq

    db.configure(url)
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT id FROM resident WHERE street IS NOT NULL AND is_active ORDER BY md5(id::text || $1) LIMIT $2",
            str(seed), people,
        )
        times: dict[tuple[str, str], list[float]] = {}
        for row in rows:
            scope = await fq.scope_of(row["id"])
            for label, filters in (("feed", fq.Filters()), (f"search {q!r}", fq.Filters.parse(q=q))):
                sql, args = fq.page_query(row["id"], scope, filters, None)
                await conn.fetch(sql, *args)  # warm the cache first: compare plans, not cache states
                for mode in ("force_custom_plan", "force_generic_plan"):
                    await conn.execute(f"SET plan_cache_mode = {mode}")
                    plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args))
                    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
                    planning = re.search(r"Planning Time: ([\d.]+) ms", plan)
                    ms += float(planning.group(1)) if planning else 0.0
                    times.setdefault((label, mode), []).append(ms)
                    print(f"resident {row['id']:>7} ({1 + len(scope.neighbour_ids):>3} streets) {label:<18} "
                          f"{mode.removeprefix('force_').removesuffix('_plan'):<7} {ms:8.2f} ms", flush=True)
                    if show_plans:
                        print(plan, "\n")
        print()
        for (label, mode), values in times.items():
            print(f"{label:<18} {mode:<20} median {statistics.median(values):8.2f} ms  max {max(values):8.2f} ms")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explain")
    parser.add_argument("--size", default="small")
    parser.add_argument("--people", type=int, default=5)
    parser.add_argument("--q", default="ladder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plans", action="store_true", help="print the plans too")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    server = pg.start_server()
    asyncio.run(explain(pg.database_url(server, pg.database_name(args.size)), args.people, args.q, args.plans,
                        args.seed))


if __name__ == "__main__":
    main()
