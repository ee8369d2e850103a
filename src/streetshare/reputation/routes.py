"""Reputation pages and API. Thin: parse, call one query or service verb, respond.

Pages: a resident's profile (/residents/{id}) and an exchange's thanks page (/exchanges/{id}/thanks:
the form, and the notes both parties left). API: POST /api/v1/exchanges/{id}/thanks and
GET /api/v1/residents/{id}. The private reliability hint appears on a profile (page or API) only for
the coordinators of the resident's street: rules.may_see_reliability decides, the template shows.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare import clock
from streetshare.errors import Invalid, NotFound
from streetshare.reputation import queries, rules, service
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, keep
from streetshare.web.pages import form_page, page
from streetshare.web.refs import PersonRef, StreetRef


async def _visible_profile(resident_id: int, viewer_id: int) -> tuple[queries.Profile, queries.ProfileAccess]:
    access = await queries.profile_access(resident_id, viewer_id)
    found = await queries.profile(resident_id) if access.visible else None
    if found is None:
        raise NotFound()
    return found, access


def _hint_since(now: datetime) -> date:
    return (now - rules.HINT_WINDOW).date()


# ---------------------------------------------------------------- pages


@get("/residents/{resident_id:int}", guards=[requires_resident], name="resident_profile")
async def profile_page(request: Request, resident_id: FromPath[int], did: FromQuery[str | None] = None) -> Template:
    me = current(request).id
    found, access = await _visible_profile(resident_id, me)
    show_hint = rules.may_see_reliability(viewer_id=me, resident_id=resident_id,
                                          coordinates_their_street=access.coordinates_their_street)
    notes = await queries.thanks_received(resident_id)
    return page(
        "reputation/profile.html",
        person=found,
        rep=found.reputation,
        is_me=me == resident_id,
        notes=notes,
        can_report={n.id: rules.may_report_thanks(viewer_id=me, author_id=n.author.id) for n in notes},
        hint=await queries.reliability_hint(resident_id) if show_hint else None,
        hint_months=rules.HINT_WINDOW_MONTHS,
        did=did,
    )


async def _thanks_page(request: Request, exchange_id: int, *, errors: dict[str, str] | None = None,
                       values: dict[str, str] | None = None) -> Template:
    me = current(request).id
    found = await queries.exchange_thanks(exchange_id, me)
    if found is None:
        raise NotFound()
    context = {"th": found, "max_length": rules.THANKS_MAX}
    if errors:
        return form_page("reputation/thanks.html", errors=errors, values=values or {}, **context)
    return page("reputation/thanks.html", errors={}, values={}, **context)


@get("/exchanges/{exchange_id:int}/thanks", guards=[requires_resident], name="exchange_thanks")
async def thanks_form(request: Request, exchange_id: FromPath[int]) -> Template:
    return await _thanks_page(request, exchange_id)


@post("/exchanges/{exchange_id:int}/thanks", guards=[requires_resident])
async def say_thanks(request: Request, exchange_id: FromPath[int]) -> Response:
    data = await form_data(request)
    try:
        await service.say_thanks(exchange_id, data.get("text", ""), acting=current(request).id)
    except Invalid as exc:
        return await _thanks_page(request, exchange_id, errors=exc.errors, values=keep(data, "text"))
    found = await queries.exchange_thanks(exchange_id, current(request).id)
    assert found is not None
    return Redirect(path=f"/residents/{found.other.id}?did=thanks#thanks", status_code=303)


web_router = Router(path="/", route_handlers=[profile_page, thanks_form, say_thanks], include_in_schema=False)


# ---------------------------------------------------------------- JSON API


class ReputationOut(msgspec.Struct):
    provided: int
    received: int
    thanks: int
    on_time_returns: int
    loans_returned: int


class ThanksOut(msgspec.Struct):
    id: int
    exchange_id: int
    author: PersonRef
    recipient: PersonRef
    text: str
    created_at: datetime


class ReliabilityOut(msgspec.Struct):
    """Private: only for the coordinators of the resident's street."""

    since: date
    completed: int
    cancelled_after_accepting: int
    late_returns: int
    unanswered_requests: int


class ResidentProfileOut(msgspec.Struct, omit_defaults=True):
    id: int
    display_name: str
    member_since: datetime
    street: StreetRef | None
    met_in_person: bool
    reputation: ReputationOut
    thanks_received: list[ThanksOut]
    # Present only when the caller coordinates the resident's street.
    reliability: ReliabilityOut | None = None


class ThanksIn(msgspec.Struct):
    text: str


def _thanks_out(note: queries.ThanksNote) -> ThanksOut:
    return ThanksOut(id=note.id, exchange_id=note.exchange_id, author=PersonRef(note.author.id, note.author.display_name),
                     recipient=PersonRef(note.recipient.id, note.recipient.display_name), text=note.text,
                     created_at=note.created_at)


@post("/exchanges/{exchange_id:int}/thanks", guards=[requires_resident], status_code=201,
      summary="Thank the other party, once, after a completed exchange")
async def api_say_thanks(request: Request, exchange_id: FromPath[int], data: JSONBody[ThanksIn]) -> ThanksOut:
    thanks_id = await service.say_thanks(exchange_id, data.text, acting=current(request).id)
    note = await queries.note(thanks_id)
    assert note is not None
    return _thanks_out(note)


@get("/residents/{resident_id:int}", guards=[requires_resident],
     summary="A resident's public profile and reputation (neighbours in scope; 404 otherwise)")
async def api_resident(request: Request, resident_id: FromPath[int]) -> ResidentProfileOut:
    me = current(request).id
    found, access = await _visible_profile(resident_id, me)
    rep = found.reputation
    reliability = None
    if rules.may_see_reliability(viewer_id=me, resident_id=resident_id,
                                 coordinates_their_street=access.coordinates_their_street):
        now = clock.now()
        hint = await queries.reliability_hint(resident_id, now)
        reliability = ReliabilityOut(since=_hint_since(now), completed=hint.completed,
                                     cancelled_after_accepting=hint.cancelled_after_accepting,
                                     late_returns=hint.late_returns, unanswered_requests=hint.unanswered_requests)
    return ResidentProfileOut(
        id=found.id, display_name=found.display_name, member_since=found.member_since,
        street=StreetRef(found.street_id, found.street_name) if found.street_id and found.street_name else None,
        met_in_person=found.met_in_person,
        reputation=ReputationOut(provided=rep.provided, received=rep.received, thanks=rep.thanks,
                                 on_time_returns=rep.on_time_returns, loans_returned=rep.loans_returned),
        thanks_received=[_thanks_out(n) for n in await queries.thanks_received(resident_id)],
        reliability=reliability,
    )


api_handlers = [api_say_thanks, api_resident]
