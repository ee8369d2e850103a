"""The coordinator's dashboard: the figures are right, private things stay out, and the cost in
queries does not grow with the street."""

from datetime import UTC, date, datetime, timedelta

import pytest
from support.cast import (
    ELM_STREET, OAK_ROAD, history_ask, history_exchange, history_offer, make_street, place_resident,
)

from streetshare import clock, db
from streetshare.coordinators import queries, service
from streetshare.errors import NotAllowed, NotFound

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
async def elm(carol):
    with clock.frozen_at(NOW - timedelta(days=200)):
        return await make_street("Elm Street", ELM_STREET, coordinator=carol)


async def _activity(street_id: int, period: str = "30d") -> queries.Activity:
    with clock.frozen_at(NOW):
        street = await db.fetchrow("SELECT id, name, created_at FROM street WHERE id = $1", street_id)
        return await queries.activity(queries.CoordinatedStreet(street["id"], street["name"], street["created_at"]), period)


async def test_coordinator_of_the_street_may_see_it(carol, elm):
    street = await queries.street_for_coordinator(elm.id, carol.id)
    assert street.name == "Elm Street"


async def test_member_who_is_not_a_coordinator_is_told_it_is_for_coordinators(alice, elm):
    await place_resident(alice, elm)
    with pytest.raises(NotAllowed):
        await queries.street_for_coordinator(elm.id, alice.id)


async def test_coordinator_of_another_street_sees_nothing(dave, elm):
    await make_street("Oak Road", OAK_ROAD, coordinator=dave)
    with pytest.raises(NotFound):
        await queries.street_for_coordinator(elm.id, dave.id)


async def test_unknown_street_is_not_found(carol):
    with pytest.raises(NotFound):
        await queries.street_for_coordinator(999, carol.id)


async def test_members_offers_asks_and_exchanges_are_counted_for_the_period(carol, alice, bob, elm):
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await db.execute("UPDATE resident SET street_joined_at = $2 WHERE id = $1", alice.id, NOW - timedelta(days=100))
    await db.execute("UPDATE resident SET street_joined_at = $2 WHERE id = $1", bob.id, NOW - timedelta(days=3))
    ladder = await history_offer(alice, elm, kind="lend", created_at=NOW - timedelta(days=40))
    await history_offer(alice, elm, kind="give", created_at=NOW - timedelta(days=5))
    await history_offer(bob, elm, kind="skill", created_at=NOW - timedelta(days=2))
    await history_offer(bob, elm, kind="time", status="paused", created_at=NOW - timedelta(days=2))
    await history_ask(bob, elm, created_at=NOW - timedelta(days=1))
    drill = await history_offer(alice, elm, kind="lend", created_at=NOW - timedelta(days=10))
    await history_exchange(provider=alice, recipient=bob, offer=ladder, state="completed",
                           requested_at=NOW - timedelta(days=20), completed_at=NOW - timedelta(days=18))
    await history_exchange(provider=alice, recipient=carol, offer=ladder, state="declined",
                           requested_at=NOW - timedelta(days=10))
    await history_exchange(provider=alice, recipient=bob, offer=drill, state="requested",
                           requested_at=NOW - timedelta(days=1))
    await history_exchange(provider=alice, recipient=carol, offer=drill, state="completed",
                           requested_at=NOW - timedelta(days=60), completed_at=NOW - timedelta(days=59))

    a = await _activity(elm.id, "30d")

    assert (a.members, a.new_members) == (3, 1)
    assert a.offers_by_kind == {"lend": 2, "give": 1, "skill": 1, "time": 0}
    assert a.active_offers == 4
    assert (a.open_asks, a.new_asks, a.new_offers) == (1, 1, 4)
    assert a.exchanges_by_state["completed"] == 1
    assert a.exchanges_by_state["declined"] == 1
    assert a.exchanges_by_state["requested"] == 1
    assert a.exchanges_started == 3
    assert a.completion_rate == 50  # of the two that finished, one completed
    assert a.median_request_to_completion_s == pytest.approx(2 * 24 * 3600)

    everything = await _activity(elm.id, "all")
    assert everything.exchanges_by_state["completed"] == 2
    assert everything.median_request_to_completion_s == pytest.approx(1.5 * 24 * 3600)


async def test_weekly_series_counts_exchanges_started_and_completed_and_new_offers_and_asks(carol, alice, bob, elm):
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    offer = await history_offer(alice, elm, created_at=NOW - timedelta(days=15))
    await history_ask(bob, elm, created_at=NOW - timedelta(days=15))
    await history_exchange(provider=alice, recipient=bob, offer=offer, state="completed",
                           requested_at=NOW - timedelta(days=15), completed_at=NOW - timedelta(days=1))

    a = await _activity(elm.id, "12w")

    assert a.bucket == "week"
    assert 12 <= len(a.series) <= 13
    assert sum(w.started for w in a.series) == 1
    assert sum(w.completed for w in a.series) == 1
    assert sum(w.offers for w in a.series) == 1
    assert sum(w.asks for w in a.series) == 1
    started_week = next(w for w in a.series if w.started)
    completed_week = next(w for w in a.series if w.completed)
    assert started_week.starts < completed_week.starts
    assert started_week.offers == 1 and started_week.asks == 1


