"""Matches in pages and the API: an ask's "Neighbours who could help", an offer's "Neighbours who need
this", and "not this one". Thin: check who may look, read, respond.

The ask and offer pages include templates/matching/_matches.html with the lists that
`ask_matches_context` / `offer_matches_context` return; /asks/{id}/matches and /offers/{id}/matches
show the same lists on their own (the links in match notifications).
"""

from __future__ import annotations

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from streetshare.asks.queries import ask_visible_to
from streetshare.errors import NotFound
from streetshare.matching import queries, service
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, safe_next
from streetshare.web.pages import page
from streetshare.web.refs import PersonRef


async def visible_ask_matches(ask_id: int, viewer_id: int) -> list[queries.OfferMatch]:
    """The ask's matches for a viewer who may see the ask; NotFound otherwise."""
    if not await ask_visible_to(ask_id, viewer_id):
        raise NotFound()
    return await queries.matches_for_ask(ask_id, viewer_id)


async def own_offer_matches(offer_id: int, viewer_id: int) -> list[queries.AskMatch]:
    """The offer's matches for its owner; NotFound for anyone else (we don't say it exists)."""
    if await queries.offer_owner(offer_id) != viewer_id:
        raise NotFound()
    return await queries.matches_for_offer(offer_id, viewer_id)


async def ask_matches_context(ask_id: int, viewer_id: int) -> dict:
    """What templates/asks/detail.html needs to show "Neighbours who could help": for the asker
    only (a neighbour looking at the ask is there to help, not to see who else might); nothing for
    anyone else, so the section isn't shown. (The list itself, /asks/{id}/matches and the API,
    is open to anyone who can see the ask.)"""
    if await queries.ask_owner(ask_id) != viewer_id:
        return {}
    return {"matches": await queries.matches_for_ask(ask_id, viewer_id), "can_act_on_matches": True}


async def offer_matches_context(offer_id: int, viewer_id: int) -> dict:
    """What templates/offers/detail.html needs to show "Neighbours who need this": for the owner
    only; for anyone else nothing, so the section isn't shown."""
    if await queries.offer_owner(offer_id) != viewer_id:
        return {}
    return {"matches": await queries.matches_for_offer(offer_id, viewer_id), "can_act_on_matches": True}


# ---------------------------------------------------------------- web pages


@get("/asks/{ask_id:int}/matches", guards=[requires_resident], name="ask_matches")
async def ask_matches_page(request: Request, ask_id: FromPath[int]) -> Template:
    me = current(request).id
    matches = await visible_ask_matches(ask_id, me)
    return page("matching/ask_matches.html", ask_id=ask_id, ask_title=await queries.ask_title(ask_id),
                matches=matches, can_act=await queries.ask_owner(ask_id) == me)


@get("/offers/{offer_id:int}/matches", guards=[requires_resident], name="offer_matches")
async def offer_matches_page(request: Request, offer_id: FromPath[int]) -> Template:
    me = current(request).id
    matches = await own_offer_matches(offer_id, me)
    return page("matching/offer_matches.html", offer_id=offer_id, offer_title=await queries.offer_title(offer_id),
                matches=matches, can_act=True)


@post("/matches/{match_id:int}/dismiss", guards=[requires_resident])
async def dismiss_match(request: Request, match_id: FromPath[int]) -> Redirect:
    data = await form_data(request)
    await service.dismiss(match_id, acting=current(request).id)
    return Redirect(path=safe_next(data.get("next"), "/"), status_code=303)


web_router = Router(path="/", route_handlers=[ask_matches_page, offer_matches_page, dismiss_match],
                    include_in_schema=False)

# ---------------------------------------------------------------- JSON API


class MatchedOffer(msgspec.Struct):
    id: int
    title: str
    kind: str
    category: str
    distance_m: int | None
    owner: PersonRef


class OfferMatchOut(msgspec.Struct):
    match_id: int
    offer: MatchedOffer
    score: float
    reasons: list[str]


class MatchedAsk(msgspec.Struct):
    id: int
    title: str
    help_kind: str
    category: str
    distance_m: int | None
    owner: PersonRef


class AskMatchOut(msgspec.Struct):
    match_id: int
    ask: MatchedAsk
    score: float
    reasons: list[str]


class DismissedOut(msgspec.Struct):
    dismissed: bool = True


@get("/asks/{ask_id:int}/matches", guards=[requires_resident],
     summary="Offers that could meet an ask, best first (the ask must be visible to the caller)")
async def api_ask_matches(request: Request, ask_id: FromPath[int]) -> list[OfferMatchOut]:
    matches = await visible_ask_matches(ask_id, current(request).id)
    return [
        OfferMatchOut(
            match_id=m.match_id,
            offer=MatchedOffer(id=m.offer_id, title=m.title, kind=m.kind, category=m.category,
                               distance_m=m.distance_m, owner=PersonRef(m.owner_id, m.owner_name)),
            score=round(m.score, 3),
            reasons=m.reasons,
        )
        for m in matches
    ]


@get("/offers/{offer_id:int}/matches", guards=[requires_resident],
     summary="Open asks an offer could meet, best first (the offer's owner only)")
async def api_offer_matches(request: Request, offer_id: FromPath[int]) -> list[AskMatchOut]:
    matches = await own_offer_matches(offer_id, current(request).id)
    return [
        AskMatchOut(
            match_id=m.match_id,
            ask=MatchedAsk(id=m.ask_id, title=m.title, help_kind=m.help_kind, category=m.category,
                           distance_m=m.distance_m, owner=PersonRef(m.owner_id, m.owner_name)),
            score=round(m.score, 3),
            reasons=m.reasons,
        )
        for m in matches
    ]


@post("/matches/{match_id:int}/dismiss", guards=[requires_resident], status_code=200,
      summary="Dismiss a match (its asker or offerer): it leaves their list for good")
async def api_dismiss_match(request: Request, match_id: FromPath[int]) -> DismissedOut:
    await service.dismiss(match_id, acting=current(request).id)  # a second time changes nothing
    return DismissedOut()


api_handlers = [api_ask_matches, api_offer_matches, api_dismiss_match]
