"""Reads for street coordinators: a street's standing, the dashboard's figures, members, invites.

Every figure is an aggregate in PostgreSQL: the dashboard costs the same handful of queries
whether a street has ten exchanges or fifty thousand (tests/integration/test_coordinators_dashboard.py
counts them). PRIVACY: nothing here selects a home point, an address, an email or a message:
coordinators see display names, titles, categories, states and dates.

An exchange belongs to the street of its offer (or, for help offered on an ask without an
offer, the street of its ask): `STREET_EXCHANGES_SINCE` below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from streetshare import clock, db
from streetshare.coordinators import rules
from streetshare.errors import NotAllowed, NotFound
from streetshare.status import queries as status
from streetshare.status import rules as status_rules

ONLY_COORDINATORS = "Only this street's coordinators can see this."

# ---------------------------------------------------------------- standing


@dataclass(frozen=True, slots=True)
class CoordinatedStreet:
    id: int
    name: str
    created_at: datetime


async def standing(street_id: int, resident_id: int) -> tuple[CoordinatedStreet | None, rules.Standing]:
    row = await db.fetchrow(
        """
        SELECT s.id, s.name, s.created_at,
               EXISTS (SELECT 1 FROM street_coordinator c WHERE c.street = s.id AND c.resident = $2) AS is_coordinator,
               EXISTS (SELECT 1 FROM resident r WHERE r.id = $2 AND r.street = s.id) AS is_member
        FROM street s WHERE s.id = $1
        """,
        street_id,
        resident_id,
    )
    if row is None:
        return None, rules.Standing(is_coordinator=False, is_member=False)
    return (
        CoordinatedStreet(row["id"], row["name"], row["created_at"]),
        rules.Standing(is_coordinator=row["is_coordinator"], is_member=row["is_member"]),
    )


async def street_for_coordinator(street_id: int, resident_id: int) -> CoordinatedStreet:
    """The street, when `resident_id` coordinates it. A member who doesn't is told so (403);
    anyone else learns nothing, not even that the street exists (404)."""
    street, stand = await standing(street_id, resident_id)
    if street is None:
        raise NotFound()
    if not rules.may_coordinate(stand):
        if rules.refusal(stand) == "member":
            raise NotAllowed(ONLY_COORDINATORS)
        raise NotFound()
    return street


async def coordinated_streets(resident_id: int) -> list[CoordinatedStreet]:
    rows = await db.fetch(
        """
        SELECT s.id, s.name, s.created_at FROM street_coordinator c JOIN street s ON s.id = c.street
        WHERE c.resident = $1 ORDER BY s.name, s.id
        """,
        resident_id,
    )
    return [CoordinatedStreet(r["id"], r["name"], r["created_at"]) for r in rows]


@dataclass(frozen=True, slots=True)
class RoleLeft:
    """A street the resident coordinates and would stop coordinating by moving away or closing their account."""

    street_id: int
    name: str
    only: bool  # they are its only coordinator and others live there: they cannot move until they appoint someone
    alone: bool = False  # nobody else lives there: leaving archives the street


async def roles_left_when_leaving(resident_id: int, to_street: int | None = None) -> list[RoleLeft]:
    """The streets other than `to_street` (None: a street not started yet, or none: closing the account)
    the resident coordinates, for the pages that move them or close their account
    (service.step_down_when_leaving does the stepping down)."""
    rows = await db.fetch(
        """
        SELECT s.id, s.name, (SELECT count(*) FROM street_coordinator o WHERE o.street = s.id) AS coordinators,
               NOT EXISTS (SELECT 1 FROM resident r WHERE r.street = s.id AND r.is_active AND r.id <> $1) AS alone
        FROM street_coordinator c JOIN street s ON s.id = c.street
        WHERE c.resident = $1 AND c.street IS DISTINCT FROM $2 ORDER BY s.name, s.id
        """,
        resident_id, to_street,
    )
    return [RoleLeft(r["id"], r["name"], not rules.may_step_down(r["coordinators"]) and not r["alone"], r["alone"])
            for r in rows]


# ---------------------------------------------------------------- street status history (issue 14)


@dataclass(frozen=True, slots=True)
class IncidentHistory:
    topics: list[rules.TopicHistory]  # the last 12 months, per topic
    recent: list[status.IncidentRow]  # newest first
    since: datetime


async def incident_history(street_id: int) -> IncidentHistory:
    """The street's power cuts and other outages of the last 12 months, through the status domain's
    own read (counts of homes only: never who reported, never where)."""
    since = clock.now() - rules.INCIDENT_YEAR
    rows = await status.incident_history(street_id, since=since)
    order = [t.name for t in status_rules.TOPICS]
    return IncidentHistory(rules.incident_figures(rows, order), rows[: rules.RECENT_INCIDENTS], since)


# ---------------------------------------------------------------- the dashboard

# A street's exchanges: through the offer's street, or the ask's when there is no offer.
# A view of the dashboard aggregates only those of its period ($2), requested or completed since
# then, plus the loans still out (overdue counts them whatever their age). $1 is the street.
#
# exchange.street is the street of the exchange's offer (or ask), kept by triggers (migration
# 04:00). Three disjoint parts, each a range of one index that holds every column read here
# (index-only on the pages vacuum has marked all-visible): asked for in the period
# (exchange_street_requested), asked for before but completed in it (exchange_street_completed),
# and asked for before, not completed in it, still out (exchange_street_on_loan). So the period
# costs its rows, and the street's history and the rest of the city cost nothing.
STREET_EXCHANGES_SINCE = """
    SELECT e.state, e.provider, e.due_back, e.requested_at, e.completed_at
    FROM exchange e WHERE e.street = $1 AND e.requested_at >= $2
    UNION ALL
    SELECT e.state, e.provider, e.due_back, e.requested_at, e.completed_at
    FROM exchange e WHERE e.street = $1 AND e.completed_at >= $2 AND e.requested_at < $2
    UNION ALL
    SELECT e.state, e.provider, e.due_back, e.requested_at, e.completed_at
    FROM exchange e WHERE e.street = $1 AND e.state = 'handed_over' AND e.requested_at < $2
      AND (e.completed_at IS NULL OR e.completed_at < $2)
