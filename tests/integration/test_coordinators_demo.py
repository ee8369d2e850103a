"""The demo gives Carol an Elm Street with months of history to coordinate."""

from streetshare import db
from streetshare.coordinators import queries
from streetshare.demo import seed


async def test_demo_coordinator_has_history_unmet_asks_and_reports_and_seeding_twice_changes_nothing(settings):
    await seed(settings)
    carol = await db.fetchval("SELECT id FROM resident WHERE email = 'carol@demo.streetshare.local'")
    [street] = [s for s in await queries.coordinated_streets(carol) if s.name == "Elm Street"]

    a = await queries.activity(street, "12w")
    assert sum(w.started for w in a.series) >= 10
    assert sum(1 for w in a.series if w.completed) >= 6  # activity spread across the weeks
    assert len(a.unmet_asks) >= 4 and a.unmet_asks[0].title == "Lift to the station early on Monday"
    assert a.overdue_count >= 1
    assert a.open_reports >= 2 and a.problems
    assert a.quiet and a.top_sharers
    assert (await queries.activity(street, "all")).bucket == "month"

    counts = await db.fetchrow("SELECT (SELECT count(*) FROM offer) AS o, (SELECT count(*) FROM exchange) AS e, "
                               "(SELECT count(*) FROM report) AS r, (SELECT count(*) FROM resident) AS p")
    await seed(settings)
    again = await db.fetchrow("SELECT (SELECT count(*) FROM offer) AS o, (SELECT count(*) FROM exchange) AS e, "
                              "(SELECT count(*) FROM report) AS r, (SELECT count(*) FROM resident) AS p")
    assert dict(again) == dict(counts)
