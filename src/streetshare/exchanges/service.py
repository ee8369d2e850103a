"""Exchange verbs: the only writers of exchanges, their events and their messages.

Each verb runs in ONE transaction: lock the rows, check who may act, compute the next state with
states.py, write, append the event, write the notification rows. If anything fails, nothing of it
is kept (no half-applied transition, no orphan event).

Lock order, everywhere: the offer row first (FOR NO KEY UPDATE, which still lets requests insert),
then exchange rows by id. Two writers on the same offer therefore queue instead of deadlocking.
The invariants themselves are held by the database (see the 00:40 migration); a unique or
slot violation that slips past the checks here becomes a Conflict ("that's no longer possible").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from streetshare import clock, db
from streetshare.errors import Conflict, Invalid, NotAllowed, NotFound
from streetshare.exchanges import queries, rules
from streetshare.exchanges.states import LIVE, Action, Role, State, next_state
from streetshare.asks import service as asks_service
from streetshare.notifications import service as notifications
from streetshare.offers import service as offers_service

log = logging.getLogger(__name__)

GIVEN_TO_SOMEONE_ELSE = "Thanks for asking! This has gone to another neighbour this time."
NO_ANSWER = "No answer in 14 days, so this request has expired."

# A violated invariant, in words for people.
CONFLICTS = {
    "exchange_lend_one_live": "It's already lent out. It can be lent again once it's back.",
    "exchange_give_one_chosen": "The giver has already chosen someone for this.",
    "exchange_give_completed_once": "This has already been given away.",
    "exchange_time_slots": "All the places are taken.",
    "exchange_one_open_per_recipient": "You've already asked for this. You'll find it in My exchanges.",
    "exchange_one_open_per_helper": "You've already offered to help with this. You'll find it in My exchanges.",
}


@dataclass(frozen=True)
class Moved:
    """An exchange and the state it is in after the verb."""

    id: int
    state: str


# ---------------------------------------------------------------- notifications

# What happened -> the notification kind (notifications.rules.KINDS; residents choose email per kind).
# Cancellations, withdrawals and expiry go out as "declined" (the request didn't go ahead), and
# the small in-exchange news (more time, a new date, the pickup address) as "message".
NOTIFY_KIND = {
    "requested": "request_received",
    "offered_help": "request_received",
    Action.accept: "accepted",
    Action.decline: "declined",
    Action.cancel: "declined",
    Action.withdraw: "declined",
    Action.expire: "declined",
    Action.hand_over: "handed_over",
    Action.mark_returned: "returned",
    Action.confirm_return: "completed",
    Action.complete: "completed",
    "message": "message",
    "more_time": "message",
    "new_date": "message",
    "pickup_shared": "message",
}


async def _notify(resident_id: int, what: str, *, exchange_id: int, actor_id: int | None, actor_name: str,
                  title: str, kind: str) -> None:
    """One notification row for `resident_id` about `what` happened, inside the current transaction."""
    await notifications.notify(resident_id, NOTIFY_KIND[what], exchange_id=exchange_id, actor_id=actor_id,
                               text=rules.notice(what, actor=actor_name, title=title, kind=kind),
                               url=_url(exchange_id))


def _url(exchange_id: int) -> str:
    return f"/exchanges/{exchange_id}"


# ---------------------------------------------------------------- starting an exchange


async def request_offer(offer_id: int, *, acting: int, message: str = "", wanted_from: date | None = None,
                        due_back: date | None = None) -> Moved:
    """The recipient asks for an offer: to borrow (with dates), to have it, for help, or a place on a date."""
    message = message.strip()
    now = clock.now()
    async with _conflicts(), db.transaction():
        offer = await queries.offer_to_request(offer_id, acting)
        if offer is None:
            raise NotFound()
        if offer.owner_id == acting:
            raise NotAllowed("You can't ask for your own offer.")
        if offer.status != "active":
            raise Conflict(_unavailable(offer.status))
        if offer.kind == "time" and offer.is_over(now):
            raise Conflict("This has already happened.")
        if offer.kind == "give" and offer.chosen:
            raise Conflict(CONFLICTS["exchange_give_one_chosen"])
        if offer.kind == "time" and offer.places_taken >= offer.places:
            raise Conflict(CONFLICTS["exchange_time_slots"])
        errors = rules.request_errors(kind=offer.kind, message=message, wanted_from=wanted_from, due_back=due_back,
                                      on=rules.today(now))
        if errors:
            raise Invalid(errors)
        exchange_id = await db.fetchval(
            """
            INSERT INTO exchange (offer, offer_kind, provider, recipient, started_by, state, message,
                                  wanted_from, due_back, requested_at, updated_at)
            VALUES ($1, $2, $3, $4, 'recipient', 'requested', $5, $6, $7, $8, $8) RETURNING id
            """,
            offer.id, offer.kind, offer.owner_id, acting, message,
            wanted_from if offer.kind == "lend" else None, due_back if offer.kind == "lend" else None, now,
        )
        await _event(exchange_id, "request", actor=acting, from_state=None, to_state=State.requested, at=now)
        name = await queries.display_name(acting)
        await _notify(offer.owner_id, "requested", exchange_id=exchange_id, actor_id=acting, actor_name=name,
                      title=offer.title, kind=offer.kind)
    log.info("exchange requested", extra={"exchange_id": exchange_id, "offer_id": offer.id})
    return Moved(exchange_id, State.requested)


async def offer_help(ask_id: int, *, acting: int, offer_id: int | None = None, message: str = "") -> Moved:
    """A provider answers an ask ("I can help"), optionally naming one of their own offers."""
    message = message.strip()
    now = clock.now()
    async with _conflicts(), db.transaction():
        ask = await queries.ask_to_help(ask_id, acting)
        if ask is None:
            raise NotFound()
        if ask.owner_id == acting:
            raise NotAllowed("You can't offer help with your own ask.")
        if ask.status != "open":
            raise Conflict("This ask isn't open any more.")
        kind = rules.offer_kind_for_help(ask.help_kind)
        if offer_id is not None:
            offer = await queries.own_offer(offer_id, acting)
            if offer is None:
                raise Invalid({"offer_id": "Choose one of your own offers, or none."})
            if offer.status != "active":
                raise Invalid({"offer_id": _unavailable(offer.status)})
            kind = offer.kind
        errors = rules.request_errors(kind=kind, message=message, wanted_from=None, due_back=None, on=rules.today(now))
        if errors:
            raise Invalid(errors)
        exchange_id = await db.fetchval(
            """
            INSERT INTO exchange (offer, ask, offer_kind, provider, recipient, started_by, state, message,
                                  requested_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 'provider', 'requested', $6, $7, $7) RETURNING id
            """,
            offer_id, ask.id, kind, acting, ask.owner_id, message, now,
        )
        await _event(exchange_id, "offer_help", actor=acting, from_state=None, to_state=State.requested, at=now)
        name = await queries.display_name(acting)
        await _notify(ask.owner_id, "offered_help", exchange_id=exchange_id, actor_id=acting, actor_name=name,
                      title=ask.title, kind=kind)
    log.info("help offered", extra={"exchange_id": exchange_id, "ask_id": ask.id})
    return Moved(exchange_id, State.requested)


def _unavailable(status: str) -> str:
    return {
        "paused": "This offer is paused at the moment.",
        "gone": "This has already gone.",
        "withdrawn": "This offer has been withdrawn.",
    }.get(status, "This offer isn't available.")


# ---------------------------------------------------------------- transitions


async def accept(exchange_id: int, *, acting: int) -> Moved:
    """The other side says yes. Accepting a give-away declines everyone else who asked for it."""
    async with _conflicts(), db.transaction():
        row, role = await _lock(exchange_id, acting)
        target = next_state(row["state"], Action.accept, kind=row["offer_kind"], role=role,
                            started_by_role=row["started_by"])
        if row["offer"] is not None:
            await _check_offer_can_go_live(row)
        now = clock.now()
        await _write(row, Action.accept, target, acting=acting, at=now)
        if row["offer_kind"] == "give" and row["offer"] is not None:
            await _decline_the_others(row["offer"], keep=row["id"], at=now, title=row["title"])
    return Moved(exchange_id, target)


async def decline(exchange_id: int, *, acting: int, note: str = "") -> Moved:
    """The other side says no, with an optional kind note."""
    return await _simple(exchange_id, Action.decline, acting=acting, note=_note(note))


async def cancel(exchange_id: int, *, acting: int, note: str = "") -> Moved:
    """Either side calls it off before it is handed over (or done)."""
    return await _simple(exchange_id, Action.cancel, acting=acting, note=_note(note))


async def withdraw(exchange_id: int, *, acting: int) -> Moved:
    """The one who asked takes the request back."""
    return await _simple(exchange_id, Action.withdraw, acting=acting)


async def hand_over(exchange_id: int, *, acting: int, due_back: date | None = None) -> Moved:
    """The lender hands it over. The due-back day defaults to the one asked for, else the offer's loan days."""
    async with _conflicts(), db.transaction():
        row, role = await _lock(exchange_id, acting)
        target = next_state(row["state"], Action.hand_over, kind=row["offer_kind"], role=role,
                            started_by_role=row["started_by"])
        now = clock.now()
        on = rules.today(now)
        if due_back is None:
            asked = row["due_back"]
            due_back = asked if asked is not None and asked >= on else rules.default_due_back(on, row["loan_days"])
        if error := rules.due_back_error(due_back, on):
            raise Invalid({"due_back": error})
        await _write(row, Action.hand_over, target, acting=acting, at=now, due_back=due_back)
    return Moved(exchange_id, target)


