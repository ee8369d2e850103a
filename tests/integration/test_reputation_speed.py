"""A resident's figures stay fast with thousands of exchanges: Hana has 3,000 (made with INSERT ... SELECT)
among 30,000 of other neighbours; every figure is an aggregate through an index, never a sequential
scan of exchange, exchange_event or thanks, and the aggregates agree with a count done by hand."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from streetshare import clock, db
from streetshare.exchanges import rules as exchange_rules
from streetshare.reputation import queries
from streetshare.reputation.rules import HINT_WINDOW, ReliabilityHint, Reputation

HANAS = 3_000
OTHERS = 30_000
NEIGHBOURS = 300


@pytest.fixture
async def hana() -> int:
    """Hana on Elm Street with 3,000 exchanges in every state (and their events and thanks), among 30,000 others."""
    now = clock.now()
    street = await db.fetchval(
        "INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at) VALUES ('Elm Street', 53.6, -1.8, 800, $1) "
        "RETURNING id", now)
    await db.execute(
        """
        INSERT INTO resident (email, display_name, password_hash, created_at, street, street_joined_at)
        SELECT 'n' || g || '@example.org', CASE WHEN g = 0 THEN 'Hana' ELSE 'Neighbour ' || g END, 'x', $2, $1, $2
        FROM generate_series(0, $3) AS g
        """,
        street, now - timedelta(days=900), NEIGHBOURS,
    )
    hana = await db.fetchval("SELECT id FROM resident WHERE display_name = 'Hana'")
    first = await db.fetchval("SELECT min(id) FROM resident WHERE id <> $1", hana)
    # one offer per exchange, so the live-exchange invariants never get in the way
    await db.execute(
        """
        INSERT INTO offer (owner, street, kind, title, category, created_at, updated_at)
        SELECT $1, $2, 'skill', 'Offer ' || g, 'tools', $4, $4 FROM generate_series(1, $3) AS g
        """,
        hana, street, HANAS + OTHERS, now - timedelta(days=800),
    )
    offer0 = await db.fetchval("SELECT min(id) FROM offer")
    # g: 1..HANAS are Hana's (provider two times in three), the rest between neighbours. Days ago: g % 400.
    await db.execute(
        """
        INSERT INTO exchange (offer, offer_kind, provider, recipient, started_by, state, due_back, requested_at,
                              updated_at, accepted_at, handed_over_at, returned_at, completed_at, ended_at)
        SELECT $1::integer + g - 1, x.kind, x.provider, x.recipient, x.started_by, x.state,
               CASE WHEN x.kind = 'lend' AND x.state IN ('handed_over', 'completed') THEN (x.at + interval '5 days')::date END,
               x.at, x.at,
               CASE WHEN x.state IN ('completed', 'handed_over', 'cancelled') THEN x.at END,
               CASE WHEN x.kind = 'lend' AND x.state IN ('completed', 'handed_over') THEN x.at END,
               CASE WHEN x.kind = 'lend' AND x.state = 'completed' THEN x.at + (g % 9) * interval '1 day' END,
               CASE WHEN x.state = 'completed' THEN x.at + (g % 9) * interval '1 day' END,
               CASE WHEN x.state IN ('completed', 'cancelled', 'declined', 'expired')
                    THEN x.at + (g % 9) * interval '1 day' END
        FROM generate_series(1, $2::integer + $3::integer) AS g,
        LATERAL (SELECT
            CASE WHEN g <= $2 AND g % 3 <> 0 THEN $4::integer ELSE $5::integer + g % $6::integer END AS provider,
            CASE WHEN g <= $2 AND g % 3 = 0 THEN $4 ELSE $5 + (g + 1) % $6 END AS recipient,
            CASE WHEN g % 2 = 0 OR g % 13 = 11 THEN 'lend' ELSE 'skill' END AS kind,  -- handed_over: loans only
            CASE WHEN g % 5 = 0 THEN 'provider' ELSE 'recipient' END AS started_by,
            (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'cancelled',
                   'expired', 'declined', 'requested', 'completed', 'handed_over', 'completed'])[1 + g % 13] AS state,
            $7::timestamptz - (g % 400) * interval '1 day' AS at) AS x
        """,
        offer0, HANAS, OTHERS, hana, first, NEIGHBOURS, now,
    )
    # the event log: a request for each, and the cancellations (after acceptance, or not) by who cancelled
    await db.execute(
        """
        INSERT INTO exchange_event (exchange, action, actor, from_state, to_state, at)
        SELECT e.id, 'request', e.recipient, NULL, 'requested', e.requested_at FROM exchange e
        UNION ALL
        SELECT e.id, 'cancel', CASE WHEN e.id % 2 = 0 THEN e.provider ELSE e.recipient END,
               CASE WHEN e.id % 3 = 0 THEN 'requested' ELSE 'accepted' END, 'cancelled', e.ended_at
        FROM exchange e WHERE e.state = 'cancelled'
        """
    )
    # thanks to Hana on a thousand of her completed exchanges; some hidden by a coordinator
    await db.execute(
        """
        INSERT INTO thanks (exchange, author, recipient, text, created_at, hidden_at, hidden_reason)
        SELECT e.id, CASE WHEN e.provider = $1 THEN e.recipient ELSE e.provider END, $1, 'Thanks ' || e.id,
               e.completed_at + interval '1 hour', CASE WHEN e.id % 50 = 0 THEN e.completed_at END,
               CASE WHEN e.id % 50 = 0 THEN 'Unkind' END
        FROM exchange e WHERE $1 IN (e.provider, e.recipient) AND e.state = 'completed' ORDER BY e.id LIMIT 1000
        """,
        hana,
    )
    # and between the other neighbours, so Hana's are a small part of the table
    await db.execute(
        """
        INSERT INTO thanks (exchange, author, recipient, text, created_at)
        SELECT e.id, e.provider, e.recipient, 'Thanks ' || e.id, e.completed_at + interval '1 hour'
        FROM exchange e WHERE $1 NOT IN (e.provider, e.recipient) AND e.state = 'completed' AND e.id % 2 = 0
        """,
        hana,
    )
    await db.execute("ANALYZE resident; ANALYZE offer; ANALYZE exchange; ANALYZE exchange_event; ANALYZE thanks")
    assert await db.fetchval("SELECT count(*) FROM exchange WHERE $1 IN (provider, recipient)", hana) == HANAS
    return hana


async def plan_of(sql: str, *args) -> str:
    rows = await db.fetch("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, *args)
    return "\n".join(r[0] for r in rows)


def assert_index_driven(plan: str) -> None:
    assert not re.search(r"Seq Scan on (exchange|exchange_event|thanks)\b", plan), plan


def execution_ms(plan: str) -> float:
    return float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))


async def test_public_figures_use_the_indexes_for_a_resident_with_thousands_of_exchanges(hana):
    plan = await plan_of(queries.REPUTATION_SQL, hana, queries.STREET_TZ)
    print(plan)
    assert_index_driven(plan)
    assert "exchange_provider_state" in plan
    assert execution_ms(plan) < 250, plan


async def test_private_hint_uses_the_indexes_for_a_resident_with_thousands_of_exchanges(hana):
    now = clock.now()
    plan = await plan_of(queries.HINT_SQL, [hana], now - HINT_WINDOW, exchange_rules.today(now), queries.STREET_TZ)
    print(plan)
    assert_index_driven(plan)
    assert "exchange_event_actor" in plan
    assert execution_ms(plan) < 250, plan


async def test_thanks_list_reads_only_the_newest_notes_through_its_index(hana):
    plan = await plan_of(queries.THANKS_SQL + " WHERE t.recipient = $1 AND t.hidden_at IS NULL "
                         "ORDER BY t.created_at DESC, t.id DESC LIMIT $2", hana, 30)
    print(plan)
    assert_index_driven(plan)
    assert "thanks_recipient" in plan


async def test_the_aggregates_agree_with_counting_by_hand(hana):
    now = clock.now()
    rows = await db.fetch("SELECT * FROM exchange WHERE $1 IN (provider, recipient)", hana)
    events = await db.fetch("SELECT * FROM exchange_event WHERE actor = $1", hana)
    thanks = await db.fetch("SELECT * FROM thanks WHERE recipient = $1", hana)
    since = now - HINT_WINDOW
    today = exchange_rules.today(now)

    def day_of(moment):
        return exchange_rules.today(moment)

    completed = [r for r in rows if r["state"] == "completed"]
    loans = [r for r in completed if r["recipient"] == hana and r["offer_kind"] == "lend"]
    expected = Reputation(
        provided=sum(r["provider"] == hana for r in completed),
        received=sum(r["recipient"] == hana for r in completed),
        thanks=sum(t["hidden_at"] is None for t in thanks),
        on_time_returns=sum(day_of(r["returned_at"] or r["completed_at"]) <= r["due_back"] for r in loans),
        loans_returned=len(loans),
    )
    assert await queries.reputation_of(hana) == expected
    assert 0 < expected.on_time_returns < expected.loans_returned  # some late, some on time: a real test

    borrowed = [r for r in rows if r["recipient"] == hana and r["offer_kind"] == "lend" and r["due_back"]]
    late = sum(1 for r in borrowed if r["state"] in ("returned", "completed")
               and (r["returned_at"] or r["completed_at"]) >= since and day_of(r["returned_at"] or r["completed_at"]) > r["due_back"])
    late += sum(1 for r in borrowed if r["state"] == "handed_over" and today > r["due_back"] >= day_of(since))
    unanswered = sum(1 for r in rows if r["state"] == "expired" and r["ended_at"] >= since and (
        (r["provider"] == hana and r["started_by"] == "recipient") or (r["recipient"] == hana and r["started_by"] == "provider")))
    cancelled = sum(1 for e in events if e["action"] == "cancel" and e["from_state"] in ("accepted", "handed_over", "returned")
                    and e["at"] >= since)
    hint = ReliabilityHint(completed=len(completed), cancelled_after_accepting=cancelled, late_returns=late,
                           unanswered_requests=unanswered)
    assert await queries.reliability_hint(hana, now) == hint
    assert hint.cancelled_after_accepting and hint.late_returns and hint.unanswered_requests
