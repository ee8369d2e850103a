"""The feed on the home page, "My offers and asks", and the feed API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Router, get
from litestar.params import FromQuery
from litestar.response import Template

from streetshare.asks.queries import asks_of
from streetshare.errors import Invalid
from streetshare.feed.queries import Cursor, FeedItem, FeedPage, FeedViewer, Filters, SearchCursor, feed_page
from streetshare.offers.queries import offers_of
from streetshare.offers.rules import CATEGORIES
from streetshare.places.privacy import describe_distance
from streetshare.web.auth import current, requires_resident
from streetshare.web.pages import page
from streetshare.web.refs import PersonRef, StreetRef

TYPE_LABELS = {"offer": "Offers", "ask": "Asks"}
# The kind filter shows both sides: lend offers with borrow asks, and so on.
KIND_FILTERS = {"lend": "Lending and borrowing", "give": "Giving and receiving", "skill": "Skills",
                "time": "Time and favours"}


def distance_text(item: FeedItem, viewer_id: int) -> str:
    if item.owner_id == viewer_id:
        return "yours"
    return describe_distance(item.distance_m) if item.distance_m is not None else ""


async def feed_context(viewer: FeedViewer, filters: Filters, cursor: Cursor | SearchCursor | None) -> dict[str, Any]:
    """What templates/feed/feed.html needs (the home page of a resident with a street)."""
    feed = await feed_page(viewer.id, filters, cursor, viewer=viewer)
    more = f"/?{urlencode({**filters.query_items(), 'cursor': feed.next_cursor})}" if feed.next_cursor else None
    return {
        "feed": feed,
        "filters": filters,
        "more_url": more,
        "later_page": cursor is not None,
        "distances": {(i.type, i.id): distance_text(i, viewer.id) for i in feed.items},
        "type_labels": TYPE_LABELS,
        "kinds": KIND_FILTERS,
        "categories": CATEGORIES,
    }


@get("/mine", guards=[requires_resident], name="mine")
async def mine(request: Request) -> Template:
    me = current(request)
    return page("feed/mine.html", offers=await offers_of(me.id), asks=await asks_of(me.id))


web_router = Router(path="/", route_handlers=[mine], include_in_schema=False)

# ---------------------------------------------------------------- JSON API


class FeedItemOut(msgspec.Struct):
    type: str
    id: int
    title: str
    kind: str | None
    help_kind: str | None
    category: str
    category_label: str
    distance_m: int | None
    owner: PersonRef
    street: StreetRef
    created_at: datetime
    thumb_url: str | None
    url: str
    slots: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    loan_days: int | None = None
    needed_by: date | None = None


class FeedOut(msgspec.Struct):
    items: list[FeedItemOut]
    next: str | None
    has_street: bool


def feed_out(feed: FeedPage, viewer_id: int) -> FeedOut:
    return FeedOut(
        items=[
            FeedItemOut(
                type=i.type, id=i.id, title=i.title, kind=i.kind, help_kind=i.help_kind, category=i.category,
                category_label=i.category_label, distance_m=None if i.owner_id == viewer_id else i.distance_m,
                owner=PersonRef(i.owner_id, i.owner_name), street=StreetRef(i.street_id, i.street_name),
                created_at=i.created_at, thumb_url=i.thumb_url, url=i.url, slots=i.slots, starts_at=i.starts_at,
                ends_at=i.ends_at, loan_days=i.loan_days, needed_by=i.needed_by,  # type: ignore[arg-type]
            )
            for i in feed.items
        ],
        next=feed.next_cursor,
        has_street=feed.has_street,
    )


async def _api_feed(request: Request, *, type: str | None, kind: str | None, category: str | None,
                    q: str | None, cursor: str | None) -> FeedOut:
    me = current(request)
    after = Cursor.decode(cursor)
    if cursor and after is None:
        raise Invalid({"cursor": "That cursor isn't one of ours: use the `next` value of the previous page."})
    feed = await feed_page(me.id, Filters.parse(type=type, kind=kind, category=category, q=q), after)
    return feed_out(feed, me.id)


@get("/feed", guards=[requires_resident], summary="Newest offers and asks in your scope, with filters and search")
async def api_feed(request: Request, type: FromQuery[str | None] = None, kind: FromQuery[str | None] = None,
                   category: FromQuery[str | None] = None, q: FromQuery[str | None] = None,
                   cursor: FromQuery[str | None] = None) -> FeedOut:
    """`type`: offer or ask. `kind`: lend/give/skill/time (or an ask's borrow/receive/skill/time: each
    shows its counterpart too). `q`: words (English stemming), or a title with a typo, swapped letters or
    words split or run together; a search lists the most relevant first (title matches, then your street
    and nearer neighbours, your own posts last). `cursor`: `next`."""
    return await _api_feed(request, type=type, kind=kind, category=category, q=q, cursor=cursor)


@get("/offers", guards=[requires_resident], summary="Offers in your scope (the feed, offers only)")
async def api_offers(request: Request, kind: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                     q: FromQuery[str | None] = None, cursor: FromQuery[str | None] = None) -> FeedOut:
    return await _api_feed(request, type="offer", kind=kind, category=category, q=q, cursor=cursor)


@get("/asks", guards=[requires_resident], summary="Open asks in your scope (the feed, asks only)")
async def api_asks(request: Request, kind: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                   q: FromQuery[str | None] = None, cursor: FromQuery[str | None] = None) -> FeedOut:
    return await _api_feed(request, type="ask", kind=kind, category=category, q=q, cursor=cursor)


api_handlers = [api_feed, api_offers, api_asks]