async def mark_returned(exchange_id: int, *, acting: int) -> Moved:
    """The borrower says it is back."""
    return await _simple(exchange_id, Action.mark_returned, acting=acting)


async def confirm_return(exchange_id: int, *, acting: int) -> Moved:
    """The lender confirms it is back: the loan is complete."""
    return await _simple(exchange_id, Action.confirm_return, acting=acting)


async def complete(exchange_id: int, *, acting: int) -> Moved:
    """Give, skill, time: either party marks it done. A completed give-away is gone."""
    return await _simple(exchange_id, Action.complete, acting=acting)


async def _simple(exchange_id: int, action: Action, *, acting: int | None, note: str = "") -> Moved:
    async with _conflicts(), db.transaction():
        row, role = await _lock(exchange_id, acting)
        target = next_state(row["state"], action, kind=row["offer_kind"], role=role, started_by_role=row["started_by"])
        await _write(row, action, target, acting=acting, at=clock.now(), note=note)
    return Moved(exchange_id, target)


# ---------------------------------------------------------------- during a loan


async def request_more_time(exchange_id: int, *, acting: int, until: date | None, note: str = "") -> Moved:
    """The borrower asks to keep it longer; the lender sees the request and can agree a new date."""
    async with db.transaction():
        row, role = await _lock(exchange_id, acting)
        if not rules.can_request_more_time(row["state"], row["offer_kind"], role):
            raise Conflict("You can ask for more time while you have it on loan.")
        now = clock.now()
        on = rules.today(now)
        if until is None or (row["due_back"] is not None and until <= row["due_back"]):
            raise Invalid({"until": "Choose a day after the current return date."})
        if error := rules.due_back_error(until, on):
            raise Invalid({"until": error})
        await db.execute(
            "UPDATE exchange SET extension_requested_until = $2, extension_requested_at = $3, updated_at = $3 "
            "WHERE id = $1",
            row["id"], until, now,
        )
        text = _note(note)
        await _event(row["id"], "request_more_time", actor=acting, from_state=row["state"], to_state=row["state"],
                     note=f"Until {until.isoformat()}" + (f": {text}" if text else ""), at=now)
        await _notify(row["provider"], "more_time", exchange_id=row["id"], actor_id=acting,
                      actor_name=row["recipient_name"], title=row["title"], kind=row["offer_kind"])
    return Moved(exchange_id, row["state"])


