"""Street status verbs: the only writers of status_incident and status_report.

Each write runs in one transaction and says `pg_notify('street_status', <street id>)` for the
street and each neighbouring street (whose "nearby" count moved): the web layer's listeners push
the new status to open pages after commit.

Two kinds of write, two locks on the street's open incident for the topic:
- "It's off here too" cannot end an incident, so it only needs the incident to stay open until it
  commits: it takes the row's FOR KEY SHARE lock, which answers of the same kind share. A whole
  street answering a power cut at once does not queue behind one lock (bench.burst measured report
  p99 ~4 s with FOR UPDATE here, every answer waiting its turn). It writes its answer and, at most
  once a minute per incident, moves `last_report_at` on.
- "Mine's fine / it's back", taking an answer back and the timeout can end an incident: they take
  FOR UPDATE (which waits for every sharing answer in flight to commit), count the homes again and
  end it when most affected homes say it's back. The count is frozen into `homes` when it ends;
  while it is open, reads count the answers themselves (queries), so `homes` may lag then.
An answer that was waiting for the lock of an incident that has just ended finds it gone, and opens
a new one.

Opening is race-safe without a lock: INSERT ... ON CONFLICT DO NOTHING on the partial unique index
of open incidents (one per street and topic), then read the one that is there. Of two first
answers at the same moment, one inserts, the other waits for it to commit and joins it.

The worker's upkeep calls `end_incidents_gone_quiet`: an incident with no affected answer for its
topic's timeout ends 'timeout'.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from streetshare import clock, db, jobs, ratelimit
from streetshare.errors import NotAllowed, NotFound
from streetshare.status import queries, rules

log = logging.getLogger(__name__)

PROMPT_JOB = "status_prompts"
PROMPT_DELAY = timedelta(minutes=2)
# How stale `last_report_at` may be before an "off" answer moves it on: the timeouts are hours, and
# writing it on every answer would make a street's answers queue for the row again.
TOUCH_EVERY = timedelta(minutes=1)
CHANNEL = "street_status"

NO_HOME = "Set your home first: a street's status counts homes."
NOT_YOUR_STREET = "Only people who live on this street can answer for it."


async def _may_answer(street_id: int, topic: str, acting: int) -> rules.Topic:
    found = rules.topic(topic)
    if found is None:
        raise NotFound()
    who = await queries.visible_viewer(street_id, acting)
    if not who.is_member:
        raise NotAllowed(NOT_YOUR_STREET)
    if not who.has_home:
        raise NotAllowed(NO_HOME)
    return found


async def report(street_id: int, topic: str, *, acting: int, affected: bool) -> bool:
    """The resident answers for their home: `affected` (it's off here too) or not (mine's fine, or
    it's back). Returns True when this answer opened a new incident.

    - affected opens the street's incident for the topic if none is open, and records my answer;
    - not affected with an open incident records "fine" (and may end the incident 'back');
      with none open it records nothing;
    - a new answer replaces my previous one in the same incident;
    - gas records nothing (the caller shows rules.GAS_ADVICE).
    NotFound: unknown topic, or a street the resident may not see. NotAllowed: a neighbouring
    street's resident, or no home point. TooManyAttempts: more than 20 answers in 10 minutes.
    """
    found = await _may_answer(street_id, topic, acting)
    if not found.records:
        return False
    await ratelimit.hit(f"status:{acting}", limit=rules.RATE_LIMIT, window_s=rules.RATE_WINDOW_S)
    now = clock.now()
    async with db.transaction():
        opened = False
        ended = False
        if affected:
            incident_id, opened = await _open_or_join(street_id, topic, now, acting)
        else:
            incident_id = await _lock_open(street_id, topic)
            if incident_id is None:
                return False
        await db.execute(
            """
            INSERT INTO status_report (incident, resident, affected, ever_affected, created_at, updated_at)
            VALUES ($1, $2, $3, $3, $4, $4)
            ON CONFLICT (incident, resident) DO UPDATE
                SET affected = EXCLUDED.affected,
                    ever_affected = status_report.ever_affected OR EXCLUDED.affected,
                    updated_at = EXCLUDED.updated_at
            """,
            incident_id, acting, affected, now,
        )
        if opened:
            await jobs.enqueue(PROMPT_JOB, {"incident": incident_id}, run_at=now + PROMPT_DELAY,
                               idempotency_key=f"status-prompts:{incident_id}")
        if not affected:
            ended = await _recount(incident_id, now)
        await _notify(street_id)
        if affected and not opened:
            # Last, so the row is held for the shortest time; most answers of a burst find it fresh.
            await db.execute(
                "UPDATE status_incident SET last_report_at = $2 WHERE id = $1 AND last_report_at <= $3",
                incident_id, now, now - TOUCH_EVERY,
            )
    log.info("street status answered", extra={"street_id": street_id, "topic": topic, "incident_id": incident_id,
                                              "opened": opened, "ended": ended})
    return opened


async def withdraw(street_id: int, topic: str, *, acting: int) -> bool:
    """The resident takes back their answer to the street's open incident for the topic. An
    incident left with no affected answer is deleted (opened by mistake: it leaves no history);
    otherwise its homes are counted again, and it may end 'back'. Returns whether there was an
    answer to take back. Errors as report()."""
    found = await _may_answer(street_id, topic, acting)
    if not found.records:
        return False
    await ratelimit.hit(f"status:{acting}", limit=rules.RATE_LIMIT, window_s=rules.RATE_WINDOW_S)
    async with db.transaction():
        incident_id = await _lock_open(street_id, topic)
        if incident_id is None:
            return False
        deleted = await db.fetchval(
            "DELETE FROM status_report WHERE incident = $1 AND resident = $2 RETURNING id", incident_id, acting
        )
        if deleted is None:
            return False
        left = await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM status_report WHERE incident = $1 AND ever_affected)", incident_id
        )
        if left:
            await _recount(incident_id, clock.now())
        else:
            await db.execute("DELETE FROM status_incident WHERE id = $1", incident_id)
        await _notify(street_id)
    log.info("street status answer withdrawn", extra={"street_id": street_id, "topic": topic,
                                                      "incident_id": incident_id, "incident_deleted": not left})
    return True


async def end_incidents_gone_quiet() -> int:
    """Upkeep: end every open incident with no affected answer for its topic's timeout ('timeout',
    ended at the moment it went quiet). Returns how many ended. Safe to run concurrently: the
    UPDATE re-checks each row under its lock, so an answer that just came in keeps it open."""
    now = clock.now()
    names = [t.name for t in rules.RECORDED]
    timeouts = [t.timeout for t in rules.RECORDED]
    async with db.transaction():
        # FOR UPDATE waits for "off" answers in flight (they share the row), then re-reads
        # last_report_at: an answer that just came in keeps its incident open.
        rows = await db.fetch(
            """
            SELECT i.id, i.street, i.last_report_at + t.timeout AS quiet_since
            FROM status_incident i JOIN unnest($1::text[], $2::interval[]) AS t(topic, timeout) ON i.topic = t.topic
            WHERE i.ended_at IS NULL AND i.last_report_at + t.timeout <= $3
            ORDER BY i.id
            FOR UPDATE OF i
            """,
            names, timeouts, now,
        )
        for row in rows:
            counts = await queries.home_counts(row["id"])
            await db.execute(
                "UPDATE status_incident SET ended_at = $2, ended_reason = 'timeout', homes = $3 WHERE id = $1",
                row["id"], row["quiet_since"], counts.ever,
            )
        for street in sorted({r["street"] for r in rows}):
            await _notify(street)
    if rows:
        log.info("street status incidents ended by timeout", extra={"count": len(rows)})
    return len(rows)


async def _open_or_join(street_id: int, topic: str, now, acting: int) -> tuple[int, bool]:
    """The open incident for (street, topic), held open (FOR KEY SHARE, shared with other "off"
    answers) until the caller commits; opened now if there was none. (id, opened)."""
    while True:
        opened = await db.fetchval(
            """
            INSERT INTO status_incident (street, topic, started_at, last_report_at, homes, opened_by)
            VALUES ($1, $2, $3, $3, 0, $4)
            ON CONFLICT (street, topic) WHERE ended_at IS NULL DO NOTHING
            RETURNING id
            """,
            street_id, topic, now, acting,
        )
        if opened is not None:
            return opened, True
        existing = await _lock_open(street_id, topic, share=True)
        if existing is not None:
            return existing, False
        # It ended (or was withdrawn) between the two statements: try opening again.


async def _lock_open(street_id: int, topic: str, *, share: bool = False) -> int | None:
    """The street's open incident for the topic, locked until commit: FOR UPDATE by default (for
    writes that may end it), FOR KEY SHARE with `share` (for "off" answers, which cannot)."""
    strength = "KEY SHARE" if share else "UPDATE"
    return await db.fetchval(
        f"SELECT id FROM status_incident WHERE street = $1 AND topic = $2 AND ended_at IS NULL FOR {strength}",
        street_id, topic,
    )


async def _recount(incident_id: int, now) -> bool:
    """Count the incident's homes again from its answers (the caller holds its lock); end it
    'back' when most affected homes say so. Returns whether it ended."""
    counts = await queries.home_counts(incident_id)
    back = rules.is_back(ever_homes=counts.ever, back_homes=counts.back, said_back=counts.said_back)
    await db.execute(
        """UPDATE status_incident SET homes = $2,
               ended_at = CASE WHEN $3::boolean THEN $4::timestamptz END,
               ended_reason = CASE WHEN $3::boolean THEN 'back' END
           WHERE id = $1""",
        incident_id, counts.ever, back, now,
    )
    return back


async def _notify(street_id: int) -> None:
    """Tell listeners (after commit) that the street's status changed, and its neighbours' too."""
    await db.execute(
        """
        SELECT pg_notify($2, s::text)
        FROM (SELECT $1::int AS s UNION SELECT street FROM street_neighbour WHERE neighbour = $1) streets
        """,
        street_id, CHANNEL,
    )