async def test_all_time_for_a_long_lived_street_is_shown_by_month(carol, elm):
    await db.execute("UPDATE street SET created_at = $2 WHERE id = $1", elm.id, NOW - timedelta(days=400))
    a = await _activity(elm.id, "all")
    assert a.bucket == "month"
    assert 13 <= len(a.series) <= 15


async def test_unmet_needs_are_open_asks_a_week_old_with_no_exchange_oldest_first(carol, alice, bob, elm):
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    oldest = await history_ask(bob, elm, title="Lift to the hospital", created_at=NOW - timedelta(days=20))
    newer = await history_ask(alice, elm, title="Wallpaper steamer", created_at=NOW - timedelta(days=8))
    await history_ask(alice, elm, title="Too new", created_at=NOW - timedelta(days=3))
    helped = await history_ask(bob, elm, title="Helped already", created_at=NOW - timedelta(days=30))
    await history_exchange(provider=alice, recipient=bob, ask=helped, kind="skill", state="accepted",
                           requested_at=NOW - timedelta(days=29))
    declined = await history_ask(bob, elm, title="Offer was declined", created_at=NOW - timedelta(days=10))
    await history_exchange(provider=alice, recipient=bob, ask=declined, kind="skill", state="declined",
                           requested_at=NOW - timedelta(days=9))
    await history_ask(bob, elm, title="Fulfilled", status="fulfilled", created_at=NOW - timedelta(days=30))
    hidden = await history_ask(bob, elm, title="Hidden", created_at=NOW - timedelta(days=30))
    await db.execute("UPDATE ask SET hidden_at = $2 WHERE id = $1", hidden, NOW)

    a = await _activity(elm.id)

    assert [u.title for u in a.unmet_asks] == ["Lift to the hospital", "Offer was declined", "Wallpaper steamer"]
    assert a.unmet_total == 3
    assert a.unmet_asks[0].id == oldest and a.unmet_asks[-1].id == newer
    assert a.unmet_asks[0].owner_name == "Bob"


async def test_overdue_loans_show_the_item_and_display_names_only(carol, alice, bob, elm):
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    ladder = await history_offer(alice, elm, title="Ladder")
    drill = await history_offer(alice, elm, title="Drill")
    await history_exchange(provider=alice, recipient=bob, offer=ladder, state="handed_over",
                           requested_at=NOW - timedelta(days=20), due_back=date(2026, 11, 15))
    await history_exchange(provider=alice, recipient=bob, offer=drill, state="handed_over",
                           requested_at=NOW - timedelta(days=2), due_back=date(2026, 11, 25))

    a = await _activity(elm.id)

    assert a.overdue_count == 1
    [loan] = a.overdue
    assert (loan.title, loan.lender, loan.borrower, loan.days_overdue) == ("Ladder", "Alice", "Bob", 5)


async def test_quiet_residents_are_only_those_who_asked_to_be_checked_on(carol, alice, bob, dave, elm):
    for person in (alice, bob, dave):
        await place_resident(person, elm)
    long_ago = NOW - timedelta(days=20)
    await db.execute("UPDATE resident SET created_at = $1, last_seen_at = $1", long_ago)
    await db.execute("UPDATE auth_token SET last_used_at = $1", long_ago)
    await service.save_preferences(acting=alice.id, check_on_me=True, check_after_days=7, show_as_sharer=False)
    await service.save_preferences(acting=bob.id, check_on_me=True, check_after_days=30, show_as_sharer=False)
    # dave went quiet too, but never asked to be checked on

    a = await _activity(elm.id)

    assert [(q.display_name, q.days) for q in a.quiet] == [("Alice", 20)]


async def test_a_resident_seen_recently_is_not_quiet(carol, alice, elm):
    await place_resident(alice, elm)
    await db.execute("UPDATE resident SET created_at = $1, last_seen_at = $2 WHERE id = $3",
                     NOW - timedelta(days=50), NOW - timedelta(days=2), alice.id)
    await service.save_preferences(acting=alice.id, check_on_me=True, check_after_days=7, show_as_sharer=False)
    assert (await _activity(elm.id)).quiet == []


