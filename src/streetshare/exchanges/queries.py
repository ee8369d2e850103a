"""Reads about exchanges: one exchange for its parties, "my exchanges", the timeline and thread,
what a requester may ask for, reliability hints, and the loans the worker reminds people about.

PRIVACY: nothing here selects another resident's home location, home address or email. The
pickup address is the provider's own choice to share, and is only returned while the exchange is live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from streetshare import db
from streetshare.exchanges import rules
from streetshare.exchanges.states import LIVE, Role, allowed_actions
from streetshare.reputation.rules import ReliabilityHint  # the private hint's figures: reputation's


@dataclass(frozen=True, slots=True)
class Party:
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class ExchangeView:
    id: int
    state: str
    kind: str
    offer_id: int | None
    ask_id: int | None
    title: str  # the offer's, else the ask's
    offer_title: str | None
    ask_title: str | None
    loan_days: int | None  # the offer's usual loan length
    provider: Party
    recipient: Party
    started_by: str
    message: str
    wanted_from: date | None
    due_back: date | None
    requested_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    completed_at: datetime | None
    pickup_address: str | None
    pickup_shared_at: datetime | None
    extension_requested_until: date | None

    def role_of(self, resident_id: int) -> Role | None:
        return rules.role_of(provider=self.provider.id, recipient=self.recipient.id, resident_id=resident_id)

    def other(self, resident_id: int) -> Party:
        return self.recipient if resident_id == self.provider.id else self.provider

    def overdue(self, on: date) -> bool:
        return rules.is_overdue(self.state, self.due_back, on)

    def group(self, resident_id: int, on: date) -> str:
        role = self.role_of(resident_id)
        assert role is not None
        return rules.group(state=self.state, role=role, started_by=self.started_by, due_back=self.due_back, on=on,
                           extension_requested=self.extension_requested_until is not None)

    def allowed(self, resident_id: int) -> list:
        role = self.role_of(resident_id)
        if role is None:
            return []
        return allowed_actions(self.state, kind=self.kind, role=role, started_by_role=self.started_by)


@dataclass(frozen=True, slots=True)
class EventView:
    action: str
    actor: Party | None
    from_state: str | None
    to_state: str
    note: str
    at: datetime

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(rules.LOCAL_TZ)


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    author: Party
    text: str
    at: datetime

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(rules.LOCAL_TZ)


_VIEW_SQL = """
SELECT e.id, e.state, e.offer_kind, e.offer, e.ask, coalesce(o.title, a.title, '') AS title,
       o.title AS offer_title, a.title AS ask_title, o.loan_days, e.provider, pr.display_name AS provider_name, e.recipient, rc.display_name AS recipient_name,
       e.started_by, e.message, e.wanted_from, e.due_back, e.requested_at, e.updated_at, e.accepted_at,
       e.completed_at, e.pickup_address, e.pickup_shared_at, e.extension_requested_until
FROM exchange e
LEFT JOIN offer o ON o.id = e.offer
LEFT JOIN ask a ON a.id = e.ask
JOIN resident pr ON pr.id = e.provider
JOIN resident rc ON rc.id = e.recipient
"""


def _view(row) -> ExchangeView:
    return ExchangeView(
        id=row["id"], state=row["state"], kind=row["offer_kind"], offer_id=row["offer"], ask_id=row["ask"],
        title=row["title"], offer_title=row["offer_title"], ask_title=row["ask_title"],
        loan_days=row["loan_days"], provider=Party(row["provider"], row["provider_name"]),
        recipient=Party(row["recipient"], row["recipient_name"]), started_by=row["started_by"],
        message=row["message"], wanted_from=row["wanted_from"], due_back=row["due_back"],
        requested_at=row["requested_at"], updated_at=row["updated_at"], accepted_at=row["accepted_at"],
        completed_at=row["completed_at"],
        pickup_address=rules.visible_pickup_address(row["state"], row["pickup_address"]),
        pickup_shared_at=row["pickup_shared_at"] if row["state"] in LIVE else None,
        extension_requested_until=row["extension_requested_until"],
    )


async def exchange_for(exchange_id: int, viewer_id: int) -> ExchangeView | None:
    """One exchange, for its two parties only (None for anyone else: they get a 404)."""
    row = await db.fetchrow(_VIEW_SQL + " WHERE e.id = $1 AND $2 IN (e.provider, e.recipient)", exchange_id, viewer_id)
    return _view(row) if row else None


async def my_exchanges(resident_id: int, *, state: str | None = None, before_id: int | None = None,
                       limit: int = 200) -> list[ExchangeView]:
    """The resident's exchanges (either side), newest first; keyset-paginated on id."""
    rows = await db.fetch(
        _VIEW_SQL
        + """
        WHERE (e.provider = $1 OR e.recipient = $1)
          AND ($2::varchar IS NULL OR e.state = $2)
          AND ($3::integer IS NULL OR e.id < $3)
        ORDER BY e.id DESC LIMIT $4
        """,
        resident_id, state, before_id, limit,
    )
    return [_view(r) for r in rows]


