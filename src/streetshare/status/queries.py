"""Reads about a street's status: counts of homes, never which homes.

A home is the resident's private home point rounded to 5 decimal places (HOME_KEY, about a
metre): residents at one address count once. The key is computed here in SQL and never returned.
A home's answer is its residents' latest one. Only residents who still live on the incident's
street, with a home point, are counted while an incident is open; its `homes` column is written
when the incident ends (and then frozen), so while it is open every read here counts the answers.

Who may see a street's status: its members (who may also answer, once they have a home point),
and residents of its neighbouring streets (street_neighbour), who may only read. Anyone else
gets NotFound, as if the street did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from streetshare import clock, db
from streetshare.errors import NotFound
from streetshare.settings import Settings
from streetshare.status import rules

HOME_KEY = "round(r.home_lat::numeric, 5)::text || ',' || round(r.home_lng::numeric, 5)::text"

# One row per home answering incident `{incident}` (an SQL expression): whether it ever said
# affected, and whether its latest answer says affected. Residents no longer on the street, or
# without a home point, are not counted.
_HOMES_OF = f"""
SELECT {HOME_KEY} AS home,
       bool_or(sr.ever_affected) AS ever,
       (array_agg(sr.affected ORDER BY sr.updated_at DESC, sr.id DESC))[1] AS now_affected
FROM status_report sr
JOIN resident r ON r.id = sr.resident
WHERE sr.incident = {{incident}} AND r.street = {{street}} AND r.home_lat IS NOT NULL AND r.home_lng IS NOT NULL
GROUP BY 1
"""

# An incident's homes: counted from the answers while it is open, the frozen count once it ended.
_HOMES = f"""CASE WHEN i.ended_at IS NULL
    THEN (SELECT count(*) FROM ({_HOMES_OF.format(incident="i.id", street="i.street")}) h WHERE h.ever)
    ELSE i.homes END"""

RECENT_INCIDENTS = timedelta(days=30)
RECENT_LIMIT = 10


@dataclass(frozen=True)
class HomeCounts:
    ever: int  # homes that ever said affected
    back: int  # of those, homes whose latest answer is fine
    affected: int  # homes whose latest answer is affected
    said_back: bool  # a resident who said affected has since said it's back


@dataclass(frozen=True)
class NearbyCount:
    street_id: int
    street_name: str
    homes: int


@dataclass(frozen=True)
class TopicStatus:
    topic: str
    label: str
    state: str  # rules.CLEAR or rules.REPORTED
    homes_here: int
    homes_nearby: int
    nearby: list[NearbyCount]  # neighbouring streets with affected homes, most homes first
    since: datetime | None
    last_report_at: datetime | None
    mine: str | None  # rules.AFFECTED, rules.FINE or None
    official: rules.Contact | None
    question: str = ""
    records: bool = True  # False for gas: show rules.GAS_ADVICE instead of counts


@dataclass(frozen=True)
class StreetStatus:
    street_id: int
    street_name: str
    can_report: bool  # the viewer lives here and has a home point
    is_member: bool  # the viewer lives here (a neighbour only reads)
    topics: list[TopicStatus]
    incidents: list[IncidentRow]  # open and recently ended, newest first

    def topic(self, name: str) -> TopicStatus:
        return next(t for t in self.topics if t.topic == name)


@dataclass(frozen=True)
class IncidentRow:
    id: int
    street_id: int
    street_name: str
    topic: str
    label: str
    started_at: datetime
    ended_at: datetime | None
    ended_reason: str | None
    homes: int
    last_report_at: datetime
    opened_by: int | None  # never prompted about it

    @property
    def open(self) -> bool:
        return self.ended_at is None

    @property
    def duration(self) -> timedelta | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True)
class Viewer:
    street_id: int
    street_name: str
    centre_lat: float
    centre_lng: float
    is_member: bool
    has_home: bool
    is_neighbour: bool

    @property
    def can_see(self) -> bool:
        return self.is_member or self.is_neighbour

    @property
    def can_report(self) -> bool:
        return self.is_member and self.has_home


async def viewer_of(street_id: int, viewer: int) -> Viewer | None:
    """What `viewer` is to the street (member, neighbour, nobody), or None when it does not exist."""
    row = await db.fetchrow(
        """
        SELECT s.id, s.name, s.centre_lat, s.centre_lng,
               coalesce(me.street = s.id, false) AS is_member,
               coalesce(me.home_lat IS NOT NULL AND me.home_lng IS NOT NULL, false) AS has_home,
               EXISTS (SELECT 1 FROM street_neighbour n WHERE n.street = me.street AND n.neighbour = s.id)
                   AS is_neighbour
        FROM street s
        LEFT JOIN resident me ON me.id = $2 AND me.is_active
        WHERE s.id = $1
        """,
        street_id, viewer,
    )
    if row is None:
        return None
    return Viewer(row["id"], row["name"], row["centre_lat"], row["centre_lng"], row["is_member"], row["has_home"],
                  row["is_neighbour"])


async def visible_viewer(street_id: int, viewer: int) -> Viewer:
    found = await viewer_of(street_id, viewer)
    if found is None or not found.can_see:
        raise NotFound()
    return found


async def home_counts(incident_id: int) -> HomeCounts:
    """The incident's homes: ever affected, back, affected now (the service's end rule reads this)."""
    row = await db.fetchrow(
        f"""
        WITH homes AS ({_HOMES_OF.format(incident="$1",
                                         street="(SELECT street FROM status_incident WHERE id = $1)")})
        SELECT count(*) FILTER (WHERE ever) AS ever,
               count(*) FILTER (WHERE ever AND NOT now_affected) AS back,
               count(*) FILTER (WHERE now_affected) AS affected,
               EXISTS (SELECT 1 FROM status_report WHERE incident = $1 AND ever_affected AND NOT affected)
                   AS said_back
        FROM homes
        """,
        incident_id,
    )
    return HomeCounts(row["ever"], row["back"], row["affected"], row["said_back"])


def _contacts(settings: Settings | None) -> rules.ContactsTable:
    return rules.load_contacts(settings.official_contacts if settings is not None else None)


async def street_status(street_id: int, *, viewer: int, settings: Settings | None = None) -> StreetStatus:
    """Every topic's status on the street for `viewer`, and its open and recent incidents.
    NotFound when the viewer may not see the street."""
    who = await visible_viewer(street_id, viewer)
    return await _status(who, viewer, settings, topics=rules.TOPICS)


async def topic_status(street_id: int, topic: str, *, viewer: int, settings: Settings | None = None) -> TopicStatus:
    """One topic's status (what answering it shows). NotFound for an unknown topic or an unseen street."""
    found = rules.topic(topic)
    if found is None:
        raise NotFound()
    who = await visible_viewer(street_id, viewer)
    status = await _status(who, viewer, settings, topics=(found,), with_incidents=False)
    return status.topics[0]


