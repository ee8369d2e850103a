"""Moderation pages and API: a resident's report form; the street's report queue, hiding, removing,
and the moderation log for its coordinators. Thin: parse, call, respond."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare import ratelimit
from streetshare.coordinators.queries import street_for_coordinator
from streetshare.errors import Invalid, NotFound, TooManyAttempts
from streetshare.moderation import queries, rules, service
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, keep, safe_next
from streetshare.web.pages import form_page, page


# Reports are for real worries: a resident may send this many an hour.
REPORT_LIMIT = dict(limit=20, window_s=3600)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


# ---------------------------------------------------------------- a resident reports


@get("/report", guards=[requires_resident])
async def report_form(request: Request, kind: FromQuery[str] = "", id: FromQuery[int] = 0,
                      next: FromQuery[str | None] = None) -> Template:
    target = await queries.report_target(kind, id, current(request).id)
    if target is None:
        raise NotFound()
    return page("moderation/report.html", target=target, errors={}, values={}, next=safe_next(next, ""),
                kind_words=rules.KIND_WORDS)


@post("/report", guards=[requires_resident])
async def report_submit(request: Request) -> Response:
    data = await form_data(request)
    kind, target_id = data.get("kind", ""), _int(data.get("id"))
    me = current(request)
    target = await queries.report_target(kind, target_id or 0, me.id)
    if target is None:
        raise NotFound()
    try:
        await ratelimit.hit(f"report:{me.id}", **REPORT_LIMIT)
        await service.report(acting=me.id, target_kind=kind, target_id=target.id, reason=data.get("reason", ""))
    except Invalid as exc:
        return form_page("moderation/report.html", errors=exc.errors, values=keep(data, "reason"), target=target,
                         next=safe_next(data.get("next"), ""), kind_words=rules.KIND_WORDS)
    except TooManyAttempts as exc:
        return form_page("moderation/report.html", errors={"form": exc.message}, values=keep(data, "reason"),
                         target=target, next=safe_next(data.get("next"), ""), kind_words=rules.KIND_WORDS,
                         status_code=429)
    return page("moderation/reported.html", target=target, next=safe_next(data.get("next"), "/"),
                kind_words=rules.KIND_WORDS)


# ---------------------------------------------------------------- the street's queue


async def _queue_page(request: Request, street_id: int, status: str | None, cursor: str | None, *,
                      errors: dict | None = None, values: dict | None = None) -> Template:
    me = current(request)
    street = await street_for_coordinator(street_id, me.id)
    chosen = rules.parse_status(status) if status != "all" else None
    found = await queries.reports(street_id, status=chosen, cursor=cursor)
    return page("moderation/queue.html", street=street, reports=found.items, next_cursor=found.next,
                status=chosen or "all", counts=await queries.report_counts(street_id), labels=rules.STATUS_LABELS,
                kind_names=rules.KIND_NAMES, hideable=rules.HIDEABLE, me_id=me.id, errors=errors or {},
                values=values or {}, status_code=422 if errors else 200)


@get("/streets/{street_id:int}/reports", guards=[requires_resident])
async def queue(request: Request, street_id: FromPath[int], status: FromQuery[str | None] = None,
                cursor: FromQuery[str | None] = None) -> Template:
    return await _queue_page(request, street_id, status, cursor)


@post("/streets/{street_id:int}/reports/{report_id:int}/dismiss", guards=[requires_resident])
async def dismiss(request: Request, street_id: FromPath[int], report_id: FromPath[int]) -> Redirect:
    data = await form_data(request)
    await service.dismiss_report(street_id, report_id, acting=current(request).id, note=data.get("note", ""))
    return Redirect(path=f"/streets/{street_id}/reports", status_code=303)


@post("/streets/{street_id:int}/reports/{report_id:int}/acted-on", guards=[requires_resident])
async def acted_on(request: Request, street_id: FromPath[int], report_id: FromPath[int]) -> Response:
    data = await form_data(request)
    try:
        await service.mark_report_acted_on(street_id, report_id, acting=current(request).id, note=data.get("note", ""))
    except Invalid as exc:
        return await _queue_page(request, street_id, "open", None, errors={report_id: exc.errors["note"]},
                                 values={report_id: data.get("note", "")})
    return Redirect(path=f"/streets/{street_id}/reports", status_code=303)


# ---------------------------------------------------------------- hiding and removing


@get("/streets/{street_id:int}/hide", guards=[requires_resident])
async def hide_form(request: Request, street_id: FromPath[int], kind: FromQuery[str] = "",
                    id: FromQuery[int] = 0) -> Template:
    street = await street_for_coordinator(street_id, current(request).id)
    target = await queries.street_target(street_id, kind, id)
    if target is None:
        raise NotFound()
    return page("moderation/hide.html", street=street, target=target, errors={}, values={})


@post("/streets/{street_id:int}/hide", guards=[requires_resident])
async def hide(request: Request, street_id: FromPath[int]) -> Response:
    me = current(request)
    data = await form_data(request)
    kind, target_id = data.get("kind", ""), _int(data.get("id")) or 0
    try:
        await service.hide(street_id, kind, target_id, acting=me.id, reason=data.get("reason", ""))
    except Invalid as exc:
        street = await street_for_coordinator(street_id, me.id)
        target = await queries.street_target(street_id, kind, target_id)
        if target is None:
            raise NotFound() from None
        return form_page("moderation/hide.html", errors=exc.errors, values=keep(data, "reason"), street=street,
                         target=target)
    return Redirect(path=f"/streets/{street_id}/reports?status=acted_on", status_code=303)


@get("/streets/{street_id:int}/members/{resident_id:int}/remove", guards=[requires_resident])
async def remove_form(request: Request, street_id: FromPath[int], resident_id: FromPath[int]) -> Template:
    street = await street_for_coordinator(street_id, current(request).id)
    target = await queries.street_member(street_id, resident_id)
    if target is None:
        raise NotFound()
    return page("moderation/remove.html", street=street, target=target, errors={}, values={})


@post("/streets/{street_id:int}/members/{resident_id:int}/remove", guards=[requires_resident])
async def remove(request: Request, street_id: FromPath[int], resident_id: FromPath[int]) -> Response:
    me = current(request)
    data = await form_data(request)
    try:
        await service.remove_resident(street_id, resident_id, acting=me.id, reason=data.get("reason", ""))
    except Invalid as exc:
        street = await street_for_coordinator(street_id, me.id)
        target = await queries.street_member(street_id, resident_id)
        if target is None:
            raise NotFound() from None
        return form_page("moderation/remove.html", errors=exc.errors, values=keep(data, "reason"), street=street,
                         target=target)
    return Redirect(path=f"/streets/{street_id}/members?done=remove_resident", status_code=303)


@get("/streets/{street_id:int}/moderation-log", guards=[requires_resident])
async def moderation_log(request: Request, street_id: FromPath[int], cursor: FromQuery[str | None] = None) -> Template:
    street = await street_for_coordinator(street_id, current(request).id)
    rows, next_cursor = await queries.moderation_log(street_id, cursor=cursor)
    return page("moderation/log.html", street=street, rows=rows, next_cursor=next_cursor,
                action_labels=rules.ACTION_LABELS)


web_router = Router(
    path="/",
    route_handlers=[report_form, report_submit, queue, dismiss, acted_on, hide_form, hide, remove_form, remove,
                    moderation_log],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class ReportIn(msgspec.Struct):
    target_kind: str
    target_id: int
    reason: str


class ReportCreated(msgspec.Struct):
    id: int
    status: str = "open"


class ReportOut(msgspec.Struct):
    id: int
    created_at: datetime
    reporter: str | None
    target_kind: str
    target_id: int
    target_label: str | None
    owner: dict | None
    reason: str
    status: str
    handled_by: str | None
    handled_at: datetime | None
    note: str


class ReportsOut(msgspec.Struct):
    items: list[ReportOut]
    next: str | None


@post("/reports", guards=[requires_resident], status_code=201,
      summary="Report an offer, ask, thanks note, resident, or a problem with your exchange")
async def api_report(request: Request, data: JSONBody[ReportIn]) -> ReportCreated:
    await ratelimit.hit(f"report:{current(request).id}", **REPORT_LIMIT)
    report_id = await service.report(acting=current(request).id, target_kind=data.target_kind,
                                     target_id=data.target_id, reason=data.reason)
    return ReportCreated(id=report_id)


@get("/streets/{street_id:int}/reports", guards=[requires_resident], summary="The street's moderation queue")
async def api_reports(request: Request, street_id: FromPath[int], status: FromQuery[str | None] = None,
                      cursor: FromQuery[str | None] = None) -> ReportsOut:
    await street_for_coordinator(street_id, current(request).id)
    chosen = None if status == "all" else rules.parse_status(status)
    found = await queries.reports(street_id, status=chosen, cursor=cursor)
    return ReportsOut(
        items=[
            ReportOut(
                id=r.id, created_at=r.created_at, reporter=r.reporter, target_kind=r.target_kind,
                target_id=r.target_id, target_label=r.target_label,
                owner={"id": r.owner_id, "display_name": r.owner_name} if r.owner_id else None,
                reason=r.reason, status=r.status, handled_by=r.handled_by, handled_at=r.handled_at, note=r.note,
            )
            for r in found.items
        ],
        next=found.next,
    )


api_handlers = [api_report, api_reports]
