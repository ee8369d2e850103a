"""The street's incident history for its coordinators (issue 14): on the dashboard, per topic how
often, how long and how many homes over the last 12 months, and the recent incidents; and as CSV,
one row per incident, evidence for a council or a utility: no residents, no places."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from streetshare import clock, db
from streetshare.coordinators import export
from support.cast import OAK_ROAD, make_street, place_resident, sign_in

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 20:00 in London (GMT)
CSV_COLUMNS = ["topic", "started_at", "ended_at", "ended_reason", "duration_minutes", "homes"]


async def incident(street, topic: str, started: datetime, minutes: int | None, homes: int, *,
                   reason: str = "back") -> int:
    """An incident row (written directly, backdated: the status service stamps 'now')."""
    ended = started + timedelta(minutes=minutes) if minutes is not None else None
    return await db.fetchval(
        "INSERT INTO status_incident (street, topic, started_at, ended_at, ended_reason, homes, last_report_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $3) RETURNING id",
        street.id, topic, started, ended, reason if ended else None, homes,
    )


@pytest.fixture
async def elm(carol, alice):
    street = await make_street("Elm Street", coordinator=carol)
    await place_resident(alice, street)
    return street


async def elm_history(elm, alice) -> dict[str, int]:
    """Three power cuts this year (1 h, 1 h 40 min, 6 h), one the year before, a day without water,
    bins missed and given up on, and broadband off right now."""
    made = {
        "power_1": await incident(elm, "power", datetime(2026, 2, 10, 18, 2, tzinfo=UTC), 60, 5),
        "power_2": await incident(elm, "power", datetime(2026, 6, 3, 7, 15, tzinfo=UTC), 360, 14),
        "power_3": await incident(elm, "power", datetime(2026, 11, 20, 18, 2, tzinfo=UTC), 98, 9),
        "power_old": await incident(elm, "power", datetime(2025, 9, 1, 12, 0, tzinfo=UTC), 30, 3),
        "water": await incident(elm, "water", datetime(2026, 10, 5, 9, 0, tzinfo=UTC), 24 * 60, 20),
        "bins": await incident(elm, "bins", datetime(2026, 11, 9, 8, 0, tzinfo=UTC), 3 * 24 * 60, 6,
                               reason="timeout"),
        "broadband": await incident(elm, "broadband", NOW - timedelta(hours=2), None, 4),
    }
    await db.execute("INSERT INTO status_report (incident, resident, affected, ever_affected, created_at, updated_at) "
                     "VALUES ($1, $2, true, true, $3, $3)", made["broadband"], alice.id, NOW - timedelta(hours=2))
    return made


async def test_dashboard_shows_how_often_how_long_and_how_many_homes_per_topic(client, elm, alice, carol):
    await elm_history(elm, alice)
    await sign_in(client, carol)

    with clock.frozen_at(NOW):
        page = (await client.get(f"/streets/{elm.id}/dashboard")).text

    section = page[page.index('id="incidents"'):]
    power = section[section.index('data-topic="power"'):]
    power = power[: power.index("</li>")]
    assert "3 times" in power  # not last year's
    assert "usually 1 h 38 min" in power and "longest 6 h" in power
    assert "about 9 homes" in power and "at most 14" in power
    water = section[section.index('data-topic="water"'):]
    water = water[: water.index("</li>")]
    assert "once \u00b7 1 day \u00b7" in " ".join(water.split()) and "usually" not in water
    broadband = section[section.index('data-topic="broadband"'):]
    assert "Off now" in broadband[: broadband.index("</li>")]
    # the recent incidents, newest first, in London time: "Power was off 18:02-19:40, 9 homes"
    recent = section[section.index('id="recent-incidents"'):]
    assert recent.index("No broadband") < recent.index("20 Nov, 18:02\u201319:40") < recent.index("9 Nov")
    assert "Download the street status history as CSV" in page
    assert f'href="/streets/{elm.id}/incidents.csv"' in page


async def test_dashboard_of_a_street_without_incidents_says_so(client, elm, carol):
    await sign_in(client, carol)

    page = (await client.get(f"/streets/{elm.id}/dashboard")).text

    assert 'id="incidents"' in page and "No power cuts or other outages reported in the last 12 months." in page


async def test_incidents_csv_has_one_row_per_incident_and_no_residents_or_places(client, elm, alice, carol):
    made = await elm_history(elm, alice)
    oak = await make_street("Oak Road", OAK_ROAD)
    await incident(oak, "gas", NOW - timedelta(days=3), 45, 2)  # another street's: not in Elm's evidence
    await sign_in(client, carol)

    with clock.frozen_at(NOW):
        response = await client.get(f"/streets/{elm.id}/incidents.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="streetshare-elm-street-incidents-2026-11-23.csv"')
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(made)  # every incident ever, oldest first
    assert rows[0] == {"topic": "power", "started_at": "2025-09-01T12:00:00+00:00", "ended_at": "2025-09-01T12:30:00+00:00",
                       "ended_reason": "back", "duration_minutes": "30", "homes": "3"}
    assert rows[-1]["topic"] == "broadband" and rows[-1]["ended_at"] == rows[-1]["duration_minutes"] == ""
    assert [r["duration_minutes"] for r in rows if r["topic"] == "bins"] == [str(3 * 24 * 60)]
    assert {r["ended_reason"] for r in rows} == {"back", "timeout", ""}
    for secret in ("Alice", "alice@example.org", "Carol", "Elm Street", f"{elm.lat}", "53.64", "resident"):
        assert secret not in response.text


async def test_incidents_csv_is_for_this_streets_coordinators_only(client, elm, alice, carol, dave):
    await elm_history(elm, alice)
    await make_street("Oak Road", OAK_ROAD, coordinator=dave)

    await sign_in(client, dave)  # the coordinator of another street sees nothing
    assert (await client.get(f"/streets/{elm.id}/incidents.csv")).status_code == 404
    client.cookies.clear()
    await sign_in(client, alice)  # a member who isn't a coordinator is told it's for coordinators
    assert (await client.get(f"/streets/{elm.id}/incidents.csv")).status_code == 403
    client.cookies.clear()
    signed_out = await client.get(f"/streets/{elm.id}/incidents.csv", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")


async def test_incidents_csv_of_a_street_with_no_outages_is_just_its_header(client, elm, carol):
    await sign_in(client, carol)
    response = await client.get(f"/streets/{elm.id}/incidents.csv")
    assert response.status_code == 200
    assert list(csv.reader(io.StringIO(response.text))) == [list(export.INCIDENT_COLUMNS)]


def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_are_made_text():
    body = export.to_csv([("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", 5, "power")],
                         columns=("a", "b", "c", "d", "e", "f"))

    [row] = list(csv.reader(io.StringIO(body)))[1:]
    assert row == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "5", "power"]