"""

FINISHED_STATES = ("completed", "declined", "cancelled", "expired")
EXCHANGE_STATES = ("requested", "accepted", "handed_over", "returned", "completed", "declined", "cancelled", "expired")
OFFER_KINDS = ("lend", "give", "skill", "time")


@dataclass(frozen=True, slots=True)
class WeekRow:
    starts: date
    started: int
    completed: int
    offers: int
    asks: int


@dataclass(frozen=True, slots=True)
class OverdueLoan:
    exchange_id: int
    title: str
    lender: str
    borrower: str
    due_back: date
    days_overdue: int


@dataclass(frozen=True, slots=True)
class ProblemExchange:
    report_id: int
    exchange_id: int
    title: str
    state: str
    reason: str
    reported_at: datetime
    provider: str
    recipient: str


@dataclass(frozen=True, slots=True)
class QuietResident:
    id: int
    display_name: str
    last_seen: datetime
    days: int
    verified: bool


@dataclass(frozen=True, slots=True)
class Sharer:
    id: int
    display_name: str
    completed: int
    verified: bool


@dataclass
class Activity:
    street: CoordinatedStreet
    period: str
    since: datetime
    now: datetime
    bucket: str
    members: int = 0
    new_members: int = 0
    offers_by_kind: dict[str, int] = field(default_factory=dict)
    new_offers: int = 0
    open_asks: int = 0
    new_asks: int = 0
    open_reports: int = 0
    exchanges_by_state: dict[str, int] = field(default_factory=dict)
    overdue_count: int = 0
    median_ask_to_first_exchange_s: float | None = None
    median_ask_to_first_match_s: float | None = None
    median_request_to_completion_s: float | None = None
    series: list[WeekRow] = field(default_factory=list)
    unmet_asks: list[rules.UnmetAsk] = field(default_factory=list)
    unmet_total: int = 0
    overdue: list[OverdueLoan] = field(default_factory=list)
    problems: list[ProblemExchange] = field(default_factory=list)
    quiet: list[QuietResident] = field(default_factory=list)
    top_sharers: list[Sharer] = field(default_factory=list)

    @property
    def active_offers(self) -> int:
        return sum(self.offers_by_kind.values())

    @property
    def exchanges_started(self) -> int:
        return sum(self.exchanges_by_state.values())

    @property
    def completion_rate(self) -> int | None:
        finished = sum(self.exchanges_by_state.get(s, 0) for s in FINISHED_STATES)
        return rules.completion_rate(self.exchanges_by_state.get("completed", 0), finished)


LIST_LIMIT = 50


async def activity(street: CoordinatedStreet, period: str) -> Activity:
    """Everything on the dashboard, in a fixed number of aggregate queries."""
    now = clock.now()
    since = rules.period_start(period, now, street.created_at)
    found = Activity(street=street, period=period, since=since, now=now, bucket=rules.chart_bucket(since, now))
    await _counts(found)
    await _exchange_figures(found)
    await _unmet_asks(found)
    await _overdue(found)
    await _problems(found)
    await _quiet(found)
    return found


async def _counts(found: Activity) -> None:
    row = await db.fetchrow(
        """
        SELECT
          (SELECT count(*) FROM resident WHERE street = $1 AND is_active) AS members,
          (SELECT count(*) FROM resident WHERE street = $1 AND is_active AND street_joined_at >= $2) AS new_members,
          (SELECT count(*) FROM offer WHERE street = $1 AND created_at >= $2) AS new_offers,
          (SELECT count(*) FROM ask WHERE street = $1 AND created_at >= $2) AS new_asks,
          (SELECT count(*) FROM ask WHERE street = $1 AND status = 'open' AND hidden_at IS NULL
              AND expires_at > $3) AS open_asks,
          (SELECT coalesce(jsonb_object_agg(kind, n), '{}'::jsonb)::text FROM (
              SELECT kind, count(*) AS n FROM offer
              WHERE street = $1 AND status = 'active' AND hidden_at IS NULL GROUP BY kind) k) AS offers_by_kind,
          (SELECT count(*) FROM report WHERE street = $1 AND status = 'open') AS open_reports
        """,
        found.street.id,
        found.since,
        found.now,
    )
    assert row is not None
    found.members = row["members"]
    found.new_members = row["new_members"]
    found.new_offers = row["new_offers"]
    found.new_asks = row["new_asks"]
    found.open_asks = row["open_asks"]
    found.open_reports = row["open_reports"]
    by_kind = json.loads(row["offers_by_kind"])
    found.offers_by_kind = {kind: by_kind.get(kind, 0) for kind in OFFER_KINDS}


# One statement reads the street's exchanges once ($1 street, $2 since, $3 now, $4 'week' or 'month',
# $5 today, $6 how many sharers): counts by state, medians (ask to first match, to first offer of help,
# request to completion), overdue, the chart's series, top sharers.
EXCHANGE_FIGURES_SQL = f"""
WITH se AS MATERIALIZED ({STREET_EXCHANGES_SINCE}),
buckets AS (
    SELECT generate_series(date_trunc($4::text, $2::timestamptz AT TIME ZONE 'UTC'),
                           date_trunc($4::text, $3::timestamptz AT TIME ZONE 'UTC'),
                           ('1 ' || $4::text)::interval) AS starts
),
started AS (SELECT date_trunc($4::text, requested_at AT TIME ZONE 'UTC') AS starts, count(*) AS n FROM se
            WHERE requested_at >= $2 GROUP BY 1),