async def _status(who: Viewer, viewer: int, settings: Settings | None, *, topics: tuple[rules.Topic, ...],
                  with_incidents: bool = True) -> StreetStatus:
    names = [t.name for t in topics]
    rows = await db.fetch(
        f"""
        SELECT i.id, i.street, s.name AS street_name, i.topic, i.started_at, i.last_report_at,
               c.homes_now, c.homes_ever,
               (SELECT affected FROM status_report WHERE incident = i.id AND resident = $3) AS mine
        FROM status_incident i
        JOIN street s ON s.id = i.street
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE h.now_affected) AS homes_now, count(*) FILTER (WHERE h.ever) AS homes_ever
            FROM ({_HOMES_OF.format(incident="i.id", street="i.street")}) h
        ) c
        WHERE i.ended_at IS NULL AND i.topic = ANY($2::text[])
          AND (i.street = $1 OR i.street IN (SELECT neighbour FROM street_neighbour WHERE street = $1))
        """,
        who.street_id, names, viewer,
    )
    here = {r["topic"]: r for r in rows if r["street"] == who.street_id}
    nearby: dict[str, list[NearbyCount]] = {}
    for r in rows:
        if r["street"] != who.street_id and r["homes_now"] > 0:
            nearby.setdefault(r["topic"], []).append(NearbyCount(r["street"], r["street_name"], r["homes_now"]))
    contacts = _contacts(settings)
    out = []
    for t in topics:
        mine_row = here.get(t.name)
        homes_here = mine_row["homes_now"] if mine_row else 0
        near = sorted(nearby.get(t.name, []), key=lambda n: (-n.homes, n.street_name, n.street_id))
        mine = None
        if mine_row is not None and mine_row["mine"] is not None:
            mine = rules.AFFECTED if mine_row["mine"] else rules.FINE
        out.append(TopicStatus(
            topic=t.name, label=t.label,
            state=rules.state_of(open_incident=mine_row is not None, homes_here=homes_here),
            homes_here=homes_here, homes_nearby=sum(n.homes for n in near), nearby=near,
            since=mine_row["started_at"] if mine_row else None,
            last_report_at=mine_row["last_report_at"] if mine_row else None,
            mine=mine,
            official=rules.official_contact(t.name, contacts, who.centre_lat, who.centre_lng),
            question=t.question, records=t.records,
        ))
    # The open incidents here were just counted: the list reuses those counts instead of counting again.
    # (with_incidents is only asked with every topic, so every open incident here was counted)
    counted = {t: r["homes_ever"] for t, r in here.items()}
    incidents = await recent_incidents(who.street_id, open_homes=counted) if with_incidents else []
    return StreetStatus(who.street_id, who.street_name, who.can_report, who.is_member, out, incidents)


