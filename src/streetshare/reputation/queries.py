"""Reads about reputation: a resident's public profile and figures, their thanks notes, the thanks
on one exchange, and the private reliability hint.

Speed: every figure is an aggregate over one resident's rows through an index: exchange
(provider, state) and (recipient, state), exchange_event (actor, action), thanks (recipient, ...)
(the 00:55 migration). tests/integration/test_reputation_speed.py checks the plans with a resident
who has thousands of exchanges.

PRIVACY: nothing here selects a resident's email, home location or home address. The private hint
is only read by the exchange pages (the provider choosing) and, on a profile, for the coordinators
of the resident's street (rules.may_see_reliability).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streetshare import clock, db
from streetshare.exchanges import rules as exchange_rules
from streetshare.reputation import rules
from streetshare.reputation.rules import ReliabilityHint, Reputation

# Due days are calendar days on the street: a return counts on time if it happened on or before
# the due day, in the street's time zone.
STREET_TZ = getattr(exchange_rules.LOCAL_TZ, "key", "UTC")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class Profile:
    """What anyone who may see the profile sees (never email, never home location)."""

    id: int
    display_name: str
    member_since: datetime
    street_id: int | None
    street_name: str | None
    met_in_person: bool
    reputation: Reputation


@dataclass(frozen=True, slots=True)
class ThanksNote:
    id: int
    exchange_id: int
    author: Person
    recipient: Person
    text: str
    created_at: datetime

    @property
    def local_at(self) -> datetime:
        return self.created_at.astimezone(exchange_rules.LOCAL_TZ)


@dataclass(frozen=True, slots=True)
class ProfileAccess:
    """Whether the viewer may see the profile, and whether they coordinate the resident's street."""

    visible: bool
    coordinates_their_street: bool


# ---------------------------------------------------------------- the public figures


REPUTATION_SQL = """
SELECT
  (SELECT count(*) FROM exchange e WHERE e.provider = $1 AND e.state = 'completed') AS provided,
  (SELECT count(*) FROM exchange e WHERE e.recipient = $1 AND e.state = 'completed') AS received,
  (SELECT count(*) FROM thanks t WHERE t.recipient = $1 AND t.hidden_at IS NULL) AS thanks,
  (SELECT count(*) FILTER (WHERE e.due_back IS NULL
                             OR (coalesce(e.returned_at, e.completed_at) AT TIME ZONE $2)::date <= e.due_back)
   FROM exchange e WHERE e.recipient = $1 AND e.state = 'completed' AND e.offer_kind = 'lend') AS on_time_returns,
  (SELECT count(*) FROM exchange e
   WHERE e.recipient = $1 AND e.state = 'completed' AND e.offer_kind = 'lend') AS loans_returned
"""


async def reputation_of(resident_id: int) -> Reputation:
    """Completed as provider and as recipient, thanks received, loans returned on time.

    A loan's return time is exchange.returned_at: stamped by the borrower's "I've given it back"
    (mark_returned), in the same transaction as that event, or by the lender's confirmation when
    the borrower never said so.
    """
    row = await db.fetchrow(REPUTATION_SQL, resident_id, STREET_TZ)
    return Reputation(provided=row["provided"], received=row["received"], thanks=row["thanks"],
                      on_time_returns=row["on_time_returns"], loans_returned=row["loans_returned"])


# ---------------------------------------------------------------- the private hint


