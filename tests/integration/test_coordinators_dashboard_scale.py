"""The dashboard reads only what the period shown needs, and its figures still mean what they meant.

The figures query keeps a street's exchanges of the period (requested or completed since its start)
and the loans still out; the overdue list starts from the street's offers. Every figure is checked
against an aggregate worked out from scratch, in Python, over all of the street's exchanges ever (on a
street with two years of exchanges in every state, and on a street of a city of 20,000 offers), and
EXPLAIN shows that in the city those reads go street first and index-only.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from random import Random

import pytest
from support.cast import ELM_STREET, OAK_ROAD, history_ask, history_exchange, history_offer, make_street, place_resident

from streetshare import clock, db
from streetshare.coordinators import queries, rules, service

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


async def _activity(street_id: int, period: str) -> queries.Activity:
    with clock.frozen_at(NOW):
        street = await db.fetchrow("SELECT id, name, created_at FROM street WHERE id = $1", street_id)
        return await queries.activity(queries.CoordinatedStreet(street["id"], street["name"], street["created_at"]), period)


# ---------------------------------------------------------------- the figures agree with a from-scratch aggregate


async def _history(elm, oak, people, stranger) -> None:
    """Two years of exchanges of every state on Elm Street (some requested before a period and completed
    in it, loans out for months, help on asks without an offer), and some on Oak Road."""
    rng = Random(8)
    alice, bob, dave = people

    def when(days_back: float) -> datetime:
        return NOW - timedelta(days=days_back)

    old_offers = [await history_offer(p, elm, kind="lend", created_at=when(700)) for p in people]
    for _ in range(150):  # finished exchanges on long-lived offers
        provider = rng.choice(people)
        recipient = rng.choice([p for p in (*people, stranger) if p != provider])
        requested = when(rng.uniform(0, 690))
        state = rng.choice(["completed", "completed", "declined", "cancelled", "expired"])
        completed = min(NOW, requested + timedelta(hours=rng.uniform(1, 24 * 20))) if state == "completed" else None
        await history_exchange(provider=provider, recipient=recipient, offer=old_offers[people.index(provider)],
                               state=state, requested_at=requested, completed_at=completed)
    for _ in range(40):  # live exchanges, each on its own offer (a lend offer is in one live exchange at a time)
        provider = rng.choice(people)
        recipient = rng.choice([p for p in (*people, stranger) if p != provider])
        requested = when(rng.uniform(0, 400))
        offer = await history_offer(provider, elm, kind="lend", created_at=requested - timedelta(days=1))
        state = rng.choice(["requested", "accepted", "handed_over", "handed_over", "returned"])
        due = (requested + timedelta(days=rng.uniform(3, 60))).date() if state == "handed_over" else None
        await history_exchange(provider=provider, recipient=recipient, offer=offer, state=state, requested_at=requested,
                               due_back=due)
    for i in range(30):  # help offered on asks, without an offer; some answered with an offer too
        owner = rng.choice(people)
        helper = rng.choice([p for p in people if p != owner])
        created = when(rng.uniform(1, 500))
        ask = await history_ask(owner, elm, created_at=created)
        requested = created + timedelta(hours=rng.uniform(1, 24 * 10))
        if i % 3 == 0:
            await history_exchange(provider=helper, recipient=owner, ask=ask, kind="lend", state="handed_over",
                                   requested_at=requested, due_back=(requested + timedelta(days=14)).date())
        elif i % 3 == 1:
            await history_exchange(provider=helper, recipient=owner, ask=ask, kind="skill", state="completed",
                                   requested_at=requested, completed_at=requested + timedelta(days=rng.uniform(0.1, 9)))
        else:
            offer = await history_offer(helper, elm, kind="skill", created_at=requested - timedelta(hours=1))
            await history_exchange(provider=helper, recipient=owner, offer=offer, ask=ask, kind="skill",
                                   state="completed", requested_at=requested,
                                   completed_at=requested + timedelta(days=2))
    await history_ask(alice, elm, created_at=when(5))  # no help yet
    for _ in range(10):  # another street's exchanges, with the same people
        requested = when(rng.uniform(0, 100))
        offer = await history_offer(dave, oak, kind="lend", created_at=requested)
        await history_exchange(provider=dave, recipient=bob, offer=offer, state="handed_over", requested_at=requested,
                               due_back=(requested + timedelta(days=3)).date())
        ask = await history_ask(bob, oak, created_at=requested)
        await history_exchange(provider=alice, recipient=bob, ask=ask, kind="skill", state="completed",
                               requested_at=requested, completed_at=requested + timedelta(days=1))


def _bucket_start(at: datetime, bucket: str) -> date:
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday()) if bucket == "week" else day.replace(day=1)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


async def _from_scratch(street_id: int, period: str) -> dict:
    """Every exchange figure worked out in Python from all of the street's exchanges ever."""
    street = await db.fetchrow("SELECT created_at FROM street WHERE id = $1", street_id)
    since = rules.period_start(period, NOW, street["created_at"])
    bucket = rules.chart_bucket(since, NOW)
    every = await db.fetch(
        """
        SELECT e.id, e.offer, e.ask, e.state, e.provider, e.due_back, e.requested_at, e.completed_at
        FROM exchange e LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask
        WHERE CASE WHEN e.offer IS NOT NULL THEN o.street ELSE a.street END = $1
        """,
        street_id,
    )
    started = [e for e in every if e["requested_at"] >= since]
    completed = [e for e in every if e["state"] == "completed" and e["completed_at"] >= since]
    overdue = [e for e in every if e["state"] == "handed_over" and e["due_back"] < TODAY]
    sharers = {r["id"]: r["display_name"] for r in await db.fetch(
        """SELECT r.id, r.display_name FROM resident r JOIN care_preference p ON p.resident = r.id AND p.show_as_sharer
           WHERE r.street = $1 AND r.is_active""", street_id)}
    shared = Counter(e["provider"] for e in completed if e["provider"] in sharers)
    asks = await db.fetch("SELECT id, created_at FROM ask WHERE street = $1 AND created_at >= $2", street_id, since)
    firsts = {}
    ask_ids = [a["id"] for a in asks]
    for e in await db.fetch("SELECT ask, requested_at FROM exchange WHERE ask = ANY($1::int[])", ask_ids):
        firsts[e["ask"]] = min(firsts.get(e["ask"], e["requested_at"]), e["requested_at"])
    return {
        "by_state": {s: sum(1 for e in started if e["state"] == s) for s in queries.EXCHANGE_STATES},
        "median_completion": _median([(e["completed_at"] - e["requested_at"]).total_seconds() for e in completed]),
        "median_first_exchange": _median([(firsts[a["id"]] - a["created_at"]).total_seconds()
                                          for a in asks if a["id"] in firsts]),
        "overdue_count": len(overdue),
        "overdue_list": [e["id"] for e in sorted((e for e in overdue if e["offer"] is not None),
                                                 key=lambda e: (e["due_back"], e["id"]))][:queries.LIST_LIMIT],
        "started_by_bucket": Counter(_bucket_start(e["requested_at"], bucket) for e in started),
        "completed_by_bucket": Counter(_bucket_start(e["completed_at"], bucket) for e in completed),
        "top_sharers": [(sharers[p], n) for p, n in
                        sorted(shared.items(), key=lambda pn: (-pn[1], sharers[pn[0]], pn[0]))][:rules.TOP_SHARERS],
    }