async def recent_incidents(street_id: int, *, limit: int = RECENT_LIMIT,
                           open_homes: dict[str, int] | None = None) -> list[IncidentRow]:
    """Open incidents and those ended in the last 30 days, newest first. `open_homes`: the open
    incidents' homes by topic when the caller has just counted them (it has counted every topic)."""
    columns = _INCIDENT_COLUMNS if open_homes is None else _incident_columns("i.homes")
    rows = await db.fetch(
        f"""
        SELECT {columns} FROM status_incident i JOIN street s ON s.id = i.street
        WHERE i.street = $1 AND (i.ended_at IS NULL OR i.ended_at >= $2)
        ORDER BY i.started_at DESC, i.id DESC LIMIT $3
        """,
        street_id, clock.now() - RECENT_INCIDENTS, limit,
    )
    found = [_incident(r) for r in rows]
    if open_homes is None:
        return found
    return [replace(i, homes=open_homes.get(i.topic, 0)) if i.open else i for i in found]


def _label(topic: str) -> str:
    found = rules.topic(topic)
    return found.label if found else topic


def _incident_columns(homes: str = _HOMES) -> str:
    """An IncidentRow's columns (from status_incident i JOIN street s); `homes` says how to count them."""
    return f"""i.id, i.street, s.name AS street_name, i.topic, i.started_at, i.ended_at, i.ended_reason,
    {homes} AS homes, i.last_report_at, i.opened_by"""


_INCIDENT_COLUMNS = _incident_columns()


def _incident(r) -> IncidentRow:
    return IncidentRow(r["id"], r["street"], r["street_name"], r["topic"], _label(r["topic"]), r["started_at"],
                       r["ended_at"], r["ended_reason"], r["homes"], r["last_report_at"], r["opened_by"])


async def incident_history(street_id: int, *, since: datetime | None = None) -> list[IncidentRow]:
    """Every incident on the street (started since `since`, if given), newest first: for
    coordinators' dashboard and CSV export. No permission check here: the caller decides."""
    rows = await db.fetch(
        f"""
        SELECT {_INCIDENT_COLUMNS} FROM status_incident i JOIN street s ON s.id = i.street
        WHERE i.street = $1 AND ($2::timestamptz IS NULL OR i.started_at >= $2)
        ORDER BY i.started_at DESC, i.id DESC
        """,
        street_id, since,
    )
    return [_incident(r) for r in rows]


async def incident(incident_id: int) -> IncidentRow | None:
    row = await db.fetchrow(
        f"SELECT {_INCIDENT_COLUMNS} FROM status_incident i JOIN street s ON s.id = i.street WHERE i.id = $1",
        incident_id,
    )
    return _incident(row) if row else None


async def open_incident(incident_id: int) -> IncidentRow | None:
    """The incident, if it is still open (prompts are sent only for open incidents)."""
    found = await incident(incident_id)
    return found if found is not None and found.open else None


async def open_incident_on(street_id: int, topic: str) -> IncidentRow | None:
    row = await db.fetchrow(
        f"""SELECT {_INCIDENT_COLUMNS} FROM status_incident i JOIN street s ON s.id = i.street
            WHERE i.street = $1 AND i.topic = $2 AND i.ended_at IS NULL""",
        street_id, topic,
    )
    return _incident(row) if row else None


async def residents_to_prompt(incident_id: int) -> list[int]:
    """Residents of the incident's street, active and with a home point, who have not answered it
    yet and did not open it (ids, in order). Empty when the incident has ended or does not exist."""
    rows = await db.fetch(
        """
        SELECT r.id FROM status_incident i
        JOIN resident r ON r.street = i.street AND r.is_active AND r.home_lat IS NOT NULL AND r.home_lng IS NOT NULL
        WHERE i.id = $1 AND i.ended_at IS NULL AND r.id IS DISTINCT FROM i.opened_by
          AND NOT EXISTS (SELECT 1 FROM status_report sr WHERE sr.incident = i.id AND sr.resident = r.id)
        ORDER BY r.id
        """,
        incident_id,
    )
    return [r["id"] for r in rows]


async def status_version(street_id: int) -> str:
    """Changes whenever anything shown on the street's status page may have changed (for the live
    page's "anything new?"): its own and its neighbours' incidents, and every answer to the open ones
    (given, changed or taken back)."""
    row = await db.fetchrow(
        """
        WITH streets AS (SELECT $1::int AS id UNION SELECT neighbour FROM street_neighbour WHERE street = $1),
             incidents AS (SELECT i.* FROM status_incident i WHERE i.street IN (SELECT id FROM streets))
        SELECT (SELECT md5(coalesce(string_agg(concat_ws(':', id, ended_at, homes, last_report_at), ','
                                                ORDER BY id), '')) FROM incidents) AS incidents,
               (SELECT md5(coalesce(string_agg(concat_ws(':', sr.id, sr.affected, sr.updated_at), ','
                                                ORDER BY sr.id), ''))
                FROM status_report sr JOIN incidents i ON i.id = sr.incident WHERE i.ended_at IS NULL) AS answers
        """,
        street_id,
    )
    return f"{row['incidents'][:12]}{row['answers'][:12]}"