HINT_SQL = """
SELECT r.id,
  (SELECT count(*) FROM exchange e WHERE e.provider = r.id AND e.state = 'completed')
  + (SELECT count(*) FROM exchange e WHERE e.recipient = r.id AND e.state = 'completed') AS completed,
  (SELECT count(*) FROM exchange_event ev
   WHERE ev.actor = r.id AND ev.action = 'cancel' AND ev.from_state IN ('accepted', 'handed_over', 'returned')
     AND ev.at >= $2) AS cancelled_after_accepting,
  (SELECT count(*) FROM exchange e
   WHERE e.recipient = r.id AND e.offer_kind = 'lend' AND e.due_back IS NOT NULL
     AND ((e.state IN ('returned', 'completed') AND coalesce(e.returned_at, e.completed_at) >= $2
           AND (coalesce(e.returned_at, e.completed_at) AT TIME ZONE $4)::date > e.due_back)
          OR (e.state = 'handed_over' AND e.due_back < $3 AND e.due_back >= ($2 AT TIME ZONE $4)::date))
  ) AS late_returns,
  (SELECT count(*) FROM exchange e
   WHERE e.provider = r.id AND e.state = 'expired' AND e.started_by = 'recipient'
     AND coalesce(e.ended_at, e.updated_at) >= $2)
  + (SELECT count(*) FROM exchange e
     WHERE e.recipient = r.id AND e.state = 'expired' AND e.started_by = 'provider'
       AND coalesce(e.ended_at, e.updated_at) >= $2) AS unanswered_requests
FROM unnest($1::integer[]) AS r(id)
"""


async def reliability_hints(resident_ids: list[int], now: datetime | None = None) -> dict[int, ReliabilityHint]:
    """Private figures per resident: completed exchanges, and over the last six months: cancellations
    after accepting (the ones they cancelled), late returns as the borrower (including a loan still
    out past its due day), and requests to them that expired unanswered."""
    ids = list(dict.fromkeys(resident_ids))
    if not ids:
        return {}
    now = now or clock.now()
    rows = await db.fetch(HINT_SQL, ids, now - rules.HINT_WINDOW, exchange_rules.today(now), STREET_TZ)
    return {
        r["id"]: ReliabilityHint(completed=r["completed"], cancelled_after_accepting=r["cancelled_after_accepting"],
                                 late_returns=r["late_returns"], unanswered_requests=r["unanswered_requests"])
        for r in rows
    }


async def reliability_hint(resident_id: int, now: datetime | None = None) -> ReliabilityHint:
    return (await reliability_hints([resident_id], now))[resident_id]


# ---------------------------------------------------------------- the profile


async def profile_access(resident_id: int, viewer_id: int) -> ProfileAccess:
    """May `viewer_id` see `resident_id`'s profile (rules.may_see_profile), and do they coordinate
    the resident's street? Unknown residents are simply not visible."""
    from streetshare.exchanges.queries import blocked_between
    from streetshare.places.queries import is_coordinator, visible_street_ids

    row = await db.fetchrow("SELECT street, is_active FROM resident WHERE id = $1", resident_id)
    if row is None:
        return ProfileAccess(False, False)
    street_id = row["street"]
    coordinates = street_id is not None and await is_coordinator(viewer_id, street_id)
    if viewer_id == resident_id:
        return ProfileAccess(True, coordinates)
    viewer_streets = await visible_street_ids(viewer_id)
    in_scope = street_id is not None and (street_id in viewer_streets or coordinates)
    visible = rules.may_see_profile(
        viewer_id=viewer_id, resident_id=resident_id, active=row["is_active"],
        blocked=await blocked_between(viewer_id, resident_id), street_id=street_id, viewer_streets=viewer_streets,
        coordinates_their_street=coordinates,
        shared_exchange=not in_scope and await _have_exchanged(viewer_id, resident_id),
    )
    return ProfileAccess(visible, coordinates)


async def _have_exchanged(a: int, b: int) -> bool:
    return bool(await db.fetchval(
        "SELECT 1 FROM exchange WHERE (provider = $1 AND recipient = $2) OR (provider = $2 AND recipient = $1) LIMIT 1",
        a, b,
    ))