GROUPS = ("needs_answer", "overdue", "in_progress", "done")


async def my_exchanges_grouped(resident_id: int, on: date, *, done_limit: int = 30) -> dict[str, list[ExchangeView]]:
    """'My exchanges': needs my answer, overdue, in progress, done (the latest few)."""
    grouped: dict[str, list[ExchangeView]] = {g: [] for g in GROUPS}
    for view in await my_exchanges(resident_id, limit=500):
        grouped[view.group(resident_id, on)].append(view)
    grouped["done"] = grouped["done"][:done_limit]
    return grouped


async def events(exchange_id: int) -> list[EventView]:
    """The timeline, oldest first."""
    rows = await db.fetch(
        """
        SELECT ev.action, ev.actor, r.display_name AS actor_name, ev.from_state, ev.to_state, ev.note, ev.at
        FROM exchange_event ev LEFT JOIN resident r ON r.id = ev.actor
        WHERE ev.exchange = $1 ORDER BY ev.id
        """,
        exchange_id,
    )
    return [
        EventView(action=r["action"], actor=Party(r["actor"], r["actor_name"]) if r["actor"] else None,
                  from_state=r["from_state"], to_state=r["to_state"], note=r["note"], at=r["at"])
        for r in rows
    ]


async def messages(exchange_id: int) -> list[MessageView]:
    """The thread, oldest first."""
    rows = await db.fetch(
        """
        SELECT m.id, m.author, r.display_name, m.text, m.at
        FROM exchange_message m JOIN resident r ON r.id = m.author
        WHERE m.exchange = $1 ORDER BY m.id
        """,
        exchange_id,
    )
    return [MessageView(id=r["id"], author=Party(r["author"], r["display_name"]), text=r["text"], at=r["at"])
            for r in rows]


# ---------------------------------------------------------------- reliability (private, for the one choosing)


async def reliability_hint(resident_id: int) -> ReliabilityHint:
    return (await reliability_hints([resident_id]))[resident_id]


async def reliability_hints(resident_ids: list[int]) -> dict[int, ReliabilityHint]:
    """Private: shown only to a provider choosing between requesters (and, on a profile, to the street's
    coordinators): completed exchanges, and recent cancellations after accepting, late returns and
    requests left unanswered. The reputation domain computes them (reputation.queries)."""
    from streetshare.reputation.queries import reliability_hints as hints

    found = await hints(list(resident_ids))
    return {rid: found.get(rid, ReliabilityHint()) for rid in resident_ids}


@dataclass(frozen=True, slots=True)
class Requester:
    exchange_id: int
    resident: Party
    message: str
    requested_at: datetime
    hint: ReliabilityHint


async def requests_to_choose_from(offer_id: int, owner_id: int) -> list[Requester]:
    """The open requests for an offer, oldest first, with each requester's private hint (the owner only)."""
    rows = await db.fetch(
        """
        SELECT e.id, e.recipient, r.display_name, e.message, e.requested_at
        FROM exchange e JOIN resident r ON r.id = e.recipient
        WHERE e.offer = $1 AND e.provider = $2 AND e.state = 'requested' AND e.started_by = 'recipient'
        ORDER BY e.requested_at, e.id
        """,
        offer_id, owner_id,
    )
    hints = await reliability_hints([r["recipient"] for r in rows])
    return [Requester(exchange_id=r["id"], resident=Party(r["recipient"], r["display_name"]), message=r["message"],
                      requested_at=r["requested_at"], hint=hints[r["recipient"]]) for r in rows]


# ---------------------------------------------------------------- what can be asked for


@dataclass(frozen=True, slots=True)
class OfferToRequest:
    id: int
    owner_id: int
    owner_name: str
    kind: str
    title: str
    status: str
    loan_days: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    places: int  # time offers: how many live exchanges it takes (slots, one when not given)
    places_taken: int
    chosen: bool  # give: the giver has already said yes to someone
    my_open_exchange: int | None = field(default=None)

    def is_over(self, now: datetime) -> bool:
        end = self.ends_at or self.starts_at
        return end is not None and end < now


