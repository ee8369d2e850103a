"""Exchange pages and the exchange API. Thin: parse, call one service verb, respond.

Pages: the request form for an offer, "I can help" on an ask, choosing who gets a give-away, an
exchange (parties only; others get a 404), and "My exchanges". Every state change is a POST with
CSRF, then a redirect back to the exchange (Post/Redirect/Get). A change that is no longer
possible is a Conflict: the central error handler answers 409 "that's no longer possible".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from streetshare import clock
from streetshare.errors import Invalid, NotAllowed, NotFound
from streetshare.exchanges import queries, rules, service
from streetshare.exchanges.states import State
from streetshare.reputation import queries as reputation_queries
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, keep
from streetshare.web.pages import form_page, page

# ---------------------------------------------------------------- helpers


def _date_field(data: dict[str, str], name: str, errors: dict[str, str]) -> date | None:
    try:
        return rules.parse_date(data.get(name))
    except ValueError:
        errors[name] = "Enter a date, for example 2026-12-24."
        return None


async def _exchange_for(exchange_id: int, me: int) -> queries.ExchangeView:
    view = await queries.exchange_for(exchange_id, me)
    if view is None:
        raise NotFound()
    return view


async def _detail_context(view: queries.ExchangeView, me: int) -> dict[str, Any]:
    """Everything the exchange page shows, with every permission computed by a pure rule."""
    now = clock.now()
    on = rules.today(now)
    role = view.role_of(me)
    allowed = [a.value for a in rules.buttons(view.allowed(me))]
    choosing = []
    if role == "provider" and view.kind == "give" and view.state == State.requested and view.offer_id:
        choosing = await queries.requests_to_choose_from(view.offer_id, me)
    hint = None
    if role == "provider" and view.state == State.requested and view.started_by == "recipient":
        hint = await queries.reliability_hint(view.recipient.id)
    due_default = view.due_back if view.due_back and view.due_back >= on else None
    thanks = await reputation_queries.exchange_thanks(view.id, me) if view.state == State.completed else None
    can_share_pickup = rules.can_share_pickup(view.state, role)
    # A home set with "use my location" has no address to share in one tap: the page asks for one.
    has_home_address = can_share_pickup and bool(await queries.own_address(me))
    return {
        "ex": view,
        "role": role.value if role else None,
        "other": view.other(me),
        "allowed": allowed,
        "overdue": view.overdue(on),
        "events": await queries.events(view.id),
        "messages": await queries.messages(view.id),
        "can_message": rules.can_post_message(view.state, role),
        "can_share_pickup": can_share_pickup,
        "has_home_address": has_home_address,
        "can_request_more_time": rules.can_request_more_time(view.state, view.kind, role),
        "can_agree_new_date": rules.can_agree_new_date(view.state, view.kind, role),
        "hand_over_due": (due_default or rules.default_due_back(on, view.loan_days)).isoformat(),
        "today": on.isoformat(),
        "choosing": [c for c in choosing if c.exchange_id != view.id],
        "hint": hint,
        "thanks": thanks,
    }


async def _detail_page(request: Request, exchange_id: int, *, errors: dict[str, str] | None = None,
                       values: dict[str, Any] | None = None, status_code: int = 200, did: str | None = None) -> Template:
    me = current(request).id
    view = await _exchange_for(exchange_id, me)
    context = await _detail_context(view, me)
    if errors:
        return form_page("exchanges/detail.html", errors=errors, values=values or {}, status_code=status_code,
                         did=None, **context)
    return page("exchanges/detail.html", errors={}, values={}, did=did, **context)


def _back(exchange_id: int, did: str) -> Redirect:
    return Redirect(path=f"/exchanges/{exchange_id}?did={did}", status_code=303)


Verb = Callable[..., Awaitable[service.Moved]]


async def _act(request: Request, exchange_id: int, verb: Verb, did: str, **kwargs: Any) -> Response:
    try:
        await verb(exchange_id, acting=current(request).id, **kwargs)
    except Invalid as exc:
        return await _detail_page(request, exchange_id, errors=exc.errors, values=kwargs, status_code=422)
    return _back(exchange_id, did)


# ---------------------------------------------------------------- "My exchanges" and one exchange


@get("/exchanges", guards=[requires_resident], name="my_exchanges")
async def my_exchanges(request: Request) -> Template:
    me = current(request).id
    on = rules.today(clock.now())
    grouped = await queries.my_exchanges_grouped(me, on)
    return page("exchanges/mine.html", groups=grouped, me=me, on=on)


@get("/exchanges/{exchange_id:int}", guards=[requires_resident], name="exchange")
async def exchange_page(request: Request, exchange_id: FromPath[int], did: FromQuery[str | None] = None) -> Template:
    return await _detail_page(request, exchange_id, did=did)


@post("/exchanges/{exchange_id:int}/accept", guards=[requires_resident])
async def accept(request: Request, exchange_id: FromPath[int]) -> Response:
    return await _act(request, exchange_id, service.accept, "accept")


@post("/exchanges/{exchange_id:int}/decline", guards=[requires_resident])
async def decline(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    return await _act(request, exchange_id, service.decline, "decline", note=data.get("note", ""))


@post("/exchanges/{exchange_id:int}/cancel", guards=[requires_resident])
async def cancel(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    return await _act(request, exchange_id, service.cancel, "cancel", note=data.get("note", ""))


@post("/exchanges/{exchange_id:int}/withdraw", guards=[requires_resident])
async def withdraw(request: Request, exchange_id: FromPath[int]) -> Response:
    return await _act(request, exchange_id, service.withdraw, "withdraw")


@post("/exchanges/{exchange_id:int}/hand-over", guards=[requires_resident])
async def hand_over(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    errors: dict[str, str] = {}
    due_back = _date_field(data, "due_back", errors)
    if errors:
        return await _detail_page(request, exchange_id, errors=errors, values=keep(data, "due_back"), status_code=422)
    try:
        await service.hand_over(exchange_id, acting=current(request).id, due_back=due_back)
    except Invalid as exc:
        return await _detail_page(request, exchange_id, errors=exc.errors, values=keep(data, "due_back"),
                                  status_code=422)
    return _back(exchange_id, "hand_over")


@post("/exchanges/{exchange_id:int}/return", guards=[requires_resident])
async def mark_returned(request: Request, exchange_id: FromPath[int]) -> Response:
    return await _act(request, exchange_id, service.mark_returned, "mark_returned")


@post("/exchanges/{exchange_id:int}/confirm-return", guards=[requires_resident])
async def confirm_return(request: Request, exchange_id: FromPath[int]) -> Response:
    return await _act(request, exchange_id, service.confirm_return, "confirm_return")


@post("/exchanges/{exchange_id:int}/complete", guards=[requires_resident])
async def complete(request: Request, exchange_id: FromPath[int]) -> Response:
    return await _act(request, exchange_id, service.complete, "complete")


@post("/exchanges/{exchange_id:int}/more-time", guards=[requires_resident])
async def more_time(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    errors: dict[str, str] = {}
    until = _date_field(data, "until", errors)
    values = keep(data, "until", "note")
    try:
        if errors:
            raise Invalid(errors)
        await service.request_more_time(exchange_id, acting=current(request).id, until=until, note=data.get("note", ""))
    except Invalid as exc:
        return await _detail_page(request, exchange_id, errors=exc.errors, values=values, status_code=422)
    return _back(exchange_id, "more_time")


@post("/exchanges/{exchange_id:int}/new-date", guards=[requires_resident])
async def new_date(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    errors: dict[str, str] = {}
    due_back = _date_field(data, "new_due_back", errors)
    try:
        if errors:
            raise Invalid(errors)
        await service.agree_new_date(exchange_id, acting=current(request).id, due_back=due_back)
    except Invalid as exc:
        errors = {("new_due_back" if k == "due_back" else k): v for k, v in exc.errors.items()}
        return await _detail_page(request, exchange_id, errors=errors, values=keep(data, "new_due_back"),
                                  status_code=422)
    return _back(exchange_id, "new_date")


@post("/exchanges/{exchange_id:int}/pickup-address", guards=[requires_resident])
async def share_pickup(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    try:
        await service.share_pickup_address(exchange_id, acting=current(request).id, address=data.get("address"))
    except Invalid as exc:
        return await _detail_page(request, exchange_id, errors=exc.errors, values=keep(data, "address"),
                                  status_code=422)
    return _back(exchange_id, "pickup")


@post("/exchanges/{exchange_id:int}/messages", guards=[requires_resident])
async def post_message(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    try:
        await service.post_message(exchange_id, acting=current(request).id, text=data.get("text", ""))
    except Invalid as exc:
        return await _detail_page(request, exchange_id, errors=exc.errors, values=keep(data, "text"), status_code=422)
    return Redirect(path=f"/exchanges/{exchange_id}#messages", status_code=303)


# ---------------------------------------------------------------- starting an exchange


async def _offer_for_form(offer_id: int, me: int) -> queries.OfferToRequest:
    offer = await queries.offer_to_request(offer_id, me)
    if offer is None:
        raise NotFound()
    if offer.owner_id == me:
        raise NotAllowed("You can't ask for your own offer.")
    return offer


def _request_defaults(offer: queries.OfferToRequest) -> dict[str, str]:
    on = rules.today(clock.now())
    if offer.kind != "lend":
        return {}
    return {"wanted_from": on.isoformat(), "due_back": rules.default_due_back(on, offer.loan_days).isoformat()}


@get("/offers/{offer_id:int}/request", guards=[requires_resident], name="request_offer")
async def request_form(request: Request, offer_id: FromPath[int]) -> Template:
    offer = await _offer_for_form(offer_id, current(request).id)
    return page("exchanges/request.html", offer=offer, errors={}, values=_request_defaults(offer),
                today=rules.today(clock.now()).isoformat())


@post("/offers/{offer_id:int}/request", guards=[requires_resident])
async def request_offer(request: Request, offer_id: FromPath[int]) -> Response:
    me = current(request).id
    data = await form_data(request)
    errors: dict[str, str] = {}
    wanted_from = _date_field(data, "wanted_from", errors)
    due_back = _date_field(data, "due_back", errors)
    try:
        if errors:
            raise Invalid(errors)
        moved = await service.request_offer(offer_id, acting=me, message=data.get("message", ""),
                                            wanted_from=wanted_from, due_back=due_back)
    except Invalid as exc:
        offer = await _offer_for_form(offer_id, me)
        return form_page("exchanges/request.html", errors=exc.errors, values=keep(data, "message", "wanted_from", "due_back"),
                         offer=offer, today=rules.today(clock.now()).isoformat())
    return _back(moved.id, "request")


@get("/offers/{offer_id:int}/requests", guards=[requires_resident], name="choose_requester")
async def choose_page(request: Request, offer_id: FromPath[int]) -> Template:
    """The giver (or lender) sees who has asked, with each requester's private reliability hint."""
    me = current(request).id
    offer = await queries.own_offer(offer_id, me)
    if offer is None:
        raise NotFound()
    return page("exchanges/choose.html", offer=offer, requesters=await queries.requests_to_choose_from(offer_id, me))


