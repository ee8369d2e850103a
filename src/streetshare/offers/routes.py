"""Offer pages (new, detail, edit, status, photos) and the offers API. Thin: parse, call, respond."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare import clock
from streetshare.errors import Invalid, NotFound
from streetshare.offers import queries, rules, service
from streetshare.photos.routes import photo_was_chosen, store_of, uploaded_photo
from streetshare.photos.service import prepare
from streetshare.places import queries as places
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, patched_fields
from streetshare.web.pages import form_page, page
from streetshare.web.refs import PersonRef, StreetRef

FORM_FIELDS = ("kind", "title", "description", "category", "loan_days", "slots", "starts_at", "ends_at")
STATUS_ACTIONS = {"pause": service.pause_offer, "resume": service.resume_offer, "withdraw": service.withdraw_offer}


def choices() -> dict[str, Any]:
    return {"categories": rules.CATEGORIES, "kinds": rules.KINDS, "kind_hints": rules.KIND_HINTS,
            "max_slots": rules.MAX_SLOTS, "max_loan_days": rules.MAX_LOAN_DAYS}


def fields_from(data: dict[str, str]) -> dict[str, Any]:
    """What a submitted offer form says (an unticked box is absent from the form: it means no)."""
    fields: dict[str, Any] = {name: data.get(name, "") for name in FORM_FIELDS}
    fields["neighbours_may_see"] = bool(data.get("neighbours_may_see"))
    return fields


def form_values(offer: rules.OfferFields | None = None, *, kind: str | None = None) -> dict[str, str]:
    if offer is None:
        return {"kind": kind if kind in rules.KINDS else "lend", "loan_days": str(rules.DEFAULT_LOAN_DAYS),
                "slots": "1", "neighbours_may_see": "1"}
    return {
        "kind": offer.kind, "title": offer.title, "description": offer.description, "category": offer.category,
        "loan_days": str(offer.loan_days or rules.DEFAULT_LOAN_DAYS), "slots": str(offer.slots or 1),
        "starts_at": rules.local_input(offer.starts_at), "ends_at": rules.local_input(offer.ends_at),
        "neighbours_may_see": "1" if offer.neighbours_may_see else "",
    }


def kept(data: dict[str, str]) -> dict[str, str]:
    values = {name: data.get(name, "") for name in FORM_FIELDS}
    values["neighbours_may_see"] = "1" if data.get("neighbours_may_see") else ""
    return values


async def visible_offer(offer_id: int, viewer: int) -> queries.OfferView:
    offer = await queries.offer_for_viewer(offer_id, viewer)
    if offer is None:
        raise NotFound("We couldn't find that offer. It may have been withdrawn, or it isn't shared with your street.")
    return offer


# ---------------------------------------------------------------- web pages


@get("/offers/new", guards=[requires_resident])
async def new_offer(request: Request, kind: FromQuery[str | None] = None) -> Template:
    street = await places.home_street(current(request).id)
    return page("offers/form.html", errors={}, values=form_values(kind=kind), street=street, offer=None, **choices())


@post("/offers/new", guards=[requires_resident])
async def create_offer(request: Request) -> Response:
    me = current(request)
    data = await form_data(request)
    fields = fields_from(data)
    try:
        photo = await uploaded_photo(request)
        offer_id = await service.create_offer(acting=me.id, fields=fields, photo=photo, store=store_of(request))
    except Invalid as exc:
        errors = dict(exc.errors)
        if "photo" in errors:  # tell them everything at once, not one problem per attempt
            _, field_errors = rules.check_offer(fields, now=clock.now())
            errors = {**field_errors, **errors}
        elif await photo_was_chosen(request):
            errors["photo"] = "Please choose your photo again (browsers forget it when a form comes back)."
        return form_page("offers/form.html", errors=errors, values=kept(data), offer=None,
                         street=await places.home_street(me.id), **choices())
    return Redirect(path=f"/offers/{offer_id}?created=1", status_code=303)


async def detail_context(offer: queries.OfferView) -> dict[str, Any]:
    """What the offer page shows besides the offer: the exchange button or requests, and matches."""
    from streetshare.exchanges.queries import offer_panel
    from streetshare.matching.routes import offer_matches_context

    return {"panel": await offer_panel(offer.id, offer.viewer_id),
            **await offer_matches_context(offer.id, offer.viewer_id)}


@get("/offers/{offer_id:int}", guards=[requires_resident])
async def offer_page(request: Request, offer_id: FromPath[int], created: FromQuery[str | None] = None) -> Template:
    offer = await visible_offer(offer_id, current(request).id)
    return page("offers/detail.html", offer=offer, errors={}, created=bool(created), **await detail_context(offer))


@get("/offers/{offer_id:int}/edit", guards=[requires_resident])
async def edit_offer_form(request: Request, offer_id: FromPath[int]) -> Template:
    offer = await visible_offer(offer_id, current(request).id)
    if not offer.can_edit:
        raise NotFound("Only the person who made this offer can edit it, while it is available or paused.")
    return page("offers/form.html", errors={}, values=form_values(offer.fields()), offer=offer, street=None,
                **choices())


@post("/offers/{offer_id:int}/edit", guards=[requires_resident])
async def edit_offer(request: Request, offer_id: FromPath[int]) -> Response:
    me = current(request)
    data = await form_data(request)
    try:
        await service.update_offer(offer_id, acting=me.id, changes=fields_from(data))
    except Invalid as exc:
        offer = await visible_offer(offer_id, me.id)
        return form_page("offers/form.html", errors=exc.errors, values=kept(data), offer=offer, street=None,
                         **choices())
    return Redirect(path=f"/offers/{offer_id}", status_code=303)


@post([f"/offers/{{offer_id:int}}/{action}" for action in STATUS_ACTIONS], guards=[requires_resident])
async def offer_status(request: Request, offer_id: FromPath[int]) -> Redirect:
    """Pause, resume or withdraw (the last path segment says which)."""
    verb = STATUS_ACTIONS[request.url.path.rstrip("/").rsplit("/", 1)[1]]
    await verb(offer_id, acting=current(request).id)
    return Redirect(path=f"/offers/{offer_id}", status_code=303)


@post("/offers/{offer_id:int}/photos", guards=[requires_resident])
async def add_offer_photo(request: Request, offer_id: FromPath[int]) -> Response:
    me = current(request)
    try:
        photo = await uploaded_photo(request)
        if photo is None:
            raise Invalid({"photo": "Please choose a photo to add."})
        await service.add_photo(offer_id, acting=me.id, photo=photo, store=store_of(request))
    except Invalid as exc:
        offer = await visible_offer(offer_id, me.id)
        return page("offers/detail.html", offer=offer, errors=exc.errors, created=False, status_code=422,
                    **await detail_context(offer))
    return Redirect(path=f"/offers/{offer_id}#photos", status_code=303)


@post("/offers/{offer_id:int}/photos/{photo_id:int}/remove", guards=[requires_resident])
async def remove_offer_photo(request: Request, offer_id: FromPath[int], photo_id: FromPath[int]) -> Redirect:
    await service.remove_photo(offer_id, photo_id, acting=current(request).id, store=store_of(request))
    return Redirect(path=f"/offers/{offer_id}#photos", status_code=303)


web_router = Router(
    path="/",
    route_handlers=[new_offer, create_offer, offer_page, edit_offer_form, edit_offer, add_offer_photo,
                    remove_offer_photo, offer_status],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class OfferIn(msgspec.Struct):
    kind: str
    title: str
    category: str
    description: str = ""
    neighbours_may_see: bool = True
    loan_days: int | None = None
    slots: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class OfferPatch(msgspec.Struct):
    """Only the fields given change; `status` pauses (paused), resumes (active) or withdraws (withdrawn)."""

    status: str | None = None
    kind: str | None = None
    title: str | None = None
    category: str | None = None
    description: str | None = None
    neighbours_may_see: bool | None = None
    loan_days: int | None = None
    slots: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class PhotoOut(msgspec.Struct):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int


class OfferOut(msgspec.Struct):
    id: int
    kind: str
    title: str
    description: str
    category: str
    category_label: str
    status: str
    neighbours_may_see: bool
    loan_days: int | None
    slots: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    created_at: datetime
    updated_at: datetime
    owner: PersonRef
    street: StreetRef
    distance_m: int | None
    photos: list[PhotoOut]
    url: str


class OwnOfferOut(msgspec.Struct):
    id: int
    kind: str
    title: str
    category: str
    status: str
    created_at: datetime
    thumb_url: str | None
    url: str


@dataclass
class PhotoUpload:
    photo: UploadFile


def photo_out(photo) -> PhotoOut:
    return PhotoOut(id=photo.id, url=photo.url, thumb_url=photo.thumb_url, width=photo.width, height=photo.height)


def offer_out(offer: queries.OfferView) -> OfferOut:
    return OfferOut(
        id=offer.id, kind=offer.kind, title=offer.title, description=offer.description, category=offer.category,
        category_label=offer.category_label, status=offer.status, neighbours_may_see=offer.neighbours_may_see,
        loan_days=offer.loan_days, slots=offer.slots, starts_at=offer.starts_at, ends_at=offer.ends_at,
        created_at=offer.created_at, updated_at=offer.updated_at,
        owner=PersonRef(offer.owner_id, offer.owner_name), street=StreetRef(offer.street_id, offer.street_name),
        distance_m=None if offer.is_owner else offer.distance_m, photos=[photo_out(p) for p in offer.photos],
        url=f"/offers/{offer.id}",
    )


PATCH_STATUS = {"paused": "pause", "active": "resume", "withdrawn": "withdraw"}


@post("/offers", guards=[requires_resident], status_code=201, summary="Offer something to your street")
async def api_create_offer(request: Request, data: JSONBody[OfferIn]) -> OfferOut:
    me = current(request)
    offer_id = await service.create_offer(acting=me.id, fields=msgspec.structs.asdict(data))
    return offer_out(await visible_offer(offer_id, me.id))


@get("/offers/{offer_id:int}", guards=[requires_resident], summary="One offer (404 outside your scope)")
async def api_offer(request: Request, offer_id: FromPath[int]) -> OfferOut:
    return offer_out(await visible_offer(offer_id, current(request).id))


@patch("/offers/{offer_id:int}", guards=[requires_resident], summary="Change your offer, or pause, resume or withdraw it")
async def api_update_offer(request: Request, offer_id: FromPath[int], data: JSONBody[OfferPatch]) -> OfferOut:
    me = current(request)
    given = await patched_fields(request, data)
    asked_status = "status" in given
    status = given.pop("status", None)
    if asked_status and status not in PATCH_STATUS:
        raise Invalid({"status": "status must be paused, active or withdrawn."})
    if given:
        await service.update_offer(offer_id, acting=me.id, changes=given)
    if status:
        await service.change_status(offer_id, PATCH_STATUS[status], acting=me.id)
    return offer_out(await visible_offer(offer_id, me.id))


@post("/offers/{offer_id:int}/photos", guards=[requires_resident], status_code=201,
      summary="Add a photo to your offer (multipart field `photo`; JPEG, PNG or WebP, up to 10 MB)")
async def api_add_offer_photo(request: Request, offer_id: FromPath[int],
                              data: Annotated[PhotoUpload, Body(media_type=RequestEncodingType.MULTI_PART)]) -> PhotoOut:
    me = current(request)
    photo = await prepare(await data.photo.read())
    photo_id = await service.add_photo(offer_id, acting=me.id, photo=photo, store=store_of(request))
    offer = await visible_offer(offer_id, me.id)
    return photo_out(next(p for p in offer.photos if p.id == photo_id))


@delete("/offers/{offer_id:int}/photos/{photo_id:int}", guards=[requires_resident], status_code=204,
        summary="Remove a photo from your offer")
async def api_remove_offer_photo(request: Request, offer_id: FromPath[int], photo_id: FromPath[int]) -> None:
    await service.remove_photo(offer_id, photo_id, acting=current(request).id, store=store_of(request))


@get("/me/offers", guards=[requires_resident], summary="Your own offers, live ones first")
async def api_my_offers(request: Request) -> list[OwnOfferOut]:
    return [OwnOfferOut(id=o.id, kind=o.kind, title=o.title, category=o.category, status=o.status,
                        created_at=o.created_at, thumb_url=o.thumb_url, url=o.url)
            for o in await queries.offers_of(current(request).id)]


api_handlers = [api_create_offer, api_offer, api_update_offer, api_add_offer_photo, api_remove_offer_photo,
                api_my_offers]