async def offer_to_request(offer_id: int, resident_id: int) -> OfferToRequest | None:
    """An offer as a would-be requester sees it; None when it doesn't exist or isn't visible to them."""
    row = await db.fetchrow(
        """
        SELECT o.id, o.owner, r.display_name AS owner_name, o.kind, o.title, o.status, o.loan_days, o.slots,
               o.starts_at, o.ends_at, o.street, o.neighbours_may_see, o.hidden_at,
               (SELECT count(*) FROM exchange e WHERE e.offer = o.id AND e.state = ANY($3::varchar[])) AS live,
               (SELECT min(e.id) FROM exchange e WHERE e.offer = o.id AND e.recipient = $2
                  AND e.state IN ('requested', 'accepted', 'handed_over', 'returned')) AS mine
        FROM offer o JOIN resident r ON r.id = o.owner
        WHERE o.id = $1
        """,
        offer_id, resident_id, [s.value for s in LIVE],
    )
    if row is None:
        return None
    if row["owner"] != resident_id:
        if row["hidden_at"] is not None or await blocked_between(resident_id, row["owner"]):
            return None
        if not await can_see_street(resident_id, row["street"], neighbours_may_see=row["neighbours_may_see"]):
            return None
    return OfferToRequest(
        id=row["id"], owner_id=row["owner"], owner_name=row["owner_name"], kind=row["kind"], title=row["title"],
        status=row["status"], loan_days=row["loan_days"], starts_at=row["starts_at"], ends_at=row["ends_at"],
        places=row["slots"] or 1, places_taken=row["live"], chosen=row["kind"] == "give" and row["live"] > 0,
        my_open_exchange=row["mine"],
    )


@dataclass(frozen=True, slots=True)
class OfferPanel:
    """What an offer's page needs for its exchange button (templates/exchanges/_actions.html)."""

    my_open_exchange: int | None  # the viewer's open request for it: link to it instead of asking again
    open_requests: int  # for the owner: requests waiting for an answer (0 for anyone else)


async def offer_panel(offer_id: int, viewer_id: int) -> OfferPanel:
    row = await db.fetchrow(
        """
        SELECT (SELECT min(e.id) FROM exchange e WHERE e.offer = $1 AND e.recipient = $2
                  AND e.state IN ('requested', 'accepted', 'handed_over', 'returned')) AS mine,
               (SELECT count(*) FROM exchange e WHERE e.offer = $1 AND e.provider = $2
                  AND e.state = 'requested' AND e.started_by = 'recipient') AS waiting
        """,
        offer_id, viewer_id,
    )
    return OfferPanel(my_open_exchange=row["mine"], open_requests=row["waiting"])


async def my_open_help(ask_id: int, viewer_id: int) -> int | None:
    """The viewer's open offer of help with an ask, if any (an ask's page links to it)."""
    return await db.fetchval(
        "SELECT min(id) FROM exchange WHERE ask = $1 AND provider = $2 "
        "AND state IN ('requested', 'accepted', 'handed_over', 'returned')",
        ask_id, viewer_id,
    )


@dataclass(frozen=True, slots=True)
class AskToHelp:
    id: int
    owner_id: int
    owner_name: str
    title: str
    help_kind: str
    status: str
    needed_by: date | None


async def ask_to_help(ask_id: int, resident_id: int) -> AskToHelp | None:
    """An ask as a would-be helper sees it; None when it doesn't exist or isn't visible to them."""
    row = await db.fetchrow(
        """
        SELECT a.id, a.owner, r.display_name AS owner_name, a.title, a.help_kind, a.status, a.needed_by,
               a.street, a.neighbours_may_see, a.hidden_at
        FROM ask a JOIN resident r ON r.id = a.owner WHERE a.id = $1
        """,
        ask_id,
    )
    if row is None:
        return None
    if row["owner"] != resident_id:
        if row["hidden_at"] is not None or await blocked_between(resident_id, row["owner"]):
            return None
        if not await can_see_street(resident_id, row["street"], neighbours_may_see=row["neighbours_may_see"]):
            return None
    return AskToHelp(id=row["id"], owner_id=row["owner"], owner_name=row["owner_name"], title=row["title"],
                     help_kind=row["help_kind"], status=row["status"], needed_by=row["needed_by"])


@dataclass(frozen=True, slots=True)
class OwnOffer:
    id: int
    kind: str
    title: str
    status: str


async def own_offer(offer_id: int, owner_id: int) -> OwnOffer | None:
    row = await db.fetchrow("SELECT id, kind, title, status FROM offer WHERE id = $1 AND owner = $2", offer_id, owner_id)
    return OwnOffer(row["id"], row["kind"], row["title"], row["status"]) if row else None


