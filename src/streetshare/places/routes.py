"""Where residents live, streets near them, street pages, invites: web pages and the JSON API.

Thin: parse, call one service function, respond. Pages never receive another resident's home.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare import clock, ratelimit
from streetshare.coordinators import queries as coordinators
from streetshare.coordinators.service import OnlyCoordinator
from streetshare.errors import Conflict, Invalid, NotAllowed, NotFound, TooManyAttempts
from streetshare.places import queries, rules, service
from streetshare.places.cache import app_geocoder
from streetshare.places.privacy import describe_distance
from streetshare.places.service import AddressProblem, AmbiguousAddress, InviteUnusable
from streetshare.web.auth import current, requires_resident
from streetshare.web.errors import json_error
from streetshare.web.forms import form_data, keep, safe_next
from streetshare.web.pages import page, settings_of
from streetshare.web.refs import StreetRef

# Address lookups per resident (each may reach the geocoding service, shared by everyone).
ADDRESS_LOOKUPS = dict(limit=30, window_s=3600)
TOO_MANY_LOOKUPS = "That's a lot of address lookups in a short time."
TOO_MANY_LOOKUPS_HINT = "Use your location instead, or try again in a while."

# ---------------------------------------------------------------- helpers


async def _count_lookup(resident_id: int) -> None:
    await ratelimit.hit(f"geocode:{resident_id}", **ADDRESS_LOOKUPS)


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _choices(problem: AmbiguousAddress) -> list[dict[str, Any]]:
    return [{"index": i, "label": place.label} for i, place in enumerate(problem.places)]


def _after_home(next_path: str | None) -> str:
    return safe_next(next_path, "/streets/nearby?home=set")


async def _own_home(resident_id: int) -> queries.OwnHome:
    home = await queries.own_home(resident_id)
    if home is None:
        raise NotFound()
    return home


def _streets_for_page(streets: list[queries.NearbyStreet], visible: list[int], home: queries.OwnHome) -> list[dict]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "distance": describe_distance(s.distance_m),
            "members": s.members,
            "is_home": s.id == home.street_id,
            "can_view": rules.may_see_street(is_member=s.id == home.street_id, visible_street_ids=visible, street_id=s.id),
            "can_join": s.can_join and s.id != home.street_id,
        }
        for s in streets
    ]


# ---------------------------------------------------------------- where do you live?


async def _home_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    hint: str | None = None,
    choices: list[dict[str, Any]] | None = None,
    next_path: str = "",
    status_code: int = 200,
) -> Template:
    me = current(request)
    return page(
        "places/home.html",
        status_code=status_code,
        errors=errors or {},
        values=values or {},
        hint=hint,
        choices=choices or [],
        home=await _own_home(me.id),
        next=next_path,
    )


@get("/places/home", guards=[requires_resident], name="places_home")
async def home_form(request: Request, next: FromQuery[str | None] = None) -> Template:
    return await _home_page(request, next_path=safe_next(next, ""))


@post("/places/home/location", guards=[requires_resident])
async def home_from_location(request: Request) -> Response:
    """"Use my location": location.js fills in lat and lng from the browser; no lookup on our side."""
    data = await form_data(request)
    next_path = safe_next(data.get("next"), "")
    lat = rules.parse_coordinate(data.get("lat"), limit=90)
    lng = rules.parse_coordinate(data.get("lng"), limit=180)
    try:
        await service.set_home(acting=current(request).id, lat=lat, lng=lng)
    except Invalid as exc:
        return await _home_page(request, errors=exc.errors, next_path=next_path, status_code=422)
    return Redirect(path=_after_home(next_path), status_code=303)


@post("/places/home/address", guards=[requires_resident])
async def home_from_address(request: Request) -> Response:
    """The fallback that works without JavaScript: a postcode or address, looked up on the server."""
    data = await form_data(request)
    next_path = safe_next(data.get("next"), "")
    values = keep(data, "address")
    try:
        await _count_lookup(current(request).id)
        await service.set_home_from_address(
            acting=current(request).id,
            geocoder=app_geocoder(settings_of(request)),
            address=data.get("address", ""),
            choice=_int_or_none(data.get("choice")),
        )
    except AmbiguousAddress as exc:
        return await _home_page(request, values=values, choices=_choices(exc), next_path=next_path)
    except AddressProblem as exc:
        return await _home_page(request, errors=exc.errors, values=values, hint=exc.hint, next_path=next_path,
                                status_code=422)
    except Invalid as exc:
        return await _home_page(request, errors=exc.errors, values=values, next_path=next_path, status_code=422)
    except TooManyAttempts:
        return await _home_page(request, errors={"address": TOO_MANY_LOOKUPS}, values=values,
                                hint=TOO_MANY_LOOKUPS_HINT, next_path=next_path, status_code=429)
    return Redirect(path=_after_home(next_path), status_code=303)


# ---------------------------------------------------------------- streets near me


@get("/streets/nearby", guards=[requires_resident], name="streets_nearby")
async def nearby(request: Request, home: FromQuery[str | None] = None) -> Template | Redirect:
    me = current(request)
    own = await _own_home(me.id)
    if not own.is_set:
        return Redirect(path="/places/home?next=" + quote("/streets/nearby", safe=""), status_code=303)
    streets = await queries.streets_near_home(me.id) or []
    visible = await queries.visible_street_ids(me.id)
    return page("places/nearby.html", streets=_streets_for_page(streets, visible, own), home=own,
                home_saved=home == "set")


@get("/streets/mine", guards=[requires_resident])
async def my_street(request: Request) -> Redirect:
    street = await queries.home_street(current(request).id)
    return Redirect(path=f"/streets/{street.id}" if street else "/streets/nearby", status_code=303)


async def _new_street_page(request: Request, *, errors: dict[str, str] | None = None,
                           values: dict[str, Any] | None = None, hint: str | None = None,
                           choices: list[dict[str, Any]] | None = None, status_code: int = 200) -> Template:
    me = current(request)
    own = await _own_home(me.id)
    defaults = {"radius_m": str(rules.RADIUS_DEFAULT_M), "centre": "home" if own.is_set else "address", "items": "bring"}
    return page(
        "places/new_street.html",
        status_code=status_code,
        errors=errors or {},
        values={**defaults, **(values or {})},
        hint=hint,
        choices=choices or [],
        home=own,
        open_items=await queries.open_items(me.id) if own.street_id else None,
        roles=await coordinators.roles_left_when_leaving(me.id),
        radius_min=rules.RADIUS_MIN_M,
        radius_max=rules.RADIUS_MAX_M,
    )


@get("/streets/new", guards=[requires_resident])
async def new_street_form(request: Request) -> Template:
    return await _new_street_page(request)


@post("/streets/new", guards=[requires_resident])
async def create_street(request: Request) -> Response:
    me = current(request)
    data = await form_data(request)
    values = keep(data, "name", "radius_m", "centre", "centre_address", "items")
    values["items"] = values["items"] or rules.BRING
    centre: tuple[float, float] | None = None
    if data.get("centre") == "address":
        try:
            await _count_lookup(me.id)
            place = await service.look_up_address(
                app_geocoder(settings_of(request)), data.get("centre_address", ""),
                choice=_int_or_none(data.get("centre_choice")),
            )
        except AmbiguousAddress as exc:
            return await _new_street_page(request, values=values, choices=_choices(exc))
        except AddressProblem as exc:
            return await _new_street_page(request, errors={"centre_address": exc.message}, values=values,
                                          hint=exc.hint, status_code=422)
        except Invalid as exc:
            return await _new_street_page(request, errors={"centre_address": exc.errors["address"]}, values=values,
                                          status_code=422)
        except TooManyAttempts:
            return await _new_street_page(request, errors={"centre_address": TOO_MANY_LOOKUPS}, values=values,
                                          hint=TOO_MANY_LOOKUPS_HINT, status_code=429)
        centre = (place.lat, place.lng)
    try:
        street_id = await service.create_street(
            acting=me.id,
            name=data.get("name", ""),
            radius_m=rules.parse_radius(data.get("radius_m")),
            centre=centre,
            secret=settings_of(request).secret_key,
            items=values["items"],
        )
    except Invalid as exc:
        return await _new_street_page(request, errors=exc.errors, values=values, status_code=422)
    except OnlyCoordinator:  # the page says which street needs another coordinator first
        return await _new_street_page(request, values=values, status_code=409)
    return Redirect(path=f"/streets/{street_id}?created=1", status_code=303)


# ---------------------------------------------------------------- one street


@get("/streets/{street_id:int}", guards=[requires_resident], name="street")
async def street_page(request: Request, street_id: FromPath[int], joined: FromQuery[str | None] = None,
                      created: FromQuery[str | None] = None, saved: FromQuery[str | None] = None) -> Template:
    me = current(request)
    summary = await queries.street_summary(street_id)
    own = await _own_home(me.id)
    is_member = own.street_id == street_id
    visible = await queries.visible_street_ids(me.id)
    if summary is None or not rules.may_see_street(is_member=is_member, visible_street_ids=visible, street_id=street_id):
        raise NotFound()
    distance = None if is_member else await queries.home_distance_to_street(me.id, street_id)
    return page(
        "places/street.html",
        street=summary,
        is_member=is_member,
        is_coordinator=await queries.is_coordinator(me.id, street_id),
        can_join=distance is not None and rules.may_join_directly(distance, summary.radius_m),
        has_street=own.street_id is not None,
        home_set=own.is_set,
        distance=describe_distance(distance) if distance is not None else None,
        looks_at=own.looks_at,
        joined=bool(joined),
        created=bool(created),
        saved=bool(saved),
    )


@get("/streets/{street_id:int}/move", guards=[requires_resident])
async def move_form(request: Request, street_id: FromPath[int]) -> Template | Redirect:
    me = current(request)
    name = await queries.street_name(street_id)
    if name is None:
        raise NotFound()
    own = await _own_home(me.id)
    if own.street_id == street_id:
        return Redirect(path=f"/streets/{street_id}", status_code=303)
    distance = await queries.home_distance_to_street(me.id, street_id)
    if distance is None:
        raise NotAllowed(service.NO_HOME_TO_JOIN)
    if not rules.may_join_directly(distance, await queries.street_radius(street_id) or 0):
        raise NotAllowed(service.TOO_FAR_TO_JOIN)
    return await _move_page(me.id, street_id, name, own, {"items": rules.BRING})


async def _move_page(resident_id: int, street_id: int, name: str, own: Any, values: dict[str, str], *,
                     status_code: int = 200) -> Template:
    return page("places/move.html", status_code=status_code, errors={}, values=values, street_id=street_id,
                street_name=name, home=own, open_items=await queries.open_items(resident_id),
                roles=await coordinators.roles_left_when_leaving(resident_id, street_id),
                action=f"/streets/{street_id}/join")


@post("/streets/{street_id:int}/join", guards=[requires_resident])
async def join(request: Request, street_id: FromPath[int]) -> Response:
    me = current(request)
    data = await form_data(request)
    items = data.get("items") or rules.BRING
    try:
        await service.join_street(acting=me.id, street_id=street_id, items=items)
    except OnlyCoordinator:  # the page says which street needs another coordinator first
        return await _move_page(me.id, street_id, await queries.street_name(street_id) or "", await _own_home(me.id),
                                {"items": items}, status_code=409)
    return Redirect(path=f"/streets/{street_id}?joined=1", status_code=303)


@post("/places/looks-at", guards=[requires_resident])
async def looks_at(request: Request) -> Redirect:
    me = current(request)
    data = await form_data(request)
    await service.set_looks_at(acting=me.id, looks_at=data.get("looks_at", ""))
    street = await queries.home_street(me.id)
    return Redirect(path=f"/streets/{street.id}?saved=1" if street else "/streets/nearby", status_code=303)


# ---------------------------------------------------------------- invite links


@get("/join/{code:str}", name="join_by_invite")
async def invite_page(request: Request, code: FromPath[str]) -> Template:
    return await _invite_page(request, code, {"items": rules.BRING})


async def _invite_page(request: Request, code: str, values: dict[str, str], *, status_code: int | None = None) -> Template:
    invite = await queries.invite_by_code(code)
    problem = rules.invite_problem(invite.state if invite else None, clock.now())
    context: dict[str, Any] = {"code": code, "problem": problem, "invite": invite, "errors": {},
                               "values": values, "next": f"/join/{quote(code, safe='')}"}
    if request.user and invite:
        own = await _own_home(request.user.id)
        context.update(is_member=own.street_id == invite.street_id, home=own,
                       open_items=await queries.open_items(request.user.id) if own.street_id else None,
                       roles=await coordinators.roles_left_when_leaving(request.user.id, invite.street_id))
        if own.street_id == invite.street_id:
            context["problem"] = None
    if invite is None:
        status = 404
    elif context["problem"]:
        status = 410
    else:
        status = status_code or 200
    return page("places/invite.html", status_code=status, **context)


@post("/join/{code:str}", guards=[requires_resident])
async def join_with_invite(request: Request, code: FromPath[str]) -> Response:
    data = await form_data(request)
    items = data.get("items") or rules.BRING
    try:
        street_id = await service.join_by_invite(acting=current(request).id, code=code, items=items)
    except OnlyCoordinator:  # the page says which street needs another coordinator first
        return await _invite_page(request, code, {"items": items}, status_code=409)
    except (InviteUnusable, NotFound) as exc:
        return page("places/invite.html", status_code=404 if isinstance(exc, NotFound) else 410, code=code,
                    problem=exc.message, invite=None, errors={}, values={}, next="")
    return Redirect(path=f"/streets/{street_id}?joined=1", status_code=303)


web_router = Router(
    path="/",
    route_handlers=[home_form, home_from_location, home_from_address, nearby, my_street, new_street_form,
                    create_street, street_page, move_form, join, looks_at, invite_page, join_with_invite],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class LocationIn(msgspec.Struct):
    """Either {lat, lng} (e.g. from the phone's location) or {address} (a postcode or address).

    When several places match an address, the answer is a 422 listing `choices`; send the
    same address again with `choice` set to the index of the resident's place.
    """

    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    choice: int | None = None


class StreetSuggestionOut(msgspec.Struct):
    id: int
    name: str
    distance_m: int
    members: int
    can_join: bool


class LocationOut(msgspec.Struct):
    street_suggestions: list[StreetSuggestionOut]
    street: StreetRef | None = None


class StreetIn(msgspec.Struct):
    """A new street. Without lat and lng it is centred near the caller's home (never exactly on it)."""

    name: str
    lat: float | None = None
    lng: float | None = None
    radius_m: int = rules.RADIUS_DEFAULT_M
    items: str = rules.BRING


class StreetCreatedOut(msgspec.Struct):
    id: int
    name: str
    radius_m: int


class JoinIn(msgspec.Struct):
    """What happens to the caller's open offers and asks: "bring" (default) or "close"."""

    items: str = rules.BRING


class CoordinatorOut(msgspec.Struct):
    id: int
    display_name: str


class StreetOut(msgspec.Struct):
    id: int
    name: str
    members: int
    radius_m: int
    coordinators: list[CoordinatorOut]
    is_member: bool
    is_coordinator: bool


class LooksAtIn(msgspec.Struct):
    looks_at: str


class LooksAtOut(msgspec.Struct):
    looks_at: str
    visible_street_ids: list[int]


def _suggestions(streets: list[queries.NearbyStreet]) -> list[StreetSuggestionOut]:
    return [StreetSuggestionOut(id=s.id, name=s.name, distance_m=s.distance_m, members=s.members, can_join=s.can_join)
            for s in streets]


async def _street_out(resident_id: int, street_id: int) -> StreetOut:
    summary = await queries.street_summary(street_id)
    own = await _own_home(resident_id)
    is_member = own.street_id == street_id
    visible = await queries.visible_street_ids(resident_id)
    if summary is None or not rules.may_see_street(is_member=is_member, visible_street_ids=visible, street_id=street_id):
        raise NotFound()
    return StreetOut(
        id=summary.id,
        name=summary.name,
        members=summary.members,
        radius_m=summary.radius_m,
        coordinators=[CoordinatorOut(id=c.id, display_name=c.display_name) for c in summary.coordinators],
        is_member=is_member,
        is_coordinator=await queries.is_coordinator(resident_id, street_id),
    )


@put("/me/location", guards=[requires_resident], summary="Set where the caller lives (private)")
async def api_set_location(request: Request, data: JSONBody[LocationIn]) -> LocationOut | Response:
    me = current(request)
    if data.lat is not None or data.lng is not None:
        lat = rules.parse_coordinate(data.lat, limit=90)
        lng = rules.parse_coordinate(data.lng, limit=180)
        errors = {k: m for k, m in {"lat": None if lat is not None else "Give a latitude between -90 and 90.",
                                     "lng": None if lng is not None else "Give a longitude between -180 and 180."
                                     }.items() if m}
        if errors:
            raise Invalid(errors)
        await service.set_home(acting=me.id, lat=lat, lng=lng)
    else:
        await _count_lookup(me.id)
        try:
            await service.set_home_from_address(acting=me.id, geocoder=app_geocoder(settings_of(request)),
                                                address=data.address or "", choice=data.choice)
        except AmbiguousAddress as exc:
            response = json_error(422, exc.message, [{"field": "address", "message": exc.message}])
            response.content["choices"] = _choices(exc)
            return response
        except AddressProblem as exc:
            response = json_error(422, exc.message, [{"field": "address", "message": f"{exc.message} {exc.hint}"}])
            response.content.update(hint=exc.hint, kind=exc.kind)
            return response
    street = await queries.home_street(me.id)
    return LocationOut(
        street_suggestions=_suggestions(await queries.streets_near_home(me.id) or []),
        street=StreetRef(id=street.id, name=street.name) if street else None,
    )


@put("/me/looks-at", guards=[requires_resident], summary="How far the caller looks: their street, or nearby too")
async def api_set_looks_at(request: Request, data: JSONBody[LooksAtIn]) -> LooksAtOut:
    me = current(request)
    await service.set_looks_at(acting=me.id, looks_at=data.looks_at)
    return LooksAtOut(looks_at=data.looks_at, visible_street_ids=await queries.visible_street_ids(me.id))


@get("/streets/nearby", guards=[requires_resident], summary="Streets near the caller's home, nearest first")
async def api_nearby(request: Request) -> list[StreetSuggestionOut]:
    streets = await queries.streets_near_home(current(request).id)
    if streets is None:
        raise Conflict("Set where you live first (PUT /api/v1/me/location).")
    return _suggestions(streets)


@post("/streets", guards=[requires_resident], status_code=201,
      summary="Start a street: the caller joins it and becomes its coordinator")
async def api_create_street(request: Request, data: JSONBody[StreetIn]) -> StreetCreatedOut:
    me = current(request)
    centre = None
    if data.lat is not None or data.lng is not None:
        lat = rules.parse_coordinate(data.lat, limit=90)
        lng = rules.parse_coordinate(data.lng, limit=180)
        if lat is None or lng is None:
            raise Invalid({"lat" if lat is None else "lng": "Give both lat and lng, within range, or neither."})
        centre = (lat, lng)
    street_id = await service.create_street(acting=me.id, name=data.name, radius_m=data.radius_m, centre=centre,
                                            secret=settings_of(request).secret_key, items=data.items)
    summary = await queries.street_summary(street_id)
    assert summary is not None
    return StreetCreatedOut(id=summary.id, name=summary.name, radius_m=summary.radius_m)


@post("/streets/{street_id:int}/join", guards=[requires_resident], status_code=200,
      summary="Make this street the caller's home street")
async def api_join(request: Request, street_id: FromPath[int], data: JSONBody[JoinIn | None] = None) -> StreetOut:
    me = current(request)
    await service.join_street(acting=me.id, street_id=street_id, items=(data.items if data else rules.BRING))
    return await _street_out(me.id, street_id)


@post("/invites/{code:str}/join", guards=[requires_resident], status_code=200,
      summary="Join a street with an invite code")
async def api_join_by_invite(request: Request, code: FromPath[str], data: JSONBody[JoinIn | None] = None) -> StreetOut:
    me = current(request)
    street_id = await service.join_by_invite(acting=me.id, code=code, items=(data.items if data else rules.BRING))
    return await _street_out(me.id, street_id)


@get("/streets/{street_id:int}", guards=[requires_resident], summary="A street: name, members, coordinators")
async def api_street(request: Request, street_id: FromPath[int]) -> StreetOut:
    return await _street_out(current(request).id, street_id)


api_handlers = [api_set_location, api_set_looks_at, api_nearby, api_create_street, api_join, api_join_by_invite,
                api_street]