completed AS (SELECT date_trunc($4::text, completed_at AT TIME ZONE 'UTC') AS starts, count(*) AS n FROM se
              WHERE state = 'completed' AND completed_at >= $2 GROUP BY 1),
offers AS (SELECT date_trunc($4::text, created_at AT TIME ZONE 'UTC') AS starts, count(*) AS n FROM offer
           WHERE street = $1 AND created_at >= $2 GROUP BY 1),
asks AS (SELECT date_trunc($4::text, created_at AT TIME ZONE 'UTC') AS starts, count(*) AS n FROM ask
         WHERE street = $1 AND created_at >= $2 GROUP BY 1)
SELECT
  (SELECT coalesce(jsonb_object_agg(state, n), '{{}}'::jsonb)::text FROM (
      SELECT state, count(*) AS n FROM se WHERE requested_at >= $2 GROUP BY state) s) AS by_state,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - requested_at))
      FROM se WHERE state = 'completed' AND completed_at >= $2) AS median_completion_s,
  (SELECT count(*) FROM se WHERE state = 'handed_over' AND due_back < $5) AS overdue,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_at - created_at))
      FROM (SELECT a.created_at, (SELECT min(e.requested_at) FROM exchange e WHERE e.ask = a.id) AS first_at
            FROM ask a WHERE a.street = $1 AND a.created_at >= $2) f
      WHERE first_at IS NOT NULL) AS median_first_exchange_s,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_at - created_at))
      FROM (SELECT a.created_at, (SELECT min(m.created_at) FROM match m WHERE m.ask = a.id) AS first_at
            FROM ask a WHERE a.street = $1 AND a.created_at >= $2) f
      WHERE first_at IS NOT NULL) AS median_first_match_s,
  (SELECT json_agg(json_build_array(to_char(b.starts, 'YYYY-MM-DD'), coalesce(s.n, 0), coalesce(c.n, 0),
                                    coalesce(o.n, 0), coalesce(a.n, 0)) ORDER BY b.starts)::text
      FROM buckets b
      LEFT JOIN started s USING (starts) LEFT JOIN completed c USING (starts)
      LEFT JOIN offers o USING (starts) LEFT JOIN asks a USING (starts)) AS series,
  (SELECT coalesce(json_agg(json_build_array(t.id, t.display_name, t.completed, t.verified)), '[]'::json)::text FROM (
      SELECT r.id, r.display_name, count(*) AS completed,
             EXISTS (SELECT 1 FROM verified_neighbour v WHERE v.street = $1 AND v.resident = r.id) AS verified
      FROM se
      JOIN resident r ON r.id = se.provider AND r.street = $1 AND r.is_active
      JOIN care_preference p ON p.resident = r.id AND p.show_as_sharer
      WHERE se.state = 'completed' AND se.completed_at >= $2
      GROUP BY r.id, r.display_name
      ORDER BY completed DESC, r.display_name, r.id
      LIMIT $6) t) AS sharers