async def own_active_offers(owner_id: int) -> list[OwnOffer]:
    """The resident's active offers, to name one when offering help with an ask."""
    rows = await db.fetch(
        "SELECT id, kind, title, status FROM offer WHERE owner = $1 AND status = 'active' AND hidden_at IS NULL "
        "ORDER BY created_at DESC, id DESC LIMIT 50",
        owner_id,
    )
    return [OwnOffer(r["id"], r["kind"], r["title"], r["status"]) for r in rows]


async def can_see_street(resident_id: int, street_id: int, *, neighbours_may_see: bool) -> bool:
    """An item on `street_id` is in the resident's scope: their home street, or a neighbouring
    street (within 1600 m) when the item lets neighbours see it."""
    home, neighbours = await _scope(resident_id)
    if home is None:
        return False
    return street_id == home or (neighbours_may_see and street_id in neighbours)


async def _scope(resident_id: int) -> tuple[int | None, list[int]]:
    """(home street, neighbouring streets the resident looks at): the places domain decides."""
    from streetshare.places.queries import visible_street_ids

    ids = await visible_street_ids(resident_id)
    return (ids[0], ids[1:]) if ids else (None, [])


async def blocked_between(a: int, b: int) -> bool:
    return bool(await db.fetchval(
        "SELECT 1 FROM resident_block WHERE (blocker = $1 AND blocked = $2) OR (blocker = $2 AND blocked = $1)", a, b
    ))


async def item_still_out(resident_id: int) -> str | None:
    """The title of something the resident has lent or borrowed and that is not back for sure yet
    (handed over, or returned but not confirmed), if any: closing an account waits for it."""
    return await db.fetchval(
        """SELECT coalesce(o.title, a.title) FROM exchange e
           LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask
           WHERE (e.provider = $1 OR e.recipient = $1) AND e.state IN ('handed_over', 'returned')
           ORDER BY e.id LIMIT 1""", resident_id)


async def display_name(resident_id: int) -> str:
    return await db.fetchval("SELECT display_name FROM resident WHERE id = $1", resident_id) or ""


async def own_address(resident_id: int) -> str | None:
    """The resident's OWN home address: only ever used when they choose to share it as a pickup address."""
    return await db.fetchval("SELECT home_address FROM resident WHERE id = $1", resident_id)


# ---------------------------------------------------------------- reminders (the worker sends them)


@dataclass(frozen=True, slots=True)
class LoanReminder:
    exchange_id: int
    title: str
    provider: Party
    recipient: Party
    due_back: date
    days_overdue: int  # 0 when not yet due

    @property
    def overdue_reminder_due(self) -> bool:
        """Overdue reminders go out the first day it's overdue, then weekly (rules.overdue_reminder_due)."""
        return rules.overdue_reminder_due(self.days_overdue)


_LOANS_SQL = """
SELECT e.id, coalesce(o.title, a.title, '') AS title, e.provider, pr.display_name AS provider_name,
       e.recipient, rc.display_name AS recipient_name, e.due_back
FROM exchange e
LEFT JOIN offer o ON o.id = e.offer
LEFT JOIN ask a ON a.id = e.ask
JOIN resident pr ON pr.id = e.provider
JOIN resident rc ON rc.id = e.recipient
WHERE e.state = 'handed_over' AND e.due_back IS NOT NULL
"""


def _reminder(row, on: date) -> LoanReminder:
    return LoanReminder(exchange_id=row["id"], title=row["title"], provider=Party(row["provider"], row["provider_name"]),
                        recipient=Party(row["recipient"], row["recipient_name"]), due_back=row["due_back"],
                        days_overdue=max(0, (on - row["due_back"]).days))


async def loans_due_tomorrow(now: datetime) -> list[LoanReminder]:
    """Loans out whose due-back day is tomorrow (street time): the day-before reminder."""
    on = rules.today(now)
    rows = await db.fetch(_LOANS_SQL + " AND e.due_back = $1 ORDER BY e.id", on + timedelta(days=1))
    return [_reminder(r, on) for r in rows]


async def overdue_loans(now: datetime, *, provider_id: int | None = None) -> list[LoanReminder]:
    """Loans out past their due-back day, most overdue first (optionally one lender's)."""
    on = rules.today(now)
    rows = await db.fetch(
        _LOANS_SQL + " AND e.due_back < $1 AND ($2::integer IS NULL OR e.provider = $2) ORDER BY e.due_back, e.id",
        on, provider_id,
    )
    return [_reminder(r, on) for r in rows]

