"""Ask pages (new, detail, edit, renew, status, photos) and the asks API. Thin: parse, call, respond."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare import clock
from streetshare.asks import queries, rules, service
from streetshare.errors import Invalid, NotFound
from streetshare.offers.routes import PhotoOut, PhotoUpload, photo_out
from streetshare.offers.rules import CATEGORIES
from streetshare.photos.routes import photo_was_chosen, store_of, uploaded_photo
from streetshare.photos.service import prepare
from streetshare.places import queries as places
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, patched_fields
from streetshare.web.pages import form_page, page
from streetshare.web.refs import PersonRef, StreetRef

FORM_FIELDS = ("title", "description", "category", "help_kind", "needed_by")
STATUS_ACTIONS = {"renew": service.renew_ask, "fulfil": service.fulfil_ask, "withdraw": service.withdraw_ask}


def choices() -> dict[str, Any]:
    return {"categories": CATEGORIES, "help_kinds": rules.HELP_KINDS}


def fields_from(data: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {name: data.get(name, "") for name in FORM_FIELDS}
    fields["neighbours_may_see"] = bool(data.get("neighbours_may_see"))
    return fields


def form_values(ask: rules.AskFields | None = None, *, help_kind: str | None = None) -> dict[str, str]:
    if ask is None:
        return {"help_kind": help_kind if help_kind in rules.HELP_KINDS else "", "neighbours_may_see": "1"}
    return {"title": ask.title, "description": ask.description, "category": ask.category,
            # A guessed kind is not ticked, so saving the form keeps it a guess (matching weighs it less).
            "help_kind": ask.help_kind if ask.help_kind_stated else "", "needed_by": ask.needed_by.isoformat() if ask.needed_by else "",
            "neighbours_may_see": "1" if ask.neighbours_may_see else ""}


def kept(data: dict[str, str]) -> dict[str, str]:
    values = {name: data.get(name, "") for name in FORM_FIELDS}
    values["neighbours_may_see"] = "1" if data.get("neighbours_may_see") else ""
    return values


async def visible_ask(ask_id: int, viewer: int) -> queries.AskView:
    ask = await queries.ask_for_viewer(ask_id, viewer)
    if ask is None:
        raise NotFound("We couldn't find that ask. It may have been withdrawn, or it isn't shared with your street.")
    return ask


def today_iso() -> str:
    return rules.local_today(clock.now()).isoformat()


# ---------------------------------------------------------------- web pages


@get("/asks/new", guards=[requires_resident])
async def new_ask(request: Request, help_kind: FromQuery[str | None] = None) -> Template:
    street = await places.home_street(current(request).id)
    return page("asks/form.html", errors={}, values=form_values(help_kind=help_kind), street=street, ask=None,
                today=today_iso(), **choices())


@post("/asks/new", guards=[requires_resident])
async def create_ask(request: Request) -> Response:
    me = current(request)
    data = await form_data(request)
    fields = fields_from(data)
    try:
        photo = await uploaded_photo(request)
        ask_id = await service.create_ask(acting=me.id, fields=fields, photo=photo, store=store_of(request))
    except Invalid as exc:
        errors = dict(exc.errors)
        if "photo" in errors:  # tell them everything at once, not one problem per attempt
            _, field_errors = rules.check_ask(fields, now=clock.now())
            errors = {**field_errors, **errors}
        elif await photo_was_chosen(request):
            errors["photo"] = "Please choose your photo again (browsers forget it when a form comes back)."
        return form_page("asks/form.html", errors=errors, values=kept(data), ask=None, today=today_iso(),
                         street=await places.home_street(me.id), **choices())
    return Redirect(path=f"/asks/{ask_id}?created=1", status_code=303)


async def detail_context(ask: queries.AskView) -> dict[str, Any]:
    """What the ask page shows besides the ask: the viewer's offer of help, and matching offers."""
    from streetshare.exchanges.queries import my_open_help
    from streetshare.matching.routes import ask_matches_context

    return {"my_help": await my_open_help(ask.id, ask.viewer_id),
            **await ask_matches_context(ask.id, ask.viewer_id)}


@get("/asks/{ask_id:int}", guards=[requires_resident])
async def ask_page(request: Request, ask_id: FromPath[int], created: FromQuery[str | None] = None) -> Template:
    ask = await visible_ask(ask_id, current(request).id)
    return page("asks/detail.html", ask=ask, errors={}, created=bool(created), **await detail_context(ask))


