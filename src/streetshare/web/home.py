"""The home page, the web app manifest, and the demo-only outbox."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from streetshare import mail
from streetshare.feed import routes as feed
from streetshare.feed.queries import Cursor, Filters, feed_viewer
from streetshare.places import queries as places
from streetshare.web.pages import page, settings_of


@get("/", name="home", include_in_schema=False)
async def home(request: Request, type: FromQuery[str | None] = None, kind: FromQuery[str | None] = None,
               category: FromQuery[str | None] = None, q: FromQuery[str | None] = None,
               cursor: FromQuery[str | None] = None) -> Template | Redirect:
    if request.user is None:
        return page("home.html", street=None)
    filters, after = Filters.parse(type=type, kind=kind, category=category, q=q), Cursor.decode(cursor)
    viewer = await feed_viewer(request.user.id, filters, after)  # their street, scope and blocks, in one query
    if viewer.street is None:  # nothing to show yet: find their street first
        return Redirect(path="/streets/nearby" if await places.has_home(request.user.id) else "/places/home",
                        status_code=303)
    # the feed, its filters, search and "More"
    return page("home.html", street=viewer.street, **await feed.feed_context(viewer, filters, after))


@get("/manifest.webmanifest", media_type="application/manifest+json", include_in_schema=False)
async def manifest() -> dict:
    from streetshare.web.templating import static_url

    return {
        "name": "Streetshare",
        "short_name": "Streetshare",
        "description": "Lend, give, ask and help on your street.",
        "start_url": "/",
        "display": "standalone",
        "background_color": "#fbf8f3",
        "theme_color": "#1f6f5c",
        "icons": [
            {"src": static_url("icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": static_url("icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }


@get("/demo/outbox", include_in_schema=False)
async def outbox(request: Request) -> Template:
    settings = settings_of(request)
    if not settings.demo or settings.smtp_host:
        raise NotFoundException()
    return page("demo/outbox.html", items=mail.list_outbox(settings.outbox_dir))


@get("/demo/outbox/{item_id:str}", include_in_schema=False)
async def outbox_item(request: Request, item_id: FromPath[str]) -> Template:
    settings = settings_of(request)
    if not settings.demo or settings.smtp_host:
        raise NotFoundException()
    try:
        item = mail.read_outbox(settings.outbox_dir, item_id)
    except mail.OutboxItemNotFound:
        raise NotFoundException() from None
    return page("demo/outbox_item.html", item=item)


handlers = [home, manifest, outbox, outbox_item]
