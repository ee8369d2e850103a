"""Matching stays fast on a city: candidates come through the indexes, scoped by street, never a scan of offers.

A generated city (STREETS streets 500 m apart, OFFERS offers) is enough for PostgreSQL to plan as it
would for a big one. scripts/bench_matching.py measures the time on 200k and 1M offers.

The words source finds each street's items through the per-street word index (offer_street_words /
ask_street_words, keys '<street> <lexeme>'), never a city-wide text index: a city-wide scan costs
what the whole city holds of the words, so it grew with the city.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

import pytest

from streetshare import clock, db
from streetshare.matching import evaluate, queries, rules

STREETS = 900  # a 30 x 30 grid, 500 m apart: about 30 streets within a mile of each
OFFERS = 40_000


async def build_city() -> None:
    texts = list(evaluate.load()["offers"].values())
    now = clock.now()
    await db.execute(
        """
        INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at)
        SELECT 'Street ' || i, 53.75 + (i / 30) * 0.0045::float8, -1.60 + (i % 30) * 0.0075::float8, 800, $2
        FROM generate_series(0, $1 - 1) AS i
        """,
        STREETS, now,
    )
    await db.execute(
        """
        INSERT INTO resident (email, display_name, password_hash, created_at, home_lat, home_lng, street,
                              street_joined_at, looks_at)
        SELECT 'r' || s.id || '-' || n || '@city.invalid', 'Neighbour ' || n, 'x', $1,
               s.centre_lat + (n - 3) * 0.0004, s.centre_lng, s.id, $1, 'nearby'
        FROM street s, generate_series(1, 5) AS n
        """,
        now,
    )
    await db.execute(
        """
        INSERT INTO offer (owner, street, kind, title, description, category, starts_at, created_at, updated_at)
        SELECT r.id, r.street, t.value->>'kind', t.value->>'title', t.value->>'description', t.value->>'category',
               CASE WHEN t.value->>'kind' = 'time' THEN $3::timestamptz + interval '2 days' END,
               $3::timestamptz - (g % 60) * interval '1 day', $3
        FROM generate_series(1, $1) AS g
        JOIN resident r ON r.id = 1 + (g * 7919) % (SELECT count(*) FROM resident)
        JOIN jsonb_array_elements($4::jsonb) WITH ORDINALITY AS t(value, n) ON t.n = 1 + (g * 31) % $2
        """,
        OFFERS, len(texts), now, json.dumps(texts),
    )
    for table in ("offer", "resident", "street"):
        await db.execute(f"ANALYZE {table}")


async def post_ask(title: str, *, help_kind: str = "borrow", category: str = "tools", description: str = "") -> int:
    street = await db.fetchval("SELECT id FROM street WHERE name = 'Street 465'")  # in the middle of the grid
    owner = await db.fetchval("SELECT id FROM resident WHERE street = $1 ORDER BY id LIMIT 1", street)
    return await db.fetchval(
        """
        INSERT INTO ask (owner, street, title, description, category, help_kind, expires_at, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id
        """,
        owner, street, title, description, category, help_kind, clock.now() + timedelta(days=30), clock.now(),
    )


async def plans(ask_id: int) -> list[str]:
    ask = await queries.ask_subject(ask_id)
    kinds = rules.offer_kinds_for(ask.kind)
    args = await queries.candidate_args(ask, kinds=kinds, vocab=await queries.vocabulary(),
                                        category_kinds=[k for k in kinds if rules.category_alone_counts(ask.kind, k)])
    out = []
    for query in (queries.OFFER_CANDIDATES, queries.OFFER_TITLE_CANDIDATES):
        rows = await db.fetch("EXPLAIN " + query.sql, *query.args(args))
        out.append("\n".join(r[0] for r in rows))
    return out


def assert_words_found_per_street(plan: str, table: str) -> None:
    """The words source reads the per-street word index, and no city-wide text index."""
    assert f"Bitmap Index Scan on {table}_street_words" in plan, plan
    assert f"on {table}_search" not in plan and f"on {table}_street_search" not in plan, plan


async def test_candidate_queries_use_the_street_and_text_indexes_never_a_scan_of_offers():
    await build_city()
    asks = [
        await post_ask("Can anyone lend me a ladder?", description="To clear the gutters."),
        await post_ask("Someone to cut back my hedge", help_kind="skill", category="garden"),
        await post_ask("Strimer", category="garden"),  # misspelt: the trigram source
    ]
    for ask_id in asks:
        words, by_title = await plans(ask_id)
        for plan in (words, by_title):
            assert "Seq Scan on offer" not in plan, plan
            assert "Index Scan" in plan or "Bitmap Index Scan" in plan, plan
    for ask_id in asks[:2]:
        assert_words_found_per_street((await plans(ask_id))[0], "offer")

    timings = []
    for ask_id in asks * 3:
        started = time.perf_counter()
        ranking = await queries.rank_offers_for_ask(ask_id)
        timings.append((time.perf_counter() - started) * 1000)
        assert ranking.top
    print(f"\nmatching an ask against {OFFERS} offers on {STREETS} streets: "
          f"median {statistics.median(timings):.1f} ms, slowest {max(timings):.1f} ms")


async def test_matching_a_new_offer_uses_the_ask_indexes():
    await build_city()
    asks = evaluate.load()["asks"]
    await db.execute(
        """
        INSERT INTO ask (owner, street, title, description, category, help_kind, expires_at, created_at, updated_at)
        SELECT r.id, r.street, t.value->>'title', t.value->>'description', t.value->>'category',
               coalesce(t.value->>'help_kind', 'borrow'),
               $3::timestamptz + interval '30 days', $3, $3
        FROM generate_series(1, $1) AS g
        JOIN resident r ON r.id = 1 + (g * 7919) % (SELECT count(*) FROM resident)
        JOIN jsonb_array_elements($4::jsonb) WITH ORDINALITY AS t(value, n) ON t.n = 1 + (g * 31) % $2
        """,
        OFFERS // 4, len(asks), clock.now(), json.dumps(asks),
    )
    await db.execute("ANALYZE ask")
    offer_id = await db.fetchval("SELECT id FROM offer WHERE title = 'Extending ladder' ORDER BY id LIMIT 1")
    offer = await queries.offer_subject(offer_id)
    kinds = rules.help_kinds_for(offer.kind)
    args = await queries.candidate_args(offer, kinds=kinds, category_kinds=[], vocab=await queries.vocabulary())
    for query in (queries.ASK_CANDIDATES, queries.ASK_TITLE_CANDIDATES):
        rows = await db.fetch("EXPLAIN " + query.sql, *query.args(args))
        plan = "\n".join(r[0] for r in rows)
        assert "Seq Scan on ask" not in plan and "Seq Scan on offer" not in plan, plan
        if query is queries.ASK_CANDIDATES:
            assert_words_found_per_street(plan, "ask")
    assert (await queries.rank_asks_for_offer(offer_id)).top

    words = queries.Named.of(queries._SOURCES["ask"]["text"])
    plain = await db.fetch(PLAIN_WORDS.replace("offer o", "ask a").replace("o.", "a.").replace("'active'", "'open'")
                           .replace("a.kind", "a.help_kind"), args["streets"], args["kinds"], args["q"], 10_000)
    got = await db.fetch(words.sql, *words.args({**args, "text_limit": 10_000}))
    assert plain and [r["id"] for r in got] == [r["id"] for r in plain]


# The words source as one plain query over the whole scope: what the per-street source must return.
PLAIN_WORDS = """
SELECT o.id FROM offer o
WHERE o.street = ANY($1::int[]) AND o.status = 'active' AND o.hidden_at IS NULL
  AND o.kind = ANY($2::text[]) AND o.search @@ $3::tsquery
ORDER BY ts_rank(o.search, $3::tsquery) DESC, o.id DESC
LIMIT $4
"""


async def test_finding_words_per_street_keeps_exactly_the_candidates_of_one_query_over_the_scope():
    """Same rows, same cut at the limit: the per-street index changes the cost, never the candidates."""
    await build_city()
    titles = ["Can anyone lend me a ladder?", "Someone to cut back my hedge", "Lawnmower", "Travel cot",
              "Jet washer for the patio", "Sewing machine"]
    for title in titles:
        subject = await queries.ask_subject(await post_ask(title, help_kind="borrow"))
        kinds = rules.offer_kinds_for(subject.kind)
        args = await queries.candidate_args(subject, kinds=kinds, category_kinds=[], vocab=await queries.vocabulary(),
                                            title_words_only=True)
        words = queries.Named.of(queries._SOURCES["offer"]["text"])
        for limit in (5, queries.TEXT_CANDIDATES, 10_000):
            values = {**args, "text_limit": limit}
            plain = await db.fetch(PLAIN_WORDS, values["streets"], values["kinds"], values["q"], limit)
            expected = [r["id"] for r in plain]
            got = [r["id"] for r in await db.fetch(words.sql, *words.args(values))]
            assert expected, title
            assert got == expected, title


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        (["'ladder'", "'stepladd'"], ["ladder", "stepladd"]),
        (["'step' <1> 'ladder'", "'ladder'"], ["ladder"]),  # a phrase: its last lexeme, once
        (["'pop-up' <1> 'pop' <2> 'tent'"], ["tent"]),
        (["'o''neil'"], ["o'neil"]),
        ([], []),
    ],
)
def test_the_index_words_are_one_lexeme_of_each_query_term(terms, words):
    assert queries.index_words(terms) == words
