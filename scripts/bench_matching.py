"""How fast is matching against a city? Generate a city, then time both directions.

    uv run python scripts/bench_matching.py --offers 200000            # 2,000 streets, 200k offers
    uv run python scripts/bench_matching.py --offers 1000000 --runs 30 # the 1M figure in the report
    uv run python scripts/bench_matching.py --offers 1000000 --db-name bm1m --reuse  # time an existing city again

The city goes into a fresh database "streetshare_bench_matching" (--db-name) on an embedded PostgreSQL
under var/bench-matching-postgres, run with compose.yaml's settings (bench/pg.py: 512 MB of shared
buffers), or --database-url, an empty database that this script migrates and fills. With --reuse the
city already in that database is kept (and given its asks if it has none), so a change can be timed
on the same city. Streets sit on a 45 x 45 grid 500 m apart (so a resident who looks nearby sees
about 30 streets), each with 10 residents; offers are the labelled set's everyday offers
(tests/data/matching_pairs.json) spread over random owners, so words are about as common as on a
real street, and open asks (--asks, a fifth as many by default) the labelled set's asks.

Each run of the "ask" direction posts one ask (the labelled set's asks, in turn) on a random street
and times queries.rank_offers_for_ask: the whole matching of that ask (its scope, the candidate
query, scoring in Python, the reasons). The "offer" direction posts one offer the same way and times
queries.rank_asks_for_offer. It prints the median and the slowest of each, and the candidate
queries' plans (EXPLAIN ANALYZE, BUFFERS) for a ladder ask and a ladder offer. Before timing, the
tables are loaded into PostgreSQL's cache (pg_prewarm), as on a server that has run a while; --cold
times them as they are.
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
sys.path.insert(0, str(ROOT))

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


def kind_of(item: dict) -> str:
    """The labelled ask's kind, or (most leave it out, as people do) the app's guess from its words."""
    from streetshare.asks.rules import infer_help_kind

    return item.get("help_kind") or infer_help_kind(item["title"], item.get("description", ""))


async def build_asks(asks: int) -> None:
    """`asks` open asks from the labelled set's asks, on random residents' streets."""
    items = [{k: a.get(k) or kind_of(a) if k == "help_kind" else a[k]
              for k in ("title", "description", "category", "help_kind")}
             for a in json.loads(DATA.read_text(encoding="utf-8"))["asks"]]
    now = clock.now()
    await db.execute(
        """
        INSERT INTO ask (owner, street, title, description, category, help_kind, expires_at, created_at, updated_at)
        SELECT r.id, r.street, t.title, t.description, t.category, t.help_kind,
               $3::timestamptz + interval '30 days', $3::timestamptz - random() * interval '20 days', $3
        FROM (
            SELECT g, 1 + floor(random() * (SELECT max(id) FROM resident))::int AS who,
                   1 + floor(random() * $2)::int AS which
            FROM generate_series(1, $1) AS g
        ) pick
        JOIN resident r ON r.id = pick.who
        JOIN (SELECT (e.ordinality)::int AS which, e.value->>'title' AS title, e.value->>'description' AS description,
                     e.value->>'category' AS category, e.value->>'help_kind' AS help_kind
              FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e) t ON t.which = pick.which
        """,
        asks, len(items), now, json.dumps(items),
    )
    await db.execute("VACUUM ANALYZE ask")


async def prewarm() -> None:
    """Load the tables matching reads into PostgreSQL's cache, as on a server that has run for a while
    (compose's 512 MB hold a 1M-offer city's tables, not all their indexes): otherwise each run reads
    its streets' rows from the operating system's cache, and the figures say more about the machine."""
    try:
        await db.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    except Exception as error:  # a --database-url server without contrib: time it as it is
        print(f"not prewarmed ({error})")
        return
    for table in ("street", "resident", "offer", "ask"):
        await db.fetchval("SELECT pg_prewarm($1::regclass)", table)


async def post_ask(item: dict, street: int) -> int:
    owner = await db.fetchval("SELECT id FROM resident WHERE street = $1 ORDER BY id LIMIT 1", street)
    return await db.fetchval(
        """
        INSERT INTO ask (owner, street, title, description, category, help_kind, expires_at, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id
        """,
        owner, street, item["title"], item.get("description", ""), item["category"], kind_of(item),
        clock.now() + timedelta(days=30), clock.now(),
    )


async def post_offer(item: dict, street: int) -> int:
    owner = await db.fetchval("SELECT id FROM resident WHERE street = $1 ORDER BY id LIMIT 1", street)
    return await db.fetchval(
        """
        INSERT INTO offer (owner, street, kind, title, description, category, starts_at, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
        RETURNING id
        """,
        owner, street, item["kind"], item["title"], item.get("description", ""), item["category"],
        clock.now() + timedelta(days=2) if item["kind"] == "time" else None, clock.now(),
    )


async def explain(direction: str, item_id: int) -> str:
    """The plan of the candidate query (words and category) for a new ask, or a new offer."""
    from streetshare.matching import rules

    vocab = await queries.vocabulary()
    if direction == "ask":
        subject = await queries.ask_subject(item_id)
        kinds = rules.offer_kinds_for(subject.kind)
        category_kinds = [k for k in kinds if rules.category_alone_counts(subject.kind, k)]
        args = await queries.candidate_args(subject, kinds=kinds, category_kinds=category_kinds, vocab=vocab,
                                            title_words_only=True)
        query = queries.OFFER_CANDIDATES
    else:
        subject = await queries.offer_subject(item_id)
        kinds = rules.help_kinds_for(subject.kind)
        category_kinds = [h for h in kinds if rules.category_alone_counts(h, subject.kind)]
        args = await queries.candidate_args(subject, kinds=kinds, category_kinds=category_kinds, vocab=vocab)
        query = queries.ASK_CANDIDATES
    rows = await db.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query.sql, *query.args(args))
    return "\n".join(r[0] for r in rows)


async def measure(direction: str, runs: int, seed: int) -> list[float]:
    """Post `runs` new asks (offers) on random streets, timing the matching of each."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    items = data["asks"] if direction == "ask" else list(data["offers"].values())
    rng = random.Random(seed)
    streets = [r["id"] for r in await db.fetch("SELECT id FROM street ORDER BY id")]
    await queries.vocabulary()  # once per process, as in the worker
    timings = []
    for i in range(runs):
        item = items[i % len(items)]
        if direction == "ask":
            item_id = await post_ask(item, rng.choice(streets))
            started = time.perf_counter()
            ranking = await queries.rank_offers_for_ask(item_id)
        else:
            item_id = await post_offer(item, rng.choice(streets))
            started = time.perf_counter()
            ranking = await queries.rank_asks_for_offer(item_id)
        timings.append((time.perf_counter() - started) * 1000)
        if i == 0:
            print(f"first {direction} {item['title']!r}: {len(ranking.top)} matches")
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=200_000)
    parser.add_argument("--streets", type=int, default=2_000)
    parser.add_argument("--asks", type=int, default=None, help="open asks in the city (default: offers / 5)")
    parser.add_argument("--direction", choices=("ask", "offer", "both"), default="both",
                        help="time matching a new ask against offers, a new offer against asks, or both")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--db-name", default="streetshare_bench_matching", help="on the embedded server")
    parser.add_argument("--reuse", action="store_true", help="keep the city already in the database")
    parser.add_argument("--cold", action="store_true",
                        help="don't load the tables into PostgreSQL's cache first (pg_prewarm) before timing")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    url = args.database_url
    if url is None:
        from bench.pg import start_server

        # compose.yaml's shared_buffers; start_server runs its own event loop, so in a thread
        server = await asyncio.to_thread(start_server, ROOT / "var" / "bench-matching-postgres")
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
        asks = args.offers // 5 if args.asks is None else args.asks
        if asks and await db.fetchval("SELECT count(*) FROM ask") < asks // 2:  # a new city, or one from before asks
            started = time.perf_counter()
            await build_asks(asks)
            print(f"added {asks} open asks in {time.perf_counter() - started:.0f} s")
        count = await db.fetchval("SELECT count(*) FROM offer")
        open_asks = await db.fetchval("SELECT count(*) FROM ask WHERE status = 'open'")
        if not args.cold:
            await prewarm()
        directions = ("ask", "offer") if args.direction == "both" else (args.direction,)
        if "ask" in directions:
            ask_id = await post_ask({"title": "Can anyone lend me a ladder?", "description": "To clear the gutters.",
                                     "category": "tools", "help_kind": "borrow"}, 1000)
            print(await explain("ask", ask_id))
        if "offer" in directions:
            offer_id = await post_offer({"kind": "lend", "category": "tools", "title": "Extending ladder",
                                         "description": "3.9 m aluminium ladder, good for gutters."}, 1000)
            print(await explain("offer", offer_id))
        for direction in directions:
            timings = await measure(direction, args.runs, args.seed)
            against = f"{count} offers" if direction == "ask" else f"{open_asks} open asks"
            print(f"matching a new {direction} against {against}: median {statistics.median(timings):.1f} ms, "
                  f"fastest {min(timings):.1f} ms, slowest {max(timings):.1f} ms over {len(timings)} {direction}s")
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