async def test_every_exchange_figure_agrees_with_an_aggregate_of_the_streets_whole_history(carol, alice, bob, dave):
    with clock.frozen_at(NOW - timedelta(days=500)):
        elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
        oak = await make_street("Oak Road", OAK_ROAD)
    for person in (alice, bob, dave):
        await place_resident(person, elm)
    for person, shows in ((alice, True), (bob, False), (dave, True)):
        await service.save_preferences(acting=person.id, check_on_me=False, check_after_days=7, show_as_sharer=shows)
    await _history(elm, oak, [alice, bob, dave], carol)

    for period in rules.PERIODS:
        a = await _activity(elm.id, period)
        expected = await _from_scratch(elm.id, period)

        assert a.exchanges_by_state == expected["by_state"], period
        assert a.median_request_to_completion_s == pytest.approx(expected["median_completion"]), period
        assert a.median_ask_to_first_exchange_s == pytest.approx(expected["median_first_exchange"]), period
        assert a.overdue_count == expected["overdue_count"], period
        assert [loan.exchange_id for loan in a.overdue] == expected["overdue_list"], period
        assert {w.starts: w.started for w in a.series if w.started} == dict(expected["started_by_bucket"]), period
        assert {w.starts: w.completed for w in a.series if w.completed} == dict(expected["completed_by_bucket"]), period
        assert [(s.display_name, s.completed) for s in a.top_sharers] == expected["top_sharers"], period

    # the history reaches past every period, and every kind of figure has something to count
    everything = await _from_scratch(elm.id, "all")
    month = await _from_scratch(elm.id, "30d")
    assert sum(everything["by_state"].values()) > sum(month["by_state"].values()) > 0
    assert everything["overdue_count"] > len(everything["overdue_list"]) > 0  # loans on asks count, but aren't listed
    assert month["median_completion"] is not None and month["top_sharers"]