async def agree_new_date(exchange_id: int, *, acting: int, due_back: date | None = None) -> Moved:
    """The lender sets a new due-back day (by default, the one the borrower asked for)."""
    async with db.transaction():
        row, role = await _lock(exchange_id, acting)
        if not rules.can_agree_new_date(row["state"], row["offer_kind"], role):
            raise Conflict("Only the lender can change the return date, while it's on loan.")
        now = clock.now()
        due_back = due_back or row["extension_requested_until"]
        if error := rules.due_back_error(due_back, rules.today(now)):
            raise Invalid({"due_back": error})
        await db.execute(
            "UPDATE exchange SET due_back = $2, extension_requested_until = NULL, extension_requested_at = NULL, "
            "updated_at = $3 WHERE id = $1",
            row["id"], due_back, now,
        )
        await _event(row["id"], "agree_new_date", actor=acting, from_state=row["state"], to_state=row["state"],
                     note=f"New return date {due_back.isoformat()}", at=now)
        await _notify(row["recipient"], "new_date", exchange_id=row["id"], actor_id=acting,
                      actor_name=row["provider_name"], title=row["title"], kind=row["offer_kind"])
    return Moved(exchange_id, row["state"])


async def share_pickup_address(exchange_id: int, *, acting: int, address: str | None = None) -> Moved:
    """The provider shares where to collect it: their home address unless they type another.

    Visible only to the two parties while the exchange is live; erased when it ends. The address
    never goes into the event log or a notification.
    """
    async with db.transaction():
        row, role = await _lock(exchange_id, acting)
        if not rules.can_share_pickup(row["state"], role):
            raise Conflict("The lender or giver can share the pickup address once the request is accepted.")
        address = (address or "").strip() or (await queries.own_address(acting) or "")
        if not address:
            raise Invalid({"address": "Type the address where they can collect it."})
        if len(address) > rules.ADDRESS_MAX:
            raise Invalid({"address": f"Please keep it under {rules.ADDRESS_MAX} characters."})
        now = clock.now()
        await db.execute(
            "UPDATE exchange SET pickup_address = $2, pickup_shared_at = $3, updated_at = $3 WHERE id = $1",
            row["id"], address, now,
        )
        await _event(row["id"], "share_pickup_address", actor=acting, from_state=row["state"],
                     to_state=row["state"], at=now)
        await _notify(row["recipient"], "pickup_shared", exchange_id=row["id"], actor_id=acting,
                      actor_name=row["provider_name"], title=row["title"], kind=row["offer_kind"])
    return Moved(exchange_id, row["state"])


