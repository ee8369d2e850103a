"""Street status under real concurrency: every call in its own transaction on its own pooled
connection (asyncio.gather), as when a power cut sends the whole street to the app in a minute.

- 50 concurrent reports from 50 distinct homes count exactly 50, in exactly one incident;
- two first reports at the same moment open exactly one incident (repeated ROUNDS times);
- concurrent "it's back" answers end the incident once, and a report racing the end lands in
  either the ended incident or a new one, never lost.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from support.cast import ELM_STREET, make_street, place_resident, quick_resident

from streetshare import db
from streetshare.status import queries, service

ROUNDS = int(os.environ.get("STATUS_RACE_ROUNDS", "20"))
CROWD = 50


@pytest.fixture
async def street():
    return await make_street("Elm Street", ELM_STREET)


async def residents(street, count: int, *, prefix: str = "Neighbour"):
    people = []
    for i in range(count):
        person = await quick_resident(f"{prefix} {i}")
        # Homes about 11 m apart along the street: each its own home.
        await place_resident(person, street, home=(street.lat + 0.0001 * i, street.lng))
        people.append(person)
    return people


async def fresh_rate_limits() -> None:
    """The rounds answer far faster than people do: start each with no answers counted."""
    await db.execute("DELETE FROM rate_limit_hit")


async def at_once(*calls):
    results = await asyncio.gather(*calls, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return results


async def test_fifty_concurrent_reports_from_fifty_homes_count_exactly_fifty(street):
    crowd = await residents(street, CROWD)
    opened = await at_once(*(service.report(street.id, "power", acting=p.id, affected=True) for p in crowd))
    assert opened.count(True) == 1
    assert await db.fetchval("SELECT count(*) FROM status_incident") == 1
    assert await db.fetchval("SELECT count(*) FROM status_report") == CROWD
    seen = await queries.topic_status(street.id, "power", viewer=crowd[0].id)
    assert (seen.state, seen.homes_here) == ("reported", CROWD)
    assert (await queries.open_incident_on(street.id, "power")).homes == CROWD
    assert await db.fetchval("SELECT count(*) FROM job WHERE kind = 'status_prompts'") == 1


async def test_two_first_reports_at_the_same_moment_open_one_incident(street):
    a, b = await residents(street, 2)
    for round_ in range(ROUNDS):
        topic = ("power", "water", "broadband", "bins", "street_lights", "other")[round_ % 6]
        opened = await at_once(service.report(street.id, topic, acting=a.id, affected=True),
                               service.report(street.id, topic, acting=b.id, affected=True))
        assert sorted(opened) == [False, True], f"round {round_}"
        incident = await queries.open_incident_on(street.id, topic)
        assert incident.homes == 2, f"round {round_}"
        # Both say it's back (at once): the incident ends once, and the next round starts afresh.
        await at_once(service.report(street.id, topic, acting=a.id, affected=False),
                      service.report(street.id, topic, acting=b.id, affected=False))
        assert await queries.open_incident_on(street.id, topic) is None, f"round {round_}"
        await fresh_rate_limits()
    assert await db.fetchval("SELECT count(*) FROM status_incident") == ROUNDS
    assert await db.fetchval("SELECT count(*) FROM status_incident WHERE ended_reason = 'back' AND homes = 2") == ROUNDS


async def test_a_report_racing_the_answer_that_ends_the_incident_is_never_lost(street):
    a, b, c = await residents(street, 3)
    for round_ in range(ROUNDS):
        await service.report(street.id, "power", acting=a.id, affected=True)
        await service.report(street.id, "power", acting=b.id, affected=True)
        await service.report(street.id, "power", acting=a.id, affected=False)
        # b's "back" ends it (2 of 2 homes fine); c's "off" at the same moment joins it before
        # (then 2 of 3 homes fine: still ends) or opens a new one after.
        await at_once(service.report(street.id, "power", acting=b.id, affected=False),
                      service.report(street.id, "power", acting=c.id, affected=True))
        assert await db.fetchval(
            "SELECT count(*) FROM status_report WHERE resident = $1 AND ever_affected", c.id
        ) == round_ + 1, f"round {round_}: c's answer was lost"
        still_open = await queries.open_incident_on(street.id, "power")
        assert still_open is None or still_open.homes == 1, f"round {round_}"
        await service.report(street.id, "power", acting=c.id, affected=False)  # ends the one c opened, if any
        assert await queries.open_incident_on(street.id, "power") is None
        await fresh_rate_limits()


async def test_a_crowd_saying_off_while_the_last_home_says_back_is_counted_in_the_incident_it_joined(street):
    """"Off" answers share the incident's row; "back" waits for them all and counts them before it
    decides. Whatever the order, each answer is in exactly one incident, and an ended incident's
    frozen homes are the homes that said off in it."""
    first, *crowd = await residents(street, 21)
    await service.report(street.id, "power", acting=first.id, affected=True)
    await at_once(service.report(street.id, "power", acting=first.id, affected=False),
                  *(service.report(street.id, "power", acting=p.id, affected=True) for p in crowd))
    assert await db.fetchval("SELECT count(*) FROM status_report") == 21
    assert await db.fetchval("SELECT count(DISTINCT resident) FROM status_report WHERE ever_affected") == 21
    for incident in await queries.incident_history(street.id):
        said_off = await db.fetchval(
            "SELECT count(*) FROM status_report WHERE incident = $1 AND ever_affected", incident.id)
        assert incident.homes == said_off, incident
    # At most one is open, and if "back" came first the crowd opened a new one.
    assert await db.fetchval("SELECT count(*) FROM status_incident WHERE ended_at IS NULL") <= 1