# ---------------------------------------------------------------- street first, index-only, in a city

STREETS = 200
OFFERS_PER_STREET = 100
ASKS_PER_STREET = 20


@pytest.fixture
async def city() -> int:
    """200 streets, two residents each, 20,000 lend offers and 4,000 asks; two years of exchanges
    (one finished exchange per offer and per ask) and a loan out on every fourth offer, half of
    them overdue. Returns a street in the middle."""
    await db.execute(
        """
        INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at)
        SELECT 'Street ' || g, 53.60 + (g / 20) * 0.0045, -1.80 + (g % 20) * 0.0075, 800, $2::timestamptz
        FROM generate_series(0, $1 - 1) AS g
        """,
        STREETS, NOW - timedelta(days=730),
    )
    await db.execute(
        """
        INSERT INTO resident (email, display_name, password_hash, created_at, home_lat, home_lng, street,
                              street_joined_at)
        SELECT 'r' || s.id || '-' || k || '@example.org', 'Resident ' || s.id || '-' || k, 'x', s.created_at,
               s.centre_lat + 0.001, s.centre_lng, s.id, s.created_at
        FROM street s CROSS JOIN generate_series(1, 2) AS k
        """
    )
    await db.execute(
        """
        INSERT INTO offer (owner, street, kind, title, category, status, created_at, updated_at)
        SELECT r.id, r.street, 'lend', 'Thing ' || g, 'tools', 'active', $2::timestamptz - (g % 700) * interval '1 day',
               $2::timestamptz
        FROM resident r CROSS JOIN generate_series(1, $1) AS g
        WHERE r.email LIKE '%-1@example.org'
        """,
        OFFERS_PER_STREET, NOW,
    )
    await db.execute(
        """
        INSERT INTO ask (owner, street, title, category, help_kind, expires_at, status, created_at, updated_at)
        SELECT r.id, r.street, 'Need ' || g, 'tools', 'receive', $2::timestamptz + interval '30 days', 'open',
               $2::timestamptz - (g * 30) * interval '1 day', $2::timestamptz
        FROM resident r CROSS JOIN generate_series(1, $1) AS g
        WHERE r.email LIKE '%-2@example.org'
        """,
        ASKS_PER_STREET, NOW,
    )
    await db.execute(
        """
        INSERT INTO exchange (offer, offer_kind, provider, recipient, started_by, state, requested_at, updated_at,
                              accepted_at, handed_over_at, completed_at, ended_at)
        SELECT o.id, 'lend', o.owner, b.id, 'recipient', 'completed', t, t, t, t,
               t + interval '2 days', t + interval '2 days'
        FROM offer o JOIN resident b ON b.street = o.street AND b.id <> o.owner,
             LATERAL (SELECT $1::timestamptz - (o.id % 720) * interval '1 day' AS t) at
        """,
        NOW,
    )
    await db.execute(
        """
        INSERT INTO exchange (offer, offer_kind, provider, recipient, started_by, state, due_back, requested_at,
                              updated_at, accepted_at, handed_over_at)
        SELECT o.id, 'lend', o.owner, b.id, 'recipient', 'handed_over', $2::date + (g % 40 - 20), t, t, t, t
        FROM offer o JOIN resident b ON b.street = o.street AND b.id <> o.owner,
             LATERAL (SELECT split_part(o.title, ' ', 2)::int AS g) n,
             LATERAL (SELECT $1::timestamptz - (g % 40 + 20) * interval '1 day' AS t) at
        WHERE g % 4 = 0
        """,
        NOW, TODAY,
    )
    await db.execute(
        """
        INSERT INTO exchange (ask, offer_kind, provider, recipient, started_by, state, requested_at, updated_at,
                              accepted_at, completed_at, ended_at)
        SELECT a.id, 'skill', h.id, a.owner, 'provider', 'completed', t, t, t,
               t + interval '1 day', t + interval '1 day'
        FROM ask a JOIN resident h ON h.street = a.street AND h.id <> a.owner,
             LATERAL (SELECT a.created_at + interval '3 hours' AS t) at
        """
    )
    for table in ("street", "resident", "offer", "ask", "exchange"):
        await db.execute(f"VACUUM (ANALYZE) {table}")  # as autovacuum would: the visibility map is set
    return await db.fetchval("SELECT min(id) + $1 / 2 FROM street", STREETS)