async def post_message(exchange_id: int, *, acting: int, text: str) -> int:
    """A message in the thread between the two parties (while it is accepted, out or being returned)."""
    text = text.strip()
    if error := rules.text_error(text, limit=rules.THREAD_MESSAGE_MAX):
        raise Invalid({"text": error})
    async with db.transaction():
        row = await db.fetchrow(_ROW_SQL + " FOR SHARE OF e", exchange_id)
        role = _role(row, acting)
        if not rules.can_post_message(row["state"], role):
            raise Conflict("Messages can be sent once the request is accepted, until the exchange ends.")
        now = clock.now()
        message_id = await db.fetchval(
            "INSERT INTO exchange_message (exchange, author, text, at) VALUES ($1, $2, $3, $4) RETURNING id",
            exchange_id, acting, text, now,
        )
        other = row["recipient"] if role == Role.provider else row["provider"]
        name = row["provider_name"] if role == Role.provider else row["recipient_name"]
        await _notify(other, "message", exchange_id=exchange_id, actor_id=acting, actor_name=name,
                      title=row["title"], kind=row["offer_kind"])
    return message_id


# ---------------------------------------------------------------- the system's own moves


async def expire_stale_requests(now: datetime | None = None) -> int:
    """Requests unanswered for 14 days expire (system actor). One transaction per exchange. Idempotent."""
    now = now or clock.now()
    ids = await db.fetch(
        "SELECT id FROM exchange WHERE state = 'requested' AND requested_at <= $1 ORDER BY id LIMIT 500",
        now - rules.UNANSWERED_EXPIRE_AFTER,
    )
    expired = 0
    for record in ids:
        try:
            await _simple(record["id"], Action.expire, acting=None, note=NO_ANSWER)
        except Conflict:
            continue  # answered (or expired by another worker) meanwhile
        expired += 1
    if expired:
        log.info("requests expired", extra={"count": expired})
    return expired