"""


async def _exchange_figures(found: Activity) -> None:
    row = await db.fetchrow(
        EXCHANGE_FIGURES_SQL,
        found.street.id, found.since, found.now, found.bucket, found.now.date(), rules.TOP_SHARERS,
    )
    assert row is not None
    by_state = json.loads(row["by_state"])
    found.exchanges_by_state = {state: by_state.get(state, 0) for state in EXCHANGE_STATES}
    found.median_request_to_completion_s = row["median_completion_s"]
    found.median_ask_to_first_exchange_s = row["median_first_exchange_s"]
    found.median_ask_to_first_match_s = row["median_first_match_s"]
    found.overdue_count = row["overdue"]
    found.series = [WeekRow(date.fromisoformat(d), *counts) for d, *counts in json.loads(row["series"] or "[]")]
    found.top_sharers = [Sharer(*sharer) for sharer in json.loads(row["sharers"])]


async def _unmet_asks(found: Activity) -> None:
    """Open asks at least a week old with no exchange under way or done, oldest first."""
    rows = await db.fetch(
        """
        SELECT a.id, a.title, a.category, a.created_at, a.needed_by, r.display_name AS owner_name,
               count(*) OVER () AS total
        FROM ask a JOIN resident r ON r.id = a.owner
        WHERE a.street = $1 AND a.status = 'open' AND a.hidden_at IS NULL AND a.expires_at > $2
          AND a.created_at <= $3
          AND NOT EXISTS (
              SELECT 1 FROM exchange e WHERE e.ask = a.id
              AND e.state IN ('requested', 'accepted', 'handed_over', 'returned', 'completed'))
        ORDER BY a.created_at, a.id
        LIMIT $4
        """,
        found.street.id,
        found.now,
        found.now - rules.UNMET_AFTER,
        LIST_LIMIT,
    )
    found.unmet_asks = [
        rules.UnmetAsk(r["id"], r["title"], r["category"], r["owner_name"], r["created_at"], r["needed_by"])
        for r in rows
    ]
    found.unmet_total = rows[0]["total"] if rows else 0


async def _overdue(found: Activity) -> None:
    """Loans handed over and not back by their due date: the item and display names only.

    Street first: the street's loans out (exchange_street_on_loan), not every overdue loan in the
    city (exchange_on_loan) filtered down to the street's. Loans on offers only (the title)."""
    today = found.now.date()
    rows = await db.fetch(
        """
        SELECT l.id, o.title, p.display_name AS lender, b.display_name AS borrower, l.due_back
        FROM (SELECT e.id, e.offer, e.provider, e.recipient, e.due_back
              FROM exchange e
              WHERE e.street = $1 AND e.state = 'handed_over' AND e.due_back < $2 AND e.offer IS NOT NULL
              ORDER BY e.due_back, e.id
              LIMIT $3) l
        JOIN offer o ON o.id = l.offer
        JOIN resident p ON p.id = l.provider
        JOIN resident b ON b.id = l.recipient
        ORDER BY l.due_back, l.id
        """,
        found.street.id,
        today,
        LIST_LIMIT,
    )
    found.overdue = [
        OverdueLoan(r["id"], r["title"], r["lender"], r["borrower"], r["due_back"], (today - r["due_back"]).days)
        for r in rows
    ]


