"""Blocking another resident (product.md: "Residents can block another resident"): from their
profile, and a list of the people one blocked, to unblock them. Web pages and the API. Thin."""

from __future__ import annotations

import msgspec
from litestar import Request, Router, delete, get, post, put
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from streetshare.places import queries, service
from streetshare.web.auth import current, requires_resident
from streetshare.web.pages import page


@post("/residents/{resident_id:int}/block", guards=[requires_resident])
async def block(request: Request, resident_id: FromPath[int]) -> Redirect:
    await service.block(acting=current(request).id, resident_id=resident_id)
    # Their profile is hidden from now on: the list is where the block shows, and can be lifted.
    return Redirect(path="/account/blocked?blocked=1", status_code=303)


@post("/residents/{resident_id:int}/unblock", guards=[requires_resident])
async def unblock(request: Request, resident_id: FromPath[int]) -> Redirect:
    await service.unblock(acting=current(request).id, resident_id=resident_id)
    return Redirect(path="/account/blocked?unblocked=1", status_code=303)


@get("/account/blocked", guards=[requires_resident])
async def blocked_page(request: Request, blocked: FromQuery[str | None] = None,
                       unblocked: FromQuery[str | None] = None) -> Template:
    return page("places/blocked.html", people=await queries.blocked_by(current(request).id),
                just_blocked=bool(blocked), just_unblocked=bool(unblocked))


web_router = Router(path="/", route_handlers=[block, unblock, blocked_page], include_in_schema=False)


class BlockedOut(msgspec.Struct):
    id: int
    display_name: str
    since: str


@get("/blocks", guards=[requires_resident], summary="The residents you blocked")
async def api_blocks(request: Request) -> list[BlockedOut]:
    return [BlockedOut(b.resident_id, b.display_name, b.since.isoformat())
            for b in await queries.blocked_by(current(request).id)]


@put("/blocks/{resident_id:int}", guards=[requires_resident], status_code=204,
     summary="Block a resident you can see: neither of you sees the other's offers, asks or profile")
async def api_block(request: Request, resident_id: FromPath[int]) -> None:
    await service.block(acting=current(request).id, resident_id=resident_id)


@delete("/blocks/{resident_id:int}", guards=[requires_resident], status_code=204, summary="Lift a block you made")
async def api_unblock(request: Request, resident_id: FromPath[int]) -> None:
    await service.unblock(acting=current(request).id, resident_id=resident_id)


api_handlers = [api_blocks, api_block, api_unblock]