async def decline_open_requests(offer_id: int, *, note: str = GIVEN_TO_SOMEONE_ELSE) -> int:
    """The system declines every open request for an offer (e.g. it was withdrawn). Its own transaction."""
    async with db.transaction():
        await db.execute("SELECT 1 FROM offer WHERE id = $1 FOR NO KEY UPDATE", offer_id)
        title = await db.fetchval("SELECT title FROM offer WHERE id = $1", offer_id) or ""
        return await _decline_the_others(offer_id, keep=None, at=clock.now(), title=title, note=note)


# ---------------------------------------------------------------- the pieces


_ROW_SQL = """
SELECT e.*, coalesce(o.title, a.title, '') AS title, o.loan_days, o.slots, o.status AS offer_status,
       a.status AS ask_status,
       pr.display_name AS provider_name, rc.display_name AS recipient_name
FROM exchange e
LEFT JOIN offer o ON o.id = e.offer
LEFT JOIN ask a ON a.id = e.ask
JOIN resident pr ON pr.id = e.provider
JOIN resident rc ON rc.id = e.recipient
WHERE e.id = $1
"""


async def cancel_open_exchanges(resident_id: int, *, note: str) -> int:
    """Inside the transaction that closes the resident's account: each of their exchanges not yet
    handed over (requested or accepted) is cancelled by them, as `cancel` would, the other side told.
    Returns how many."""
    rows = await db.fetch(
        "SELECT id FROM exchange WHERE (provider = $1 OR recipient = $1) AND state IN ('requested', 'accepted') "
        "ORDER BY id", resident_id)
    for row in rows:
        await cancel(row["id"], acting=resident_id, note=note)
    return len(rows)


async def _lock(exchange_id: int, acting: int | None) -> tuple[asyncpg.Record, Role]:
    """Lock the offer row, then the exchange row; the caller's role in it (NotFound for anyone else)."""
    offer_id = await db.fetchval("SELECT offer FROM exchange WHERE id = $1", exchange_id)
    if offer_id is not None:
        await db.execute("SELECT 1 FROM offer WHERE id = $1 FOR NO KEY UPDATE", offer_id)
    row = await db.fetchrow(_ROW_SQL + " FOR UPDATE OF e", exchange_id)
    return row, _role(row, acting)


def _role(row: asyncpg.Record | None, acting: int | None) -> Role:
    if row is None:
        raise NotFound()
    if acting is None:
        return Role.system
    role = rules.role_of(provider=row["provider"], recipient=row["recipient"], resident_id=acting)
    if role is None:
        raise NotFound()  # others don't learn that it exists
    return role


async def _check_offer_can_go_live(row: asyncpg.Record) -> None:
    """Nice messages for what the database would refuse anyway (the offer row is locked by now)."""
    if row["offer_status"] in ("gone", "withdrawn"):
        raise Conflict(_unavailable(row["offer_status"]))
    if row["offer_kind"] == "time":
        taken = await db.fetchval(
            "SELECT count(*) FROM exchange WHERE offer = $1 AND id <> $2 AND state = ANY($3::varchar[])",
            row["offer"], row["id"], [s.value for s in LIVE],
        )
        if taken >= (row["slots"] or 1):
            raise Conflict(CONFLICTS["exchange_time_slots"])


_STAMPS = {
    State.accepted: "accepted_at",
    State.handed_over: "handed_over_at",
    State.returned: "returned_at",
    State.completed: "completed_at",
}