async def _problems(found: Activity) -> None:
    """Exchanges someone reported a problem with (open reports), newest first."""
    rows = await db.fetch(
        """
        SELECT rep.id AS report_id, e.id AS exchange_id, coalesce(o.title, a.title) AS title, e.state,
               rep.reason, rep.created_at, p.display_name AS provider, b.display_name AS recipient
        FROM report rep
        JOIN exchange e ON e.id = rep.target_id
        LEFT JOIN offer o ON o.id = e.offer
        LEFT JOIN ask a ON a.id = e.ask
        JOIN resident p ON p.id = e.provider
        JOIN resident b ON b.id = e.recipient
        WHERE rep.street = $1 AND rep.status = 'open' AND rep.target_kind = 'exchange'
        ORDER BY rep.created_at DESC, rep.id DESC
        LIMIT $2
        """,
        found.street.id,
        LIST_LIMIT,
    )
    found.problems = [
        ProblemExchange(r["report_id"], r["exchange_id"], r["title"], r["state"], r["reason"], r["created_at"],
                        r["provider"], r["recipient"])
        for r in rows
    ]


async def _quiet(found: Activity) -> None:
    """Residents who asked to be checked on and haven't been seen for their chosen number of days."""
    rows = await db.fetch(
        """
        SELECT q.id, q.display_name, q.last_seen, q.verified FROM (
            SELECT r.id, r.display_name, p.check_after_days,
                   greatest(r.last_seen_at, r.created_at,
                            (SELECT max(t.last_used_at) FROM auth_token t WHERE t.resident = r.id)) AS last_seen,
                   EXISTS (SELECT 1 FROM verified_neighbour v WHERE v.street = r.street AND v.resident = r.id) AS verified
            FROM care_preference p JOIN resident r ON r.id = p.resident
            WHERE p.check_on_me AND r.street = $1 AND r.is_active
        ) q
        WHERE q.last_seen < $2::timestamptz - make_interval(days => q.check_after_days)
        ORDER BY q.last_seen, q.id
        LIMIT $3
        """,
        found.street.id,
        found.now,
        LIST_LIMIT,
    )
    found.quiet = [
        QuietResident(r["id"], r["display_name"], r["last_seen"], (found.now - r["last_seen"]).days, r["verified"])
        for r in rows
    ]


# ---------------------------------------------------------------- members


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    display_name: str
    joined_at: datetime | None
    is_coordinator: bool
    verified: bool


MEMBERS_LIMIT = 100