@get("/asks/{ask_id:int}/edit", guards=[requires_resident])
async def edit_ask_form(request: Request, ask_id: FromPath[int]) -> Template:
    ask = await visible_ask(ask_id, current(request).id)
    if not ask.can_edit:
        raise NotFound("Only the person who asked can edit this, while it is open or expired.")
    return page("asks/form.html", errors={}, values=form_values(ask.fields()), ask=ask, street=None,
                today=today_iso(), **choices())


@post("/asks/{ask_id:int}/edit", guards=[requires_resident])
async def edit_ask(request: Request, ask_id: FromPath[int]) -> Response:
    me = current(request)
    data = await form_data(request)
    try:
        await service.update_ask(ask_id, acting=me.id, changes=fields_from(data))
    except Invalid as exc:
        ask = await visible_ask(ask_id, me.id)
        return form_page("asks/form.html", errors=exc.errors, values=kept(data), ask=ask, street=None,
                         today=today_iso(), **choices())
    return Redirect(path=f"/asks/{ask_id}", status_code=303)


@post([f"/asks/{{ask_id:int}}/{action}" for action in STATUS_ACTIONS], guards=[requires_resident])
async def ask_status(request: Request, ask_id: FromPath[int]) -> Redirect:
    """Renew, mark fulfilled, or withdraw (the last path segment says which)."""
    action = request.url.path.rstrip("/").rsplit("/", 1)[1]
    await STATUS_ACTIONS[action](ask_id, acting=current(request).id)
    return Redirect(path=f"/asks/{ask_id}" + ("?renewed=1" if action == "renew" else ""), status_code=303)


@post("/asks/{ask_id:int}/photos", guards=[requires_resident])
async def add_ask_photo(request: Request, ask_id: FromPath[int]) -> Response:
    me = current(request)
    try:
        photo = await uploaded_photo(request)
        if photo is None:
            raise Invalid({"photo": "Please choose a photo to add."})
        await service.add_photo(ask_id, acting=me.id, photo=photo, store=store_of(request))
    except Invalid as exc:
        ask = await visible_ask(ask_id, me.id)
        return page("asks/detail.html", ask=ask, errors=exc.errors, created=False, status_code=422,
                    **await detail_context(ask))
    return Redirect(path=f"/asks/{ask_id}#photos", status_code=303)


@post("/asks/{ask_id:int}/photos/{photo_id:int}/remove", guards=[requires_resident])
async def remove_ask_photo(request: Request, ask_id: FromPath[int], photo_id: FromPath[int]) -> Redirect:
    await service.remove_photo(ask_id, photo_id, acting=current(request).id, store=store_of(request))
    return Redirect(path=f"/asks/{ask_id}#photos", status_code=303)


