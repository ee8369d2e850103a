"""Demo street status: Elm Street has a power cut right now, and a year of outages behind it.

- Live: the power went off about half an hour ago; six homes on Elm Street said so (the first
  opened the incident), one says "mine's fine", and Oak Road next door has two homes off too
  ("it's not just you"). Carol and Alice have not answered, so whoever signs in as them can.
- History, for Carol's dashboard and CSV: a power cut one evening (18:02-19:40, 9 homes), one in
  the small hours, a morning without water, broadband down overnight, bins missed for days (ended
  by the timeout), street lights out for a week.

Written directly into status_incident and status_report with past timestamps (the service stamps
"now"), after the places and coordinator demos made the streets and their residents; the live
incidents' homes are counted by the status domain's own query. Idempotent: nothing is done when
Elm Street already has an incident, or when Carol's Elm Street is not there.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from streetshare import clock, db
from streetshare.notifications.rules import DIGEST_ZONE
from streetshare.settings import Settings
from streetshare.status import queries, rules

log = logging.getLogger(__name__)

CAROL = "carol@demo.streetshare.local"
ANSWER_THEMSELVES = ("carol@demo.streetshare.local", "alice@demo.streetshare.local")
LIVE_AFFECTED = 6

# (topic, days ago, local start, minutes later it ended, homes, why it ended)
HISTORY = [
    ("power", 11, time(18, 2), 98, 9, "back"),
    ("bins", 24, time(7, 30), None, 6, "timeout"),  # nobody said it's back: the 3-day timeout ended it
    ("water", 47, time(7, 10), 6 * 60 + 35, 11, "back"),
    ("broadband", 68, time(20, 15), 13 * 60 + 15, 4, "back"),
    ("power", 131, time(2, 10), 3 * 60 + 45, 7, "back"),
    ("street_lights", 190, time(17, 0), 6 * 24 * 60 + 18 * 60, 5, "back"),
    ("bins", 260, time(7, 30), None, 8, "timeout"),
]


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=DIGEST_ZONE)


async def seed_status_demo(settings: Settings) -> int:
    """Elm Street's live power cut and its past outages; how many incidents were written (0: already there)."""
    street = await db.fetchval(
        """
        SELECT s.id FROM street s JOIN street_coordinator c ON c.street = s.id JOIN resident r ON r.id = c.resident
        WHERE r.email = $1 AND s.name = 'Elm Street' ORDER BY s.id LIMIT 1
        """,
        CAROL,
    )
    if street is None:
        log.info("status demo skipped: Carol's Elm Street is not there")
        return 0
    if await db.fetchval("SELECT 1 FROM status_incident WHERE street = $1 LIMIT 1", street):
        return 0
    now = clock.now()
    written = 0
    async with db.transaction():
        neighbours = await _members(street, exclude=ANSWER_THEMSELVES)
        if len(neighbours) >= 2:
            affected, fine = neighbours[: min(LIVE_AFFECTED, len(neighbours) - 1)], neighbours[-1]
            await _live(street, "power", affected, fine, now - timedelta(minutes=34), now)
            written += 1
        oak = await db.fetchval(
            "SELECT n.neighbour FROM street_neighbour n JOIN street s ON s.id = n.neighbour "
            "WHERE n.street = $1 AND s.name = 'Oak Road' LIMIT 1", street)
        if oak is not None and not await db.fetchval("SELECT 1 FROM status_incident WHERE street = $1", oak):
            on_oak = await _members(oak, exclude=())
            if on_oak:
                await _live(oak, "power", on_oak[:2], None, now - timedelta(minutes=29), now)
                written += 1
        today = now.astimezone(DIGEST_ZONE).date()
        for topic, days_ago, at, minutes, homes, reason in HISTORY:
            started = _local(today - timedelta(days=days_ago), at)
            last_report = started + timedelta(hours=2) if minutes is None else started
            ended = last_report + rules.BY_NAME[topic].timeout if minutes is None else started + timedelta(minutes=minutes)
            await db.execute(
                "INSERT INTO status_incident (street, topic, started_at, ended_at, ended_reason, homes, "
                "last_report_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                street, topic, started, ended, reason, homes, last_report,
            )
            written += 1
    log.info("status demo seeded", extra={"street_id": street, "incidents": written})
    return written


async def _members(street_id: int, *, exclude: tuple[str, ...]) -> list[int]:
    """The street's residents with a home of their own (one per home point), oldest first."""
    rows = await db.fetch(
        f"""
        SELECT DISTINCT ON ({queries.HOME_KEY}) r.id
        FROM resident r WHERE r.street = $1 AND r.is_active AND r.home_lat IS NOT NULL AND NOT (r.email = ANY($2::text[]))
        ORDER BY {queries.HOME_KEY}, r.id
        """,
        street_id, list(exclude),
    )
    return sorted(r["id"] for r in rows)


async def _live(street_id: int, topic: str, affected: list[int], fine: int | None, started: datetime,
                now: datetime) -> int:
    """An open incident: `affected` said so a few minutes apart from `started`, `fine` said theirs is fine."""
    reports = [(resident, True, started + timedelta(minutes=3 * n)) for n, resident in enumerate(affected)]
    if fine is not None:
        reports.append((fine, False, now - timedelta(minutes=12)))
    last_affected = max(at for _, ok, at in reports if ok)
    incident = await db.fetchval(
        "INSERT INTO status_incident (street, topic, started_at, last_report_at, opened_by) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        street_id, topic, started, last_affected, affected[0],
    )
    for resident, is_affected, at in reports:
        await db.execute(
            "INSERT INTO status_report (incident, resident, affected, ever_affected, created_at, updated_at) "
            "VALUES ($1, $2, $3, $3, $4, $4)",
            incident, resident, is_affected, at,
        )
    counts = await queries.home_counts(incident)
    await db.execute("UPDATE status_incident SET homes = $2 WHERE id = $1", incident, counts.ever)
    return incident