async def test_top_sharers_are_only_those_who_opted_in(carol, alice, bob, dave, elm):
    for person in (alice, bob, dave):
        await place_resident(person, elm)
    for provider, n in ((alice, 3), (bob, 1), (dave, 5)):
        for i in range(n):
            offer = await history_offer(provider, elm, kind="give", created_at=NOW - timedelta(days=10))
            await history_exchange(provider=provider, recipient=carol, offer=offer, kind="give", state="completed",
                                   requested_at=NOW - timedelta(days=9), completed_at=NOW - timedelta(days=8))
    await service.save_preferences(acting=alice.id, check_on_me=False, check_after_days=7, show_as_sharer=True)
    await service.save_preferences(acting=bob.id, check_on_me=False, check_after_days=7, show_as_sharer=True)

    a = await _activity(elm.id)

    assert [(s.display_name, s.completed) for s in a.top_sharers] == [("Alice", 3), ("Bob", 1)]


async def test_an_empty_street_has_a_calm_dashboard(carol, elm):
    a = await _activity(elm.id)
    assert a.members == 1
    assert a.completion_rate is None
    assert a.median_request_to_completion_s is None
    assert a.unmet_asks == [] and a.overdue == [] and a.quiet == [] and a.top_sharers == []
    assert all(w.started == 0 for w in a.series)


async def test_another_streets_activity_is_not_counted(carol, alice, bob, dave, elm):
    oak = await make_street("Oak Road", OAK_ROAD, coordinator=dave)
    await place_resident(alice, oak)
    offer = await history_offer(alice, oak, created_at=NOW - timedelta(days=3))
    await history_ask(alice, oak, created_at=NOW - timedelta(days=10))
    await history_exchange(provider=alice, recipient=dave, offer=offer, state="requested", requested_at=NOW)
    a = await _activity(elm.id)
    assert (a.active_offers, a.open_asks, a.exchanges_started, a.unmet_total) == (0, 0, 0, 0)


class QueryCounter:
    def __init__(self, monkeypatch):
        self.calls = 0
        for name in ("fetch", "fetchrow", "fetchval", "execute"):
            original = getattr(db, name)
            monkeypatch.setattr(db, name, self._wrap(original))

    def _wrap(self, original):
        async def counted(*args, **kwargs):
            self.calls += 1
            return await original(*args, **kwargs)

        return counted


async def _grow(street, people, n: int) -> None:
    """n more offers, asks and exchanges of every kind on the street."""
    a, b = people
    for i in range(n):
        offer = await history_offer(a, street, kind="lend", created_at=NOW - timedelta(days=i % 40))
        ask = await history_ask(b, street, created_at=NOW - timedelta(days=8 + i % 30))
        await history_exchange(provider=a, recipient=b, offer=offer, state="handed_over",
                               requested_at=NOW - timedelta(days=i % 40), due_back=date(2026, 11, 1))
        await history_exchange(provider=a, recipient=b, ask=ask, kind="skill", state="completed",
                               requested_at=NOW - timedelta(days=i % 40), completed_at=NOW - timedelta(days=i % 20))
        await db.execute("INSERT INTO report (reporter, street, target_kind, target_id, reason, created_at) "
                         "VALUES ($1, $2, 'offer', $3, 'not right', $4)", b.id, street.id, offer, NOW)


async def test_dashboard_costs_the_same_number_of_queries_however_busy_the_street(monkeypatch, carol, alice, bob, elm):
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    for person in (alice, bob):
        await service.save_preferences(acting=person.id, check_on_me=True, check_after_days=2, show_as_sharer=True)
    await _grow(elm, (alice, bob), 2)
    counter = QueryCounter(monkeypatch)
    small = await _activity(elm.id, "all")
    small_calls, counter.calls = counter.calls, 0
    monkeypatch.undo()

    await _grow(elm, (alice, bob), 30)
    counter = QueryCounter(monkeypatch)
    big = await _activity(elm.id, "all")

    assert counter.calls == small_calls
    assert small_calls <= 10
    assert big.exchanges_started > small.exchanges_started
    assert len(big.unmet_asks) == 0  # every ask was helped
    assert big.overdue_count == 32


async def test_median_time_from_an_ask_to_its_first_match_and_first_offer_of_help(carol, alice, bob, elm):
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    ask = await history_ask(bob, elm, created_at=NOW - timedelta(days=10))
    offer = await history_offer(alice, elm, created_at=NOW - timedelta(days=20))
    other = await history_offer(carol, elm, created_at=NOW - timedelta(days=20))
    for offer_id, hours in ((offer, 2), (other, 30)):
        await db.execute("INSERT INTO match (ask, offer, score, created_at, updated_at) VALUES ($1, $2, 1, $3, $3)",
                         ask, offer_id, NOW - timedelta(days=10) + timedelta(hours=hours))
    await history_exchange(provider=alice, recipient=bob, ask=ask, kind="skill", state="requested",
                           requested_at=NOW - timedelta(days=9))
    a = await _activity(elm.id)
    assert a.median_ask_to_first_match_s == pytest.approx(2 * 3600)
    assert a.median_ask_to_first_exchange_s == pytest.approx(24 * 3600)