async def members(street_id: int, *, name: str = "", limit: int = MEMBERS_LIMIT) -> tuple[list[Member], int]:
    """The street's members by name (display names only), optionally filtered, and how many match."""
    pattern = f"%{_like_escape(name.strip())}%"
    rows = await db.fetch(
        """
        SELECT r.id, r.display_name, r.street_joined_at,
               EXISTS (SELECT 1 FROM street_coordinator c WHERE c.street = $1 AND c.resident = r.id) AS is_coordinator,
               EXISTS (SELECT 1 FROM verified_neighbour v WHERE v.street = $1 AND v.resident = r.id) AS verified,
               count(*) OVER () AS total
        FROM resident r
        WHERE r.street = $1 AND r.is_active AND r.display_name ILIKE $2
        ORDER BY lower(r.display_name), r.id
        LIMIT $3
        """,
        street_id,
        pattern,
        limit,
    )
    total = rows[0]["total"] if rows else 0
    return [Member(r["id"], r["display_name"], r["street_joined_at"], r["is_coordinator"], r["verified"]) for r in rows], total


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def coordinators_of(street_id: int) -> list[Member]:
    rows = await db.fetch(
        """
        SELECT r.id, r.display_name, r.street_joined_at,
               EXISTS (SELECT 1 FROM verified_neighbour v WHERE v.street = $1 AND v.resident = r.id) AS verified
        FROM street_coordinator c JOIN resident r ON r.id = c.resident
        WHERE c.street = $1 ORDER BY c.appointed_at, r.id
        """,
        street_id,
    )
    return [Member(r["id"], r["display_name"], r["street_joined_at"], True, r["verified"]) for r in rows]


async def verified_neighbour_ids(street_id: int) -> set[int]:
    """Residents a coordinator of this street has met in person (for a badge next to their name)."""
    rows = await db.fetch("SELECT resident FROM verified_neighbour WHERE street = $1", street_id)
    return {r["resident"] for r in rows}


async def is_verified_neighbour(resident_id: int) -> bool:
    """Met in person by a coordinator of the resident's current home street."""
    return bool(
        await db.fetchval(
            """
            SELECT 1 FROM resident r JOIN verified_neighbour v ON v.street = r.street AND v.resident = r.id
            WHERE r.id = $1
            """,
            resident_id,
        )
    )


# ---------------------------------------------------------------- invites


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: int
    code: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None
    usable: bool


async def invites(street_id: int) -> list[InviteRow]:
    now = clock.now()
    rows = await db.fetch(
        """
        SELECT i.id, i.code, i.created_at, r.display_name AS created_by, i.expires_at, i.max_uses, i.uses, i.revoked_at
        FROM street_invite i LEFT JOIN resident r ON r.id = i.created_by
        WHERE i.street = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT 50
        """,
        street_id,
    )
    return [
        InviteRow(
            r["id"], r["code"], r["created_at"], r["created_by"], r["expires_at"], r["max_uses"], r["uses"],
            r["revoked_at"],
            rules.invite_usable(expires_at=r["expires_at"], max_uses=r["max_uses"], uses=r["uses"],
                                revoked_at=r["revoked_at"], now=now),
        )
        for r in rows
    ]


async def invite_for_flyer(street_id: int, code: str | None) -> InviteRow | None:
    """The invite a flyer prints: the one asked for, else the newest usable one without a use limit."""
    usable = [i for i in await invites(street_id) if i.usable]
    if code:
        return next((i for i in usable if i.code in (code, rules.normalise_code(code))), None)
    return next((i for i in usable if i.max_uses is None), None)


# ---------------------------------------------------------------- the resident's own opt-ins


@dataclass(frozen=True, slots=True)
class Preferences:
    check_on_me: bool = False
    check_after_days: int = rules.QUIET_DEFAULT_DAYS
    show_as_sharer: bool = False


async def preferences(resident_id: int) -> Preferences:
    row = await db.fetchrow(
        "SELECT check_on_me, check_after_days, show_as_sharer FROM care_preference WHERE resident = $1", resident_id
    )
    if row is None:
        return Preferences()
    return Preferences(row["check_on_me"], row["check_after_days"], row["show_as_sharer"])
