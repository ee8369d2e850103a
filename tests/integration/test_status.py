"""Street status ("is it just me?"): the rules of issue 14, against real PostgreSQL.

alice and bob live on Elm Street (at different homes), carol coordinates Elm Street, dave lives
across town in Leeds; Oak Road is Elm Street's neighbour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, make_street, place_resident, quick_resident
from support.status import home, resident_at

from streetshare import clock, db
from streetshare.errors import NotAllowed, NotFound, TooManyAttempts
from streetshare.status import queries, rules, service

T0 = datetime(2026, 12, 4, 18, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(T0):
        yield


@pytest.fixture
async def elm(carol):
    return await make_street("Elm Street", ELM_STREET, coordinator=carol)


@pytest.fixture
async def oak():
    return await make_street("Oak Road", OAK_ROAD)


@pytest.fixture
async def leeds():
    return await make_street("Leeds Road", LEEDS)


@pytest.fixture
async def on_elm(elm, alice, bob):
    await place_resident(alice, elm, home=home(elm, 1))
    await place_resident(bob, elm, home=home(elm, 2))
    return elm


async def status(street, viewer, topic="power"):
    return await queries.topic_status(street.id, topic, viewer=viewer.id)


# ---------------------------------------------------------------- reporting and counting homes
async def test_first_affected_answer_opens_an_incident_and_counts_my_home(on_elm, alice):
    assert await service.report(on_elm.id, "power", acting=alice.id, affected=True) is True
    seen = await status(on_elm, alice)
    assert (seen.state, seen.homes_here, seen.mine, seen.since) == ("reported", 1, "affected", T0)


async def test_second_home_joins_the_open_incident(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    assert await service.report(on_elm.id, "power", acting=bob.id, affected=True) is False
    assert (await status(on_elm, alice)).homes_here == 2
    assert await db.fetchval("SELECT count(*) FROM status_incident") == 1


async def test_two_residents_of_one_home_count_once(on_elm, alice, bob):
    partner = await quick_resident("Alice's partner")
    await place_resident(partner, on_elm, home=home(on_elm, 1))
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=partner.id, affected=True)
    assert (await status(on_elm, alice)).homes_here == 1
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    assert (await status(on_elm, alice)).homes_here == 2


async def test_one_answer_per_resident_per_incident_and_a_new_one_replaces_it(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    assert await db.fetchval("SELECT count(*) FROM status_report") == 2
    assert (await status(on_elm, alice)).homes_here == 2
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)
    assert await db.fetchval("SELECT count(*) FROM status_report") == 2
    seen = await status(on_elm, bob)
    assert (seen.homes_here, seen.mine) == (1, "fine")


async def test_fine_with_no_incident_open_records_nothing(on_elm, alice):
    assert await service.report(on_elm.id, "power", acting=alice.id, affected=False) is False
    assert await db.fetchval("SELECT count(*) FROM status_incident") == 0
    assert (await status(on_elm, alice)).state == "clear"


async def test_topics_are_separate_incidents(on_elm, alice):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "water", acting=alice.id, affected=True)
    whole = await queries.street_status(on_elm.id, viewer=alice.id)
    assert [t.topic for t in whole.topics] == [t.name for t in rules.TOPICS]
    assert {t.topic for t in whole.topics if t.state == "reported"} == {"power", "water"}


async def test_gas_records_nothing_and_answers_with_the_emergency_number(on_elm, alice):
    assert await service.report(on_elm.id, "gas", acting=alice.id, affected=True) is False
    assert await db.fetchval("SELECT count(*) FROM status_incident") == 0
    assert await db.fetchval("SELECT count(*) FROM job") == 0
    seen = await status(on_elm, alice, "gas")
    assert (seen.records, seen.state, seen.homes_here) == (False, "clear", 0)
    assert seen.official.phone == "0800 111 999" == rules.GAS_ADVICE.phone


async def test_unknown_topic_is_not_found(on_elm, alice):
    with pytest.raises(NotFound):
        await service.report(on_elm.id, "meteors", acting=alice.id, affected=True)
    with pytest.raises(NotFound):
        await queries.topic_status(on_elm.id, "meteors", viewer=alice.id)


# ---------------------------------------------------------------- who may see and answer
async def test_a_neighbouring_street_sees_the_count_as_nearby(on_elm, oak, alice, bob):
    oak_resident = await resident_at("Olive", oak, 1)
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    seen = await status(oak, oak_resident)
    assert (seen.state, seen.homes_here, seen.homes_nearby) == ("clear", 0, 2)
    assert [(n.street_name, n.homes) for n in seen.nearby] == [("Elm Street", 2)]


async def test_nearby_counts_only_the_same_topic_and_open_incidents(on_elm, oak, alice):
    oak_resident = await resident_at("Olive", oak, 1)
    await service.report(on_elm.id, "water", acting=alice.id, affected=True)
    assert (await status(oak, oak_resident, "power")).homes_nearby == 0
    assert (await status(oak, oak_resident, "water")).homes_nearby == 1


async def test_a_far_street_does_not_count_as_nearby(on_elm, leeds, alice):
    leeds_resident = await resident_at("Dan", leeds, 1)
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    assert (await status(leeds, leeds_resident)).homes_nearby == 0


async def test_a_neighbouring_streets_resident_may_read_but_not_answer(on_elm, oak, alice):
    oak_resident = await resident_at("Olive", oak, 1)
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    seen = await queries.street_status(on_elm.id, viewer=oak_resident.id)
    assert (seen.can_report, seen.is_member, seen.topic("power").homes_here) == (False, False, 1)
    with pytest.raises(NotAllowed):
        await service.report(on_elm.id, "power", acting=oak_resident.id, affected=True)
    with pytest.raises(NotAllowed):
        await service.withdraw(on_elm.id, "power", acting=oak_resident.id)
    assert (await status(on_elm, alice)).homes_here == 1


async def test_someone_from_across_town_gets_not_found(on_elm, leeds, dave):
    await place_resident(dave, leeds, home=home(leeds, 1))
    with pytest.raises(NotFound):
        await queries.street_status(on_elm.id, viewer=dave.id)
    with pytest.raises(NotFound):
        await service.report(on_elm.id, "power", acting=dave.id, affected=True)


async def test_a_resident_with_no_street_gets_not_found(on_elm, dave):
    with pytest.raises(NotFound):
        await queries.street_status(on_elm.id, viewer=dave.id)


async def test_a_street_that_does_not_exist_is_not_found(on_elm, alice):
    with pytest.raises(NotFound):
        await queries.street_status(on_elm.id + 1000, viewer=alice.id)


async def test_a_member_without_a_home_point_may_read_but_not_answer(on_elm, alice):
    homeless = await quick_resident("Nomad")
    await db.execute("UPDATE resident SET street = $2 WHERE id = $1", homeless.id, on_elm.id)
    assert (await queries.street_status(on_elm.id, viewer=homeless.id)).can_report is False
    with pytest.raises(NotAllowed):
        await service.report(on_elm.id, "power", acting=homeless.id, affected=True)


async def test_members_can_report(on_elm, alice):
    seen = await queries.street_status(on_elm.id, viewer=alice.id)
    assert (seen.can_report, seen.is_member, seen.street_name) == (True, True, "Elm Street")


# ---------------------------------------------------------------- withdrawing
async def test_withdrawing_my_answer_takes_my_home_out_of_the_count(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    assert await service.withdraw(on_elm.id, "power", acting=bob.id) is True
    seen = await status(on_elm, bob)
    assert (seen.homes_here, seen.mine, seen.state) == (1, None, "reported")
    assert await db.fetchval("SELECT homes FROM status_incident") == 1


async def test_withdrawing_the_only_answer_deletes_the_incident(on_elm, alice):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    assert await service.withdraw(on_elm.id, "power", acting=alice.id) is True
    assert await db.fetchval("SELECT count(*) FROM status_incident") == 0
    assert (await status(on_elm, alice)).state == "clear"
    assert await queries.incident_history(on_elm.id) == []


async def test_an_incident_left_with_only_fine_answers_after_a_withdrawal_is_deleted(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)  # never off: no home was affected
    await service.withdraw(on_elm.id, "power", acting=alice.id)
    assert await db.fetchval("SELECT count(*) FROM status_incident") == 0
    assert await db.fetchval("SELECT count(*) FROM status_report") == 0


async def test_withdrawing_with_nothing_to_withdraw_says_so(on_elm, alice, bob):
    assert await service.withdraw(on_elm.id, "power", acting=alice.id) is False
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    assert await service.withdraw(on_elm.id, "power", acting=bob.id) is False
    assert (await status(on_elm, alice)).homes_here == 1


# ---------------------------------------------------------------- ending
async def test_incident_ends_back_when_most_affected_homes_say_so(on_elm, alice, bob, carol):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await service.report(on_elm.id, "power", acting=carol.id, affected=True)
    with clock.frozen_at(T0 + timedelta(minutes=90)):
        await service.report(on_elm.id, "power", acting=alice.id, affected=False)
    assert (await status(on_elm, alice)).state == "reported"  # one of three is not more than half
    with clock.frozen_at(T0 + timedelta(minutes=98)):
        await service.report(on_elm.id, "power", acting=bob.id, affected=False)
    seen = await queries.street_status(on_elm.id, viewer=alice.id)
    assert (seen.topic("power").state, seen.topic("power").mine) == ("clear", None)
    [incident] = await queries.incident_history(on_elm.id)
    assert (incident.ended_reason, incident.ended_at, incident.homes) == ("back", T0 + timedelta(minutes=98), 3)
    assert [(i.topic, i.started_at, i.ended_at, i.homes) for i in seen.incidents] == [
        ("power", T0, T0 + timedelta(minutes=98), 3)]


async def test_half_the_homes_back_is_not_enough(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await service.report(on_elm.id, "power", acting=alice.id, affected=False)
    assert (await status(on_elm, alice)).state == "reported"


async def test_homes_that_were_never_affected_do_not_end_it(on_elm, alice, bob, carol):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)
    await service.report(on_elm.id, "power", acting=carol.id, affected=False)
    seen = await status(on_elm, alice)
    assert (seen.state, seen.homes_here) == ("reported", 1)


async def test_after_it_ends_a_new_affected_answer_opens_a_new_incident(on_elm, alice):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=alice.id, affected=False)
    assert (await status(on_elm, alice)).state == "clear"
    assert await service.report(on_elm.id, "power", acting=alice.id, affected=True) is True
    assert [i.open for i in await queries.incident_history(on_elm.id)] == [True, False]


async def test_incident_ends_by_timeout_when_no_one_says_affected_for_a_while(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    with clock.frozen_at(T0 + timedelta(hours=3)):
        await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    with clock.frozen_at(T0 + timedelta(hours=14, minutes=59)):
        assert await service.end_incidents_gone_quiet() == 0
    with clock.frozen_at(T0 + timedelta(hours=15, minutes=1)):  # the worker runs every minute or so
        assert await service.end_incidents_gone_quiet() == 1
        assert (await status(on_elm, alice)).state == "clear"
    [incident] = await queries.incident_history(on_elm.id)
    # It ended when it went quiet, 12 hours after the last "off", not when the worker noticed.
    assert (incident.ended_reason, incident.ended_at, incident.homes) == ("timeout", T0 + timedelta(hours=15), 2)


async def test_timeouts_are_per_topic(on_elm, alice):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "bins", acting=alice.id, affected=True)
    with clock.frozen_at(T0 + timedelta(days=1)):
        assert await service.end_incidents_gone_quiet() == 1
        whole = await queries.street_status(on_elm.id, viewer=alice.id)
        assert (whole.topic("power").state, whole.topic("bins").state) == ("clear", "reported")
    with clock.frozen_at(T0 + timedelta(days=3)):
        assert await service.end_incidents_gone_quiet() == 1


async def test_a_fine_answer_does_not_keep_an_incident_from_timing_out(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    with clock.frozen_at(T0 + timedelta(hours=11)):
        await service.report(on_elm.id, "power", acting=bob.id, affected=False)
    with clock.frozen_at(T0 + timedelta(hours=12)):
        assert await service.end_incidents_gone_quiet() == 1


async def test_the_worker_upkeep_ends_incidents_gone_quiet(on_elm, alice):
    from streetshare import worker

    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    with clock.frozen_at(T0 + timedelta(hours=13)):
        done = await worker.run_upkeep()
    assert done["end_incidents_gone_quiet"] == 1


async def test_history_keeps_the_homes_counted_when_it_ended(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await service.report(on_elm.id, "power", acting=alice.id, affected=False)
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)
    [ended] = await queries.incident_history(on_elm.id)
    assert ended.homes == 2
    # Later answers go to a new incident, and residents moving away change nothing in the old one.
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await db.execute("UPDATE resident SET street = NULL, home_lat = NULL, home_lng = NULL WHERE id = $1", bob.id)
    history = await queries.incident_history(on_elm.id)
    assert [(i.open, i.homes) for i in history] == [(True, 1), (False, 2)]


async def test_an_open_incident_lists_the_homes_that_said_off_so_far(on_elm, alice, bob):
    """The street's list of incidents counts an open one's homes as the topic's card does: 'off'
    answers don't write the incident's row, so the list must not read a stale count from it."""
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await service.report(on_elm.id, "water", acting=bob.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)  # 1 of 2 back: still off
    seen = await queries.street_status(on_elm.id, viewer=alice.id)
    assert sorted((i.topic, i.ended_at, i.homes) for i in seen.incidents) == [("power", None, 2), ("water", None, 1)]
    assert sorted((i.topic, i.homes) for i in await queries.incident_history(on_elm.id)) == [("power", 2), ("water", 1)]


async def test_history_can_start_from_a_date(on_elm, alice):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=alice.id, affected=False)
    with clock.frozen_at(T0 + timedelta(days=2)):
        await service.report(on_elm.id, "water", acting=alice.id, affected=True)
    since = await queries.incident_history(on_elm.id, since=T0 + timedelta(days=1))
    assert [i.topic for i in since] == ["water"]


# ---------------------------------------------------------------- prompts, live updates, rate limit
async def test_opening_an_incident_queues_the_prompts_once(on_elm, alice, bob):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    incident = await queries.open_incident_on(on_elm.id, "power")
    jobs = await db.fetch("SELECT kind, payload::text, run_at, idempotency_key FROM job")
    assert [tuple(j) for j in jobs] == [
        ("status_prompts", f'{{"incident": {incident.id}}}', T0 + timedelta(minutes=2),
         f"status-prompts:{incident.id}")]


async def test_residents_to_prompt_are_the_streets_residents_who_have_not_answered(on_elm, alice, bob, carol, oak):
    await resident_at("Olive", oak, 1)
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    incident = await queries.open_incident_on(on_elm.id, "power")
    assert await queries.residents_to_prompt(incident.id) == sorted([bob.id, carol.id])
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)
    assert await queries.residents_to_prompt(incident.id) == [carol.id]
    assert (await queries.open_incident(incident.id)).street_name == "Elm Street"
    await service.report(on_elm.id, "power", acting=alice.id, affected=False)
    assert await queries.open_incident(incident.id) is None
    assert await queries.residents_to_prompt(incident.id) == []


async def test_the_resident_who_opened_it_is_never_prompted_even_after_withdrawing(on_elm, alice, bob, carol):
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    incident = await queries.open_incident_on(on_elm.id, "power")
    assert incident.opened_by == alice.id
    await service.withdraw(on_elm.id, "power", acting=alice.id)
    assert await queries.residents_to_prompt(incident.id) == [carol.id]


async def test_every_answer_notifies_the_street_and_its_neighbours(database, on_elm, oak, alice):
    import asyncio

    import asyncpg

    heard: list[str] = []
    conn = await asyncpg.connect(database)
    try:
        await conn.add_listener("street_status", lambda *args: heard.append(args[3]))
        await service.report(on_elm.id, "power", acting=alice.id, affected=True)
        await service.report(on_elm.id, "power", acting=alice.id, affected=True)
        await service.withdraw(on_elm.id, "power", acting=alice.id)
        for _ in range(50):
            if len(heard) >= 6:
                break
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    assert sorted(heard) == sorted([str(on_elm.id), str(oak.id)] * 3)


async def test_the_status_version_moves_with_every_answer_here_or_next_door(on_elm, oak, alice, bob, carol, leeds):
    olive = await resident_at("Olive", oak, 1)
    versions = [await queries.status_version(on_elm.id)]

    async def moved() -> bool:
        versions.append(await queries.status_version(on_elm.id))
        return versions[-1] != versions[-2]

    assert not await moved()
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    assert await moved()
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)  # fine from the start
    assert await moved()
    await service.withdraw(on_elm.id, "power", acting=bob.id)
    assert await moved()
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await service.report(on_elm.id, "power", acting=carol.id, affected=True)
    assert await moved()
    await service.report(on_elm.id, "power", acting=alice.id, affected=False)  # one of three back: still on
    assert await moved()
    await service.report(on_elm.id, "power", acting=bob.id, affected=False)  # two of three: ends it
    assert await moved()
    await service.report(oak.id, "water", acting=olive.id, affected=True)  # next door
    assert await moved()
    dan = await resident_at("Dan", leeds, 1)
    await service.report(leeds.id, "water", acting=dan.id, affected=True)  # across town
    assert not await moved()


async def test_answers_are_rate_limited(on_elm, alice):
    for i in range(rules.RATE_LIMIT):
        await service.report(on_elm.id, "power", acting=alice.id, affected=i % 2 == 0)
    with pytest.raises(TooManyAttempts):
        await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    with clock.frozen_at(T0 + timedelta(seconds=rules.RATE_WINDOW_S)):
        await service.report(on_elm.id, "power", acting=alice.id, affected=True)


# ---------------------------------------------------------------- privacy and accounts
def _values(thing):
    """Every plain value inside a read model (dataclasses, lists), recursively."""
    from dataclasses import fields, is_dataclass

    if is_dataclass(thing):
        for f in fields(thing):
            yield from _values(getattr(thing, f.name))
    elif isinstance(thing, list | tuple):
        for item in thing:
            yield from _values(item)
    else:
        yield thing


async def test_the_status_carries_counts_and_street_names_never_homes_or_people(on_elm, oak, alice, bob):
    oak_resident = await resident_at("Olive", oak, 1)
    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    for street, viewer in ((oak, oak_resident), (on_elm, bob)):
        values = list(_values(await queries.street_status(street.id, viewer=viewer.id)))
        assert not [v for v in values if isinstance(v, float)], "no coordinates of any kind"
        texts = " ".join(v for v in values if isinstance(v, str))
        assert "Alice" not in texts and "Bob" not in texts
        assert "Elm Street" in texts


async def test_closing_an_account_keeps_the_history_and_drops_the_home_from_an_open_count(on_elm, alice, bob):
    from streetshare.accounts import service as accounts

    await service.report(on_elm.id, "power", acting=alice.id, affected=True)
    await service.report(on_elm.id, "power", acting=bob.id, affected=True)
    await accounts.close_account(acting=bob.id, password=bob.password)
    assert (await status(on_elm, alice)).homes_here == 1
    await db.execute("DELETE FROM resident WHERE id = $1", bob.id)  # and a deleted resident's answers go with them
    assert await db.fetchval("SELECT count(*) FROM status_report WHERE resident = $1", bob.id) == 0