async def profile(resident_id: int) -> Profile | None:
    """The public face of a resident: name, street, member since, the "met in person" badge and the
    figures. The caller checks profile_access first."""
    from streetshare.coordinators.queries import is_verified_neighbour

    row = await db.fetchrow(
        """
        SELECT r.id, r.display_name, r.created_at, r.street, s.name AS street_name
        FROM resident r LEFT JOIN street s ON s.id = r.street WHERE r.id = $1
        """,
        resident_id,
    )
    if row is None:
        return None
    return Profile(id=row["id"], display_name=row["display_name"], member_since=row["created_at"],
                   street_id=row["street"], street_name=row["street_name"],
                   met_in_person=await is_verified_neighbour(resident_id),
                   reputation=await reputation_of(resident_id))


THANKS_SQL = """
SELECT t.id, t.exchange, t.author, au.display_name AS author_name, t.recipient, rc.display_name AS recipient_name,
       t.text, t.created_at, t.hidden_at
FROM thanks t
JOIN resident au ON au.id = t.author
JOIN resident rc ON rc.id = t.recipient
"""


def _note(row) -> ThanksNote:
    return ThanksNote(id=row["id"], exchange_id=row["exchange"], author=Person(row["author"], row["author_name"]),
                      recipient=Person(row["recipient"], row["recipient_name"]), text=row["text"],
                      created_at=row["created_at"])


async def thanks_received(resident_id: int, *, limit: int = rules.PROFILE_THANKS) -> list[ThanksNote]:
    """Thanks notes to the resident, newest first, hidden ones left out."""
    rows = await db.fetch(
        THANKS_SQL + " WHERE t.recipient = $1 AND t.hidden_at IS NULL ORDER BY t.created_at DESC, t.id DESC LIMIT $2",
        resident_id, limit,
    )
    return [_note(r) for r in rows]


# ---------------------------------------------------------------- thanks on one exchange


@dataclass(frozen=True, slots=True)
class ExchangeThanks:
    """The thanks page of an exchange, for one of its parties."""

    exchange_id: int
    title: str
    state: str
    other: Person
    mine: ThanksNote | None  # what I said (even if a coordinator hid it: I wrote it)
    theirs: ThanksNote | None  # what they said to me (unless hidden)
    mine_hidden: bool

    @property
    def can_thank(self) -> bool:
        return rules.may_thank(state=self.state, already_thanked=self.mine is not None)


async def exchange_thanks(exchange_id: int, viewer_id: int) -> ExchangeThanks | None:
    """None unless the viewer is a party to the exchange (others don't learn it exists)."""
    row = await db.fetchrow(
        """
        SELECT e.id, e.state, e.provider, e.recipient, coalesce(o.title, a.title, '') AS title,
               pr.display_name AS provider_name, rc.display_name AS recipient_name
        FROM exchange e
        LEFT JOIN offer o ON o.id = e.offer
        LEFT JOIN ask a ON a.id = e.ask
        JOIN resident pr ON pr.id = e.provider
        JOIN resident rc ON rc.id = e.recipient
        WHERE e.id = $1 AND $2 IN (e.provider, e.recipient)
        """,
        exchange_id, viewer_id,
    )
    if row is None:
        return None
    if viewer_id == row["provider"]:
        other = Person(row["recipient"], row["recipient_name"])
    else:
        other = Person(row["provider"], row["provider_name"])
    notes = await db.fetch(THANKS_SQL + " WHERE t.exchange = $1 ORDER BY t.id",
                           exchange_id)
    mine = next((n for n in notes if n["author"] == viewer_id), None)
    theirs = next((n for n in notes if n["author"] == other.id and n["hidden_at"] is None), None)
    return ExchangeThanks(exchange_id=row["id"], title=row["title"], state=row["state"], other=other,
                          mine=_note(mine) if mine else None, theirs=_note(theirs) if theirs else None,
                          mine_hidden=bool(mine and mine["hidden_at"] is not None))


async def note(thanks_id: int) -> ThanksNote | None:
    row = await db.fetchrow(THANKS_SQL + " WHERE t.id = $1", thanks_id)
    return _note(row) if row else None