def _literal(value) -> str:
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


async def _dashboard_plans(monkeypatch, street_id: int, *, generic: bool) -> dict[str, str]:
    """The dashboard's queries as run for the street, each EXPLAINed (first line of SQL -> plan)."""
    ran: list[tuple[str, tuple]] = []
    for name in ("fetch", "fetchrow", "fetchval"):
        original = getattr(db, name)

        def recording(original=original):
            async def run(sql, *args):
                ran.append((sql, args))
                return await original(sql, *args)

            return run

        monkeypatch.setattr(db, name, recording())
    await _activity(street_id, "30d")
    monkeypatch.undo()
    plans = {}
    async with db.connection() as conn:
        for n, (sql, args) in enumerate(ran[1:]):  # the first reads the street
            # A prepared statement, as asyncpg runs it: PostgreSQL may switch to a generic plan
            # (planned without the values) once it has run five times.
            await conn.execute(f"SET plan_cache_mode = {'force_generic_plan' if generic else 'force_custom_plan'}")
            await conn.execute(f"PREPARE dashboard_{n} AS {sql}")
            values = ", ".join(_literal(arg) for arg in args)
            rows = await conn.fetch(f"EXPLAIN (COSTS OFF) EXECUTE dashboard_{n}({values})")
            await conn.execute(f"DEALLOCATE dashboard_{n}")
            plans[sql.strip().splitlines()[0].strip()] = "\n".join(r[0] for r in rows)
        await conn.execute("RESET plan_cache_mode")
    return plans


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
async def test_the_dashboard_reads_a_streets_exchanges_street_first_and_index_only(monkeypatch, city, generic):
    plans = await _dashboard_plans(monkeypatch, city, generic=generic)

    for first_line, plan in plans.items():
        assert not re.search(r"Seq Scan on exchange\b", plan), (first_line, plan)
    figures = next(plan for line, plan in plans.items() if line.startswith("WITH se AS MATERIALIZED"))
    for index in ("exchange_street_requested", "exchange_street_completed", "exchange_street_on_loan"):
        assert f"Index Only Scan using {index} on exchange" in figures, figures
    period = figures.split("CTE se", 1)[1].split("InitPlan", 1)[0]  # the street's exchanges of the period
    assert not re.search(r"exchange_(offer|ask)\b", period), figures  # never every exchange of every offer
    overdue = next(plan for line, plan in plans.items() if line.startswith("SELECT l.id, o.title"))
    assert "exchange_street_on_loan" in overdue, overdue
    assert not re.search(r"exchange_on_loan\b", overdue), overdue  # not every overdue loan in the city


async def test_in_a_city_the_figures_agree_with_an_aggregate_of_the_streets_whole_history(city):
    for period in rules.PERIODS:
        a = await _activity(city, period)
        expected = await _from_scratch(city, period)
        assert a.exchanges_by_state == expected["by_state"], period
        assert a.overdue_count == expected["overdue_count"] > 0, period
        assert [loan.exchange_id for loan in a.overdue] == expected["overdue_list"], period
        assert {w.starts: w.started for w in a.series if w.started} == dict(expected["started_by_bucket"]), period
        assert a.median_request_to_completion_s == pytest.approx(expected["median_completion"]), period
        assert a.median_ask_to_first_exchange_s == pytest.approx(expected["median_first_exchange"]), period