async def _ask_for_form(ask_id: int, me: int) -> queries.AskToHelp:
    ask = await queries.ask_to_help(ask_id, me)
    if ask is None:
        raise NotFound()
    if ask.owner_id == me:
        raise NotAllowed("You can't offer help with your own ask.")
    return ask


@get("/asks/{ask_id:int}/help", guards=[requires_resident], name="offer_help")
async def help_form(request: Request, ask_id: FromPath[int]) -> Template:
    me = current(request).id
    ask = await _ask_for_form(ask_id, me)
    return page("exchanges/help.html", ask=ask, offers=await queries.own_active_offers(me), errors={}, values={})


@post("/asks/{ask_id:int}/help", guards=[requires_resident])
async def offer_help(request: Request, ask_id: FromPath[int]) -> Response:
    me = current(request).id
    data = await form_data(request)
    try:
        offer_id = int(data["offer_id"]) if data.get("offer_id") else None
    except ValueError:
        offer_id = -1
    try:
        moved = await service.offer_help(ask_id, acting=me, offer_id=offer_id, message=data.get("message", ""))
    except Invalid as exc:
        ask = await _ask_for_form(ask_id, me)
        return form_page("exchanges/help.html", errors=exc.errors, values=keep(data, "message", "offer_id"), ask=ask,
                         offers=await queries.own_active_offers(me))
    return _back(moved.id, "offer_help")