async def _write(row: asyncpg.Record, action: Action, target: State, *, acting: int | None, at: datetime,
                 note: str = "", due_back: date | None = None) -> None:
    """The state change, its event, what follows from it, and the notification: in the caller's transaction."""
    sets = ["state = $2", "updated_at = $3"]
    if stamp := _STAMPS.get(target):
        sets.append(f"{stamp} = $3")
    if target == State.completed and row["offer_kind"] == "lend":
        sets.append("returned_at = coalesce(returned_at, $3)")
    if target not in LIVE and target != State.requested:
        sets += ["ended_at = $3", "pickup_address = NULL", "pickup_shared_at = NULL",
                 "extension_requested_until = NULL", "extension_requested_at = NULL"]
    args: list = [row["id"], target.value, at]
    if due_back is not None:
        args.append(due_back)
        sets.append(f"due_back = ${len(args)}")
    await db.execute(f"UPDATE exchange SET {', '.join(sets)} WHERE id = $1", *args)
    await _event(row["id"], action.value, actor=acting, from_state=row["state"], to_state=target, note=note, at=at)

    if target == State.completed:
        await _on_completed(row, at)

    # Tell the other side (for the system's moves: the one who asked).
    if acting is None:
        to = row["recipient"] if row["started_by"] == "recipient" else row["provider"]
        actor_name = ""
    elif acting == row["provider"]:
        to, actor_name = row["recipient"], row["provider_name"]
    else:
        to, actor_name = row["provider"], row["recipient_name"]
    await _notify(to, action, exchange_id=row["id"], actor_id=acting, actor_name=actor_name, title=row["title"],
                  kind=row["offer_kind"])


async def _on_completed(row: asyncpg.Record, at: datetime) -> None:
    """A completed give-away is gone (and anyone still waiting is told); a met ask is fulfilled.
    The offers and asks domains write their own rows, inside this transaction."""
    if row["offer_kind"] == "give" and row["offer"] is not None:
        if row["offer_status"] in ("active", "paused"):
            await offers_service.mark_gone(row["offer"])
        await _decline_the_others(row["offer"], keep=row["id"], at=at, title=row["title"])
    if row["ask"] is not None and row["ask_status"] == "open":
        await asks_service.mark_fulfilled(row["ask"])


async def _decline_the_others(offer_id: int, *, keep: int | None, at: datetime, title: str,
                              note: str = GIVEN_TO_SOMEONE_ELSE) -> int:
    """The system declines the other open requests for an offer (the offer row is already locked)."""
    others = await db.fetch(
        "SELECT id, state, offer_kind, started_by, provider, recipient FROM exchange "
        "WHERE offer = $1 AND state = 'requested' AND id IS DISTINCT FROM $2 ORDER BY id FOR UPDATE",
        offer_id, keep,
    )
    for other in others:
        target = next_state(other["state"], Action.decline, kind=other["offer_kind"], role=Role.system,
                            started_by_role=other["started_by"])
        await db.execute(
            "UPDATE exchange SET state = $2, updated_at = $3, ended_at = $3 WHERE id = $1", other["id"], target.value, at
        )
        await _event(other["id"], Action.decline.value, actor=None, from_state=other["state"], to_state=target,
                     note=note, at=at)
        asker = other["recipient"] if other["started_by"] == "recipient" else other["provider"]
        await _notify(asker, Action.decline, exchange_id=other["id"], actor_id=None, actor_name="", title=title,
                      kind=other["offer_kind"])
    return len(others)


async def _event(exchange_id: int, action: str, *, actor: int | None, from_state: str | None, to_state: str,
                 at: datetime, note: str = "") -> None:
    await db.execute(
        "INSERT INTO exchange_event (exchange, action, actor, from_state, to_state, note, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        exchange_id, action, actor, from_state, str(to_state), note, at,
    )


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > rules.NOTE_MAX:
        raise Invalid({"note": f"Please keep your note under {rules.NOTE_MAX} characters."})
    return note


@contextlib.asynccontextmanager
async def _conflicts() -> AsyncIterator[None]:
    """An invariant the database refused (someone got there first) becomes a Conflict. Wraps the transaction."""
    try:
        yield
    except (asyncpg.UniqueViolationError, asyncpg.CheckViolationError) as exc:
        message = CONFLICTS.get(exc.constraint_name or "")
        if message is None:
            raise
        log.info("exchange conflict", extra={"constraint": exc.constraint_name})
        raise Conflict(message) from None