web_router = Router(
    path="/",
    route_handlers=[new_ask, create_ask, ask_page, edit_ask_form, edit_ask, add_ask_photo, remove_ask_photo,
                    ask_status],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class AskIn(msgspec.Struct):
    title: str
    category: str
    description: str = ""
    help_kind: str | None = None  # left out: guessed from the words, and matching weighs every kind
    needed_by: date | None = None
    neighbours_may_see: bool = True


class AskPatch(msgspec.Struct):
    """Only the fields given change; `status` withdraws (withdrawn) or closes it as met (fulfilled)."""

    status: str | None = None
    title: str | None = None
    category: str | None = None
    description: str | None = None
    help_kind: str | None = None
    needed_by: date | None = None
    neighbours_may_see: bool | None = None


class AskOut(msgspec.Struct):
    id: int
    title: str
    description: str
    category: str
    category_label: str
    help_kind: str
    status: str
    needed_by: date | None
    expires_at: datetime
    neighbours_may_see: bool
    created_at: datetime
    updated_at: datetime
    owner: PersonRef
    street: StreetRef
    distance_m: int | None
    photos: list[PhotoOut]
    url: str


class OwnAskOut(msgspec.Struct):
    id: int
    title: str
    category: str
    help_kind: str
    status: str
    needed_by: date | None
    expires_at: datetime
    created_at: datetime
    thumb_url: str | None
    url: str


def ask_out(ask: queries.AskView) -> AskOut:
    return AskOut(
        id=ask.id, title=ask.title, description=ask.description, category=ask.category,
        category_label=ask.category_label, help_kind=ask.help_kind, status=ask.status, needed_by=ask.needed_by,
        expires_at=ask.expires_at, neighbours_may_see=ask.neighbours_may_see, created_at=ask.created_at,
        updated_at=ask.updated_at, owner=PersonRef(ask.owner_id, ask.owner_name),
        street=StreetRef(ask.street_id, ask.street_name), distance_m=None if ask.is_owner else ask.distance_m,
        photos=[photo_out(p) for p in ask.photos], url=f"/asks/{ask.id}",
    )


PATCH_STATUS = {"withdrawn": "withdraw", "fulfilled": "fulfil"}


@post("/asks", guards=[requires_resident], status_code=201, summary="Ask your street for something")
async def api_create_ask(request: Request, data: JSONBody[AskIn]) -> AskOut:
    me = current(request)
    ask_id = await service.create_ask(acting=me.id, fields=msgspec.structs.asdict(data))
    return ask_out(await visible_ask(ask_id, me.id))


@get("/asks/{ask_id:int}", guards=[requires_resident], summary="One ask (404 outside your scope)")
async def api_ask(request: Request, ask_id: FromPath[int]) -> AskOut:
    return ask_out(await visible_ask(ask_id, current(request).id))


@patch("/asks/{ask_id:int}", guards=[requires_resident], summary="Change your ask, or withdraw it or mark it fulfilled")
async def api_update_ask(request: Request, ask_id: FromPath[int], data: JSONBody[AskPatch]) -> AskOut:
    me = current(request)
    given = await patched_fields(request, data)
    asked_status = "status" in given
    status = given.pop("status", None)
    if asked_status and status not in PATCH_STATUS:
        raise Invalid({"status": "status must be withdrawn or fulfilled."})
    if given:
        await service.update_ask(ask_id, acting=me.id, changes=given)
    if status:
        await service.change_status(ask_id, PATCH_STATUS[status], acting=me.id)
    return ask_out(await visible_ask(ask_id, me.id))


@post("/asks/{ask_id:int}/renew", guards=[requires_resident], status_code=200,
      summary="Renew your ask for 30 more days (an expired ask opens again)")
async def api_renew_ask(request: Request, ask_id: FromPath[int]) -> AskOut:
    me = current(request)
    await service.renew_ask(ask_id, acting=me.id)
    return ask_out(await visible_ask(ask_id, me.id))


@post("/asks/{ask_id:int}/photos", guards=[requires_resident], status_code=201,
      summary="Add a photo to your ask (multipart field `photo`; JPEG, PNG or WebP, up to 10 MB)")
async def api_add_ask_photo(request: Request, ask_id: FromPath[int],
                            data: Annotated[PhotoUpload, Body(media_type=RequestEncodingType.MULTI_PART)]) -> PhotoOut:
    me = current(request)
    photo = await prepare(await data.photo.read())
    photo_id = await service.add_photo(ask_id, acting=me.id, photo=photo, store=store_of(request))
    ask = await visible_ask(ask_id, me.id)
    return photo_out(next(p for p in ask.photos if p.id == photo_id))


@delete("/asks/{ask_id:int}/photos/{photo_id:int}", guards=[requires_resident], status_code=204,
        summary="Remove a photo from your ask")
async def api_remove_ask_photo(request: Request, ask_id: FromPath[int], photo_id: FromPath[int]) -> None:
    await service.remove_photo(ask_id, photo_id, acting=current(request).id, store=store_of(request))


@get("/me/asks", guards=[requires_resident], summary="Your own asks, open ones first")
async def api_my_asks(request: Request) -> list[OwnAskOut]:
    return [OwnAskOut(id=a.id, title=a.title, category=a.category, help_kind=a.help_kind, status=a.status,
                      needed_by=a.needed_by, expires_at=a.expires_at, created_at=a.created_at,
                      thumb_url=a.thumb_url, url=a.url)
            for a in await queries.asks_of(current(request).id)]


api_handlers = [api_create_ask, api_ask, api_update_ask, api_renew_ask, api_add_ask_photo, api_remove_ask_photo,
                api_my_asks]