web_router = Router(
    path="/",
    route_handlers=[my_exchanges, exchange_page, accept, decline, cancel, withdraw, hand_over, mark_returned,
                    confirm_return, complete, more_time, new_date, share_pickup, post_message, request_form,
                    request_offer, choose_page, help_form, offer_help],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class PartyOut(msgspec.Struct):
    id: int
    display_name: str


class ItemRef(msgspec.Struct):
    id: int
    title: str


class EventOut(msgspec.Struct):
    action: str
    actor: PartyOut | None
    at: datetime
    from_state: str | None
    to_state: str
    note: str


class ExchangeOut(msgspec.Struct):
    id: int
    state: str
    kind: str
    title: str
    offer: ItemRef | None
    ask: ItemRef | None
    provider: PartyOut
    recipient: PartyOut
    started_by: str
    message: str
    wanted_from: date | None
    due_back: date | None
    overdue: bool
    requested_at: datetime
    pickup_address: str | None
    extension_requested_until: date | None
    allowed_actions: list[str]
    events: list[EventOut] = []


class ExchangeList(msgspec.Struct):
    items: list[ExchangeOut]
    next: str | None


class StateOut(msgspec.Struct):
    id: int
    state: str


class RequestIn(msgspec.Struct):
    message: str = ""
    wanted_from: date | None = None
    due_back: date | None = None


class HelpIn(msgspec.Struct):
    offer_id: int | None = None
    message: str = ""


class NoteIn(msgspec.Struct):
    note: str = ""


class HandOverIn(msgspec.Struct):
    due_back: date | None = None


class MoreTimeIn(msgspec.Struct):
    until: date
    note: str = ""


class NewDateIn(msgspec.Struct):
    due_back: date | None = None


class PickupIn(msgspec.Struct):
    address: str | None = None


class MessageIn(msgspec.Struct):
    text: str


class MessageOut(msgspec.Struct):
    id: int
    author: PartyOut
    text: str
    at: datetime


class MessageList(msgspec.Struct):
    items: list[MessageOut]


def _party(p: queries.Party) -> PartyOut:
    return PartyOut(id=p.id, display_name=p.display_name)


def _out(view: queries.ExchangeView, me: int, events: list[queries.EventView] | None = None) -> ExchangeOut:
    on = rules.today(clock.now())
    return ExchangeOut(
        id=view.id, state=view.state, kind=view.kind, title=view.title,
        offer=ItemRef(view.offer_id, view.offer_title or "") if view.offer_id else None,
        ask=ItemRef(view.ask_id, view.ask_title or "") if view.ask_id else None,
        provider=_party(view.provider), recipient=_party(view.recipient), started_by=view.started_by,
        message=view.message, wanted_from=view.wanted_from, due_back=view.due_back, overdue=view.overdue(on),
        requested_at=view.requested_at, pickup_address=view.pickup_address,
        extension_requested_until=view.extension_requested_until,
        allowed_actions=[a.value for a in view.allowed(me)],
        events=[EventOut(action=e.action, actor=_party(e.actor) if e.actor else None, at=e.at, from_state=e.from_state,
                         to_state=e.to_state, note=e.note) for e in events or []],
    )


async def _state(moved: service.Moved) -> StateOut:
    return StateOut(id=moved.id, state=str(moved.state))


@post("/offers/{offer_id:int}/exchanges", guards=[requires_resident], status_code=201,
      summary="Ask for an offer (borrow, have it, ask for help, book a place)")
async def api_request_offer(request: Request, offer_id: FromPath[int], data: JSONBody[RequestIn]) -> StateOut:
    return await _state(await service.request_offer(offer_id, acting=current(request).id, message=data.message,
                                                    wanted_from=data.wanted_from, due_back=data.due_back))


@post("/asks/{ask_id:int}/exchanges", guards=[requires_resident], status_code=201,
      summary="Offer to meet an ask, optionally naming one of the caller's offers")
async def api_offer_help(request: Request, ask_id: FromPath[int], data: JSONBody[HelpIn]) -> StateOut:
    return await _state(await service.offer_help(ask_id, acting=current(request).id, offer_id=data.offer_id,
                                                 message=data.message))


@get("/exchanges", guards=[requires_resident], summary="The caller's exchanges, newest first")
async def api_my_exchanges(request: Request,
                           wanted_state: Annotated[str | None, QueryParameter(name="state", description="only this state")] = None,
                           cursor: FromQuery[str | None] = None) -> ExchangeList:
    me = current(request).id
    if wanted_state is not None and wanted_state not in State.__members__:
        raise Invalid({"state": "Unknown state. Use one of: " + ", ".join(State.__members__) + "."})
    try:
        before = int(cursor) if cursor else None
    except ValueError:
        raise Invalid({"cursor": "Use the `next` value of the previous page."}) from None
    limit = 50
    views = await queries.my_exchanges(me, state=wanted_state, before_id=before, limit=limit)
    return ExchangeList(items=[_out(v, me) for v in views],
                        next=str(views[-1].id) if len(views) == limit else None)


@get("/exchanges/{exchange_id:int}", guards=[requires_resident], summary="One exchange, with its events (parties only)")
async def api_exchange(request: Request, exchange_id: FromPath[int]) -> ExchangeOut:
    me = current(request).id
    view = await _exchange_for(exchange_id, me)
    return _out(view, me, await queries.events(exchange_id))


@post("/exchanges/{exchange_id:int}/accept", guards=[requires_resident], status_code=200, summary="Accept a request")
async def api_accept(request: Request, exchange_id: FromPath[int]) -> StateOut:
    return await _state(await service.accept(exchange_id, acting=current(request).id))


@post("/exchanges/{exchange_id:int}/decline", guards=[requires_resident], status_code=200,
      summary="Decline a request, with an optional kind note")
async def api_decline(request: Request, exchange_id: FromPath[int], data: JSONBody[NoteIn | None] = None) -> StateOut:
    return await _state(await service.decline(exchange_id, acting=current(request).id, note=data.note if data else ""))


@post("/exchanges/{exchange_id:int}/cancel", guards=[requires_resident], status_code=200,
      summary="Cancel before hand-over (either side)")
async def api_cancel(request: Request, exchange_id: FromPath[int], data: JSONBody[NoteIn | None] = None) -> StateOut:
    return await _state(await service.cancel(exchange_id, acting=current(request).id, note=data.note if data else ""))


@post("/exchanges/{exchange_id:int}/withdraw", guards=[requires_resident], status_code=200,
      summary="Withdraw your own request")
async def api_withdraw(request: Request, exchange_id: FromPath[int]) -> StateOut:
    return await _state(await service.withdraw(exchange_id, acting=current(request).id))


@post("/exchanges/{exchange_id:int}/hand-over", guards=[requires_resident], status_code=200,
      summary="Lend: the lender hands it over (due_back defaults from the request or the offer)")
async def api_hand_over(request: Request, exchange_id: FromPath[int],
                        data: JSONBody[HandOverIn | None] = None) -> StateOut:
    return await _state(await service.hand_over(exchange_id, acting=current(request).id,
                                                due_back=data.due_back if data else None))


@post("/exchanges/{exchange_id:int}/return", guards=[requires_resident], status_code=200,
      summary="Lend: the borrower says it is back")
async def api_return(request: Request, exchange_id: FromPath[int]) -> StateOut:
    return await _state(await service.mark_returned(exchange_id, acting=current(request).id))


@post("/exchanges/{exchange_id:int}/confirm-return", guards=[requires_resident], status_code=200,
      summary="Lend: the lender confirms it is back (completes the loan)")
async def api_confirm_return(request: Request, exchange_id: FromPath[int]) -> StateOut:
    return await _state(await service.confirm_return(exchange_id, acting=current(request).id))


@post("/exchanges/{exchange_id:int}/complete", guards=[requires_resident], status_code=200,
      summary="Give, skill, time: mark it done (either side)")
async def api_complete(request: Request, exchange_id: FromPath[int]) -> StateOut:
    return await _state(await service.complete(exchange_id, acting=current(request).id))


@post("/exchanges/{exchange_id:int}/more-time", guards=[requires_resident], status_code=200,
      summary="Lend: the borrower asks to keep it until a later day")
async def api_more_time(request: Request, exchange_id: FromPath[int], data: JSONBody[MoreTimeIn]) -> StateOut:
    return await _state(await service.request_more_time(exchange_id, acting=current(request).id, until=data.until,
                                                        note=data.note))


@post("/exchanges/{exchange_id:int}/new-date", guards=[requires_resident], status_code=200,
      summary="Lend: the lender sets a new due-back day (default: the one asked for)")
async def api_new_date(request: Request, exchange_id: FromPath[int],
                       data: JSONBody[NewDateIn | None] = None) -> StateOut:
    return await _state(await service.agree_new_date(exchange_id, acting=current(request).id,
                                                     due_back=data.due_back if data else None))


@post("/exchanges/{exchange_id:int}/pickup-address", guards=[requires_resident], status_code=200,
      summary="The provider shares the pickup address (their home address unless one is given)")
async def api_pickup(request: Request, exchange_id: FromPath[int], data: JSONBody[PickupIn | None] = None) -> StateOut:
    return await _state(await service.share_pickup_address(exchange_id, acting=current(request).id,
                                                           address=data.address if data else None))


@get("/exchanges/{exchange_id:int}/messages", guards=[requires_resident], summary="The thread between the two parties")
async def api_messages(request: Request, exchange_id: FromPath[int]) -> MessageList:
    await _exchange_for(exchange_id, current(request).id)
    return MessageList(items=[MessageOut(id=m.id, author=_party(m.author), text=m.text, at=m.at)
                              for m in await queries.messages(exchange_id)])


@post("/exchanges/{exchange_id:int}/messages", guards=[requires_resident], status_code=201,
      summary="Write in the thread (parties only, once accepted, until it ends)")
async def api_post_message(request: Request, exchange_id: FromPath[int], data: JSONBody[MessageIn]) -> MessageOut:
    me = current(request).id
    message_id = await service.post_message(exchange_id, acting=me, text=data.text)
    [message] = [m for m in await queries.messages(exchange_id) if m.id == message_id]
    return MessageOut(id=message.id, author=_party(message.author), text=message.text, at=message.at)


api_handlers = [api_request_offer, api_offer_help, api_my_exchanges, api_exchange, api_accept, api_decline, api_cancel,
                api_withdraw, api_hand_over, api_return, api_confirm_return, api_complete, api_more_time, api_new_date,
                api_pickup, api_messages, api_post_message]
