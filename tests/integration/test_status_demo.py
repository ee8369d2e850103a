"""The demo's street status: Elm Street has a power cut right now (several homes off, one fine,
Oak Road next door off too) and a history of outages its coordinator can show the council."""

from __future__ import annotations

from streetshare import db
from streetshare.coordinators import queries as coordinators
from streetshare.coordinators.demo import seed_coordinator_demo
from streetshare.places.demo import seed_places
from streetshare.status import queries as status
from streetshare.status.demo import seed_status_demo


async def _person(name: str) -> int:
    return await db.fetchval("SELECT id FROM resident WHERE email = $1", f"{name.lower()}@demo.streetshare.local")


async def test_elm_street_has_a_live_power_cut_and_a_history_of_outages(settings):
    streets = await seed_places(settings)
    await seed_coordinator_demo(settings)  # Elm Street's other neighbours
    assert await seed_status_demo(settings) > 0
    alice, carol = await _person("Alice"), await _person("Carol")

    seen = await status.street_status(streets["Elm Street"], viewer=alice, settings=settings)
    power = seen.topic("power")
    assert power.state == "reported" and power.homes_here >= 3 and power.since is not None
    assert power.mine is None  # Alice can answer it herself in the demo
    assert [(n.street_name, n.homes) for n in power.nearby] == [("Oak Road", 2)]
    assert seen.topic("water").state == "clear"
    [live] = [i for i in await status.incident_history(streets["Elm Street"]) if i.open]
    answers = await db.fetch("SELECT affected FROM status_report WHERE incident = $1", live.id)
    assert sorted(a["affected"] for a in answers) == [False] + [True] * power.homes_here  # one says fine
    assert live.homes == power.homes_here and live.opened_by is not None

    past = [i for i in await status.incident_history(streets["Elm Street"]) if not i.open]
    assert {"water", "bins", "broadband"} <= {i.topic for i in past}
    for i in past:
        assert i.ended_at > i.started_at and i.homes >= 2 and i.ended_reason in ("back", "timeout")
    history = await coordinators.incident_history(streets["Elm Street"])
    assert {"power", "water", "bins", "broadband"} <= {t.topic for t in history.topics}
    assert await db.fetchval("SELECT 1 FROM street_coordinator WHERE street = $1 AND resident = $2",
                             streets["Elm Street"], carol)


async def test_seeding_the_status_demo_twice_changes_nothing(settings):
    await seed_places(settings)
    await seed_status_demo(settings)
    before = await db.fetchrow("SELECT (SELECT count(*) FROM status_incident) AS i, (SELECT count(*) FROM status_report) AS r")

    assert await seed_status_demo(settings) == 0
    after = await db.fetchrow("SELECT (SELECT count(*) FROM status_incident) AS i, (SELECT count(*) FROM status_report) AS r")
    assert dict(after) == dict(before)


async def test_status_demo_skips_quietly_when_there_are_no_streets_yet(settings):
    assert await seed_status_demo(settings) == 0


async def test_the_demo_shows_the_live_power_cut_on_carols_dashboard(settings):
    from streetshare.demo import seed

    await seed(settings)
    carol = await _person("Carol")
    [street] = [s for s in await coordinators.coordinated_streets(carol) if s.name == "Elm Street"]

    history = await coordinators.incident_history(street.id)
    assert [t.topic for t in history.topics if t.off_now] == ["power"]
    assert history.recent[0].open and history.recent[0].homes >= 3
