"""Coordinator pages and API: the dashboard, members, invites, the flyer, the CSV export, and the
resident's own "looking out" settings. Thin: parse, call one query or service function, respond.

Who may see what is decided in queries.street_for_coordinator (coordinator: yes; a member who
isn't: 403; anyone else: 404); the guard turns "signed out" into the sign-in page or a 401.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare import clock
from streetshare.coordinators import charts, export, flyer, queries, rules, service
from streetshare.errors import Invalid
from streetshare.notifications.rules import DIGEST_ZONE
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data, keep
from streetshare.web.pages import form_page, page, settings_of

CATEGORY_WORDS = {
    "tools": "Tools", "garden": "Garden", "kitchen": "Kitchen", "children": "Children", "books_media": "Books and media",
    "sport_outdoors": "Sport and outdoors", "diy_help": "DIY help", "lifts_errands": "Lifts and errands",
    "tech_help": "Tech help", "home": "Home", "clothes": "Clothes", "pets": "Pets", "other": "Other",
}
STATE_WORDS = {
    "requested": "Requested", "accepted": "Accepted", "handed_over": "Handed over", "returned": "Returned",
    "completed": "Completed", "declined": "Declined", "cancelled": "Cancelled", "expired": "Expired",
}
KIND_WORDS = {"lend": "Lend", "give": "Give", "skill": "Skill", "time": "Time"}
EXCHANGE_COLOURS = ("#1f6f5c", "#c2581b")
ITEM_COLOURS = ("#2d5e9e", "#8a5a00")


def _label(day, bucket: str) -> str:
    return day.strftime("%b %y") if bucket == "month" else day.strftime("%-d %b")


def dashboard_context(activity: queries.Activity, base_url: str) -> dict:
    """What the dashboard template shows, figures and charts already worked out."""
    labels = [_label(w.starts, activity.bucket) for w in activity.series]
    period_words = rules.PERIODS[activity.period]
    exchanges = [
        charts.Series("Started", EXCHANGE_COLOURS[0], [w.started for w in activity.series]),
        charts.Series("Completed", EXCHANGE_COLOURS[1], [w.completed for w in activity.series]),
    ]
    items = [
        charts.Series("New offers", ITEM_COLOURS[0], [w.offers for w in activity.series]),
        charts.Series("New asks", ITEM_COLOURS[1], [w.asks for w in activity.series]),
    ]
    per = "week" if activity.bucket == "week" else "month"
    return {
        "street": activity.street,
        "a": activity,
        "periods": rules.PERIODS,
        "period_words": period_words,
        "per": per,
        "labels": labels,
        "exchange_chart": charts.bar_chart(
            "chart-exchanges", f"Exchanges started and completed each {per}",
            charts.describe(exchanges, period_words), labels, exchanges),
        "item_chart": charts.bar_chart(
            "chart-items", f"New offers and asks each {per}", charts.describe(items, period_words), labels, items),
        "completion_rate": activity.completion_rate,
        "median_match": rules.describe_duration(activity.median_ask_to_first_match_s),
        "median_first": rules.describe_duration(activity.median_ask_to_first_exchange_s),
        "median_completion": rules.describe_duration(activity.median_request_to_completion_s),
        "unmet": [(ask, rules.waited(ask.created_at, activity.now)) for ask in activity.unmet_asks],
        "unmet_share_text": rules.unmet_asks_share_text(activity.street.name, activity.unmet_asks, activity.now, base_url),
        "kind_words": KIND_WORDS,
        "state_words": STATE_WORDS,
        "category_words": CATEGORY_WORDS,
    }


# ---------------------------------------------------------------- web pages


@get("/coordinate", guards=[requires_resident])
async def coordinate(request: Request, stepped_down: FromQuery[str | None] = None) -> Template | Redirect:
    streets = await queries.coordinated_streets(current(request).id)
    if len(streets) == 1 and not stepped_down:
        return Redirect(path=f"/streets/{streets[0].id}/dashboard")
    return page("coordinators/coordinate.html", streets=streets, stepped_down=bool(stepped_down))


@get("/streets/{street_id:int}/dashboard", guards=[requires_resident])
async def dashboard(request: Request, street_id: FromPath[int], period: FromQuery[str | None] = None) -> Template:
    street = await queries.street_for_coordinator(street_id, current(request).id)
    found = await queries.activity(street, rules.parse_period(period))
    return page("coordinators/dashboard.html", **dashboard_context(found, settings_of(request).base_url),
                **incidents_context(await queries.incident_history(street_id)))


ENDED_WORDS = {"back": "neighbours said it's back", "timeout": "no more reports"}


def incidents_context(history: queries.IncidentHistory) -> dict:
    """The street status history as the dashboard words it (London time)."""
    return {
        "incident_topics": history.topics,
        "recent_incidents": [
            {"row": r, "when": rules.incident_when(r.started_at, r.ended_at, DIGEST_ZONE),
             "ended": ENDED_WORDS.get(r.ended_reason or "", "")}
            for r in history.recent
        ],
        "span_words": rules.span_words,
    }


@get("/streets/{street_id:int}/members", guards=[requires_resident])
async def members(request: Request, street_id: FromPath[int], q: FromQuery[str | None] = None,
                  done: FromQuery[str | None] = None) -> Template:
    me = current(request)
    street = await queries.street_for_coordinator(street_id, me.id)
    found, total = await queries.members(street_id, name=q or "")
    coordinators = await queries.coordinators_of(street_id)
    return page("coordinators/members.html", street=street, members=found, total=total, q=q or "", me_id=me.id,
                coordinators=coordinators, can_step_down=rules.may_step_down(len(coordinators)), done=done or "",
                errors={})


async def _member_action(request: Request, street_id: int, resident_id: int, action) -> Response:
    me = current(request)
    try:
        await action(street_id, resident_id, acting=me.id)
    except Invalid as exc:
        street = await queries.street_for_coordinator(street_id, me.id)
        found, total = await queries.members(street_id)
        coordinators = await queries.coordinators_of(street_id)
        return form_page("coordinators/members.html", errors={"form": next(iter(exc.errors.values()))}, values={},
                         street=street, members=found, total=total, q="", me_id=me.id, coordinators=coordinators,
                         can_step_down=rules.may_step_down(len(coordinators)), done="")
    return Redirect(path=f"/streets/{street_id}/members?done={action.__name__}", status_code=303)


@post("/streets/{street_id:int}/members/{resident_id:int}/appoint", guards=[requires_resident])
async def appoint(request: Request, street_id: FromPath[int], resident_id: FromPath[int]) -> Response:
    return await _member_action(request, street_id, resident_id, service.appoint_coordinator)


@post("/streets/{street_id:int}/members/{resident_id:int}/met-in-person", guards=[requires_resident])
async def met_in_person(request: Request, street_id: FromPath[int], resident_id: FromPath[int]) -> Response:
    return await _member_action(request, street_id, resident_id, service.mark_met_in_person)


@post("/streets/{street_id:int}/members/{resident_id:int}/unmark-met", guards=[requires_resident])
async def unmark_met(request: Request, street_id: FromPath[int], resident_id: FromPath[int]) -> Response:
    return await _member_action(request, street_id, resident_id, service.unmark_met_in_person)


@post("/streets/{street_id:int}/step-down", guards=[requires_resident])
async def step_down(request: Request, street_id: FromPath[int]) -> Redirect:
    await service.step_down(street_id, acting=current(request).id)
    return Redirect(path="/coordinate?stepped_down=1", status_code=303)


@get("/streets/{street_id:int}/invites", guards=[requires_resident])
async def invites(request: Request, street_id: FromPath[int], created: FromQuery[str | None] = None) -> Template:
    street = await queries.street_for_coordinator(street_id, current(request).id)
    return _invites_page(request, street, await queries.invites(street_id), created=created)


def _invites_page(request: Request, street: queries.CoordinatedStreet, rows: list[queries.InviteRow], *,
                  created: str | None = None, errors: dict | None = None, values: dict | None = None) -> Template:
    base = settings_of(request).base_url
    newest = next((i for i in rows if i.code == created), None) if created else None
    share = rules.invite_share_text(street.name, rules.invite_url(base, newest.code), newest.code) if newest else ""
    return page("coordinators/invites.html", street=street, invites=rows, newest=newest, share_text=share,
                urls={i.code: rules.invite_url(base, i.code) for i in rows}, errors=errors or {},
                values=values or {"days": str(rules.INVITE_DAYS_DEFAULT), "max_uses": ""},
                status_code=422 if errors else 200)


@post("/streets/{street_id:int}/invites", guards=[requires_resident])
async def create_invite(request: Request, street_id: FromPath[int]) -> Response:
    me = current(request)
    data = await form_data(request)
    try:
        created = await service.create_invite(street_id, acting=me.id, days=data.get("days", ""),
                                              max_uses=data.get("max_uses", ""))
    except Invalid as exc:
        street = await queries.street_for_coordinator(street_id, me.id)
        return _invites_page(request, street, await queries.invites(street_id), errors=exc.errors,
                             values=keep(data, "days", "max_uses"))
    return Redirect(path=f"/streets/{street_id}/invites?created={created.code}#new-invite", status_code=303)


@post("/streets/{street_id:int}/invites/{invite_id:int}/revoke", guards=[requires_resident])
async def revoke_invite(request: Request, street_id: FromPath[int], invite_id: FromPath[int]) -> Redirect:
    await service.revoke_invite(street_id, invite_id, acting=current(request).id)
    return Redirect(path=f"/streets/{street_id}/invites", status_code=303)


@get("/streets/{street_id:int}/flyer", guards=[requires_resident])
async def flyer_page(request: Request, street_id: FromPath[int], code: FromQuery[str | None] = None) -> Template:
    street = await queries.street_for_coordinator(street_id, current(request).id)
    invite = await queries.invite_for_flyer(street_id, code)
    if invite is None:
        return page("coordinators/flyer_missing.html", street=street, asked=bool(code))
    url = rules.invite_url(settings_of(request).base_url, invite.code)
    return page("coordinators/flyer.html", street=street, invite=invite, url=url, qr=flyer.qr_data_url(url),
                display_url=url.split("://", 1)[-1],
                type_url=rules.invite_url(settings_of(request).base_url, "").rstrip("/").split("://", 1)[-1])


@post("/streets/{street_id:int}/flyer", guards=[requires_resident])
async def flyer_invite(request: Request, street_id: FromPath[int]) -> Redirect:
    """Make a long-lived invite without a use limit for flyers, then show the flyer."""
    created = await service.create_invite(street_id, acting=current(request).id, days=rules.FLYER_INVITE_DAYS)
    return Redirect(path=f"/streets/{street_id}/flyer?code={created.code}", status_code=303)


@get("/join")
async def type_code(code: FromQuery[str | None] = None) -> Template | Redirect:
    """The short code from a flyer, typed by hand (any case, spaces or dashes): on to the invite."""
    if code is None:
        return page("coordinators/join_code.html", errors={}, values={})
    typed = rules.normalise_code(code)
    if len(typed) != rules.CODE_LENGTH:
        return form_page("coordinators/join_code.html", errors={"code": rules.CODE_HELP}, values={"code": code})
    return Redirect(path=f"/join/{typed}", status_code=303)


@get("/streets/{street_id:int}/export.csv", guards=[requires_resident])
async def export_csv(request: Request, street_id: FromPath[int]) -> Response:
    street = await queries.street_for_coordinator(street_id, current(request).id)
    body = export.to_csv(await export.activity_rows(street_id))
    return _csv_download(body, export.filename(street.name, clock.now().date().isoformat()))


@get("/streets/{street_id:int}/incidents.csv", guards=[requires_resident])
async def incidents_csv(request: Request, street_id: FromPath[int]) -> Response:
    """The street status history, one row per incident: evidence for a council or a utility."""
    street = await queries.street_for_coordinator(street_id, current(request).id)
    body = export.to_csv(await export.incident_rows(street_id), export.INCIDENT_COLUMNS)
    return _csv_download(body, export.filename(street.name, clock.now().date().isoformat(), "incidents"))


def _csv_download(body: str, name: str) -> Response:
    return Response(content=body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@get("/account/looking-out", guards=[requires_resident])
async def preferences_form(request: Request, saved: FromQuery[str | None] = None) -> Template:
    prefs = await queries.preferences(current(request).id)
    return page("coordinators/preferences.html", errors={}, saved=bool(saved),
                values={"check_on_me": prefs.check_on_me, "check_after_days": str(prefs.check_after_days),
                        "show_as_sharer": prefs.show_as_sharer})


@post("/account/looking-out", guards=[requires_resident])
async def save_preferences(request: Request) -> Response:
    data = await form_data(request)
    values = {"check_on_me": data.get("check_on_me") == "yes", "check_after_days": data.get("check_after_days", ""),
              "show_as_sharer": data.get("show_as_sharer") == "yes"}
    try:
        await service.save_preferences(acting=current(request).id, **values)
    except Invalid as exc:
        return form_page("coordinators/preferences.html", errors=exc.errors, values=values, saved=False)
    return Redirect(path="/account/looking-out?saved=1", status_code=303)


web_router = Router(
    path="/",
    route_handlers=[coordinate, dashboard, members, appoint, met_in_person, unmark_met, step_down, invites,
                    create_invite, revoke_invite, flyer_page, flyer_invite, type_code, export_csv, incidents_csv,
                    preferences_form, save_preferences],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class WeekOut(msgspec.Struct):
    starts: str
    exchanges_started: int
    exchanges_completed: int
    new_offers: int
    new_asks: int


class UnmetAskOut(msgspec.Struct):
    id: int
    title: str
    category: str
    owner: str
    created_at: datetime
    waited_days: int


class OverdueOut(msgspec.Struct):
    exchange_id: int
    title: str
    lender: str
    borrower: str
    due_back: str
    days_overdue: int


class ActivityOut(msgspec.Struct):
    street: dict
    period: str
    since: datetime
    members: int
    new_members: int
    offers_by_kind: dict[str, int]
    new_offers: int
    open_asks: int
    new_asks: int
    exchanges_by_state: dict[str, int]
    completion_rate: int | None
    median_ask_to_first_match_s: float | None
    median_ask_to_first_exchange_s: float | None
    median_request_to_completion_s: float | None
    overdue: int
    overdue_loans: list[OverdueOut]
    unmet_asks: list[UnmetAskOut]
    unmet_total: int
    open_reports: int
    series_bucket: str
    weekly_series: list[WeekOut]
    quiet_residents: list[dict]
    top_sharers: list[dict]


@get("/streets/{street_id:int}/activity", guards=[requires_resident],
     summary="A street's figures, for its coordinators")
async def api_activity(request: Request, street_id: FromPath[int], period: FromQuery[str | None] = None) -> ActivityOut:
    street = await queries.street_for_coordinator(street_id, current(request).id)
    a = await queries.activity(street, rules.parse_period(period))
    return ActivityOut(
        street={"id": street.id, "name": street.name}, period=a.period, since=a.since, members=a.members,
        new_members=a.new_members, offers_by_kind=a.offers_by_kind, new_offers=a.new_offers, open_asks=a.open_asks,
        new_asks=a.new_asks, exchanges_by_state=a.exchanges_by_state, completion_rate=a.completion_rate,
        median_ask_to_first_match_s=a.median_ask_to_first_match_s,
        median_ask_to_first_exchange_s=a.median_ask_to_first_exchange_s,
        median_request_to_completion_s=a.median_request_to_completion_s, overdue=a.overdue_count,
        overdue_loans=[OverdueOut(o.exchange_id, o.title, o.lender, o.borrower, o.due_back.isoformat(), o.days_overdue)
                       for o in a.overdue],
        unmet_asks=[UnmetAskOut(u.id, u.title, u.category, u.owner_name, u.created_at, (a.now - u.created_at).days)
                    for u in a.unmet_asks],
        unmet_total=a.unmet_total, open_reports=a.open_reports, series_bucket=a.bucket,
        weekly_series=[WeekOut(w.starts.isoformat(), w.started, w.completed, w.offers, w.asks) for w in a.series],
        quiet_residents=[{"id": q.id, "display_name": q.display_name, "days": q.days} for q in a.quiet],
        top_sharers=[{"id": s.id, "display_name": s.display_name, "completed": s.completed} for s in a.top_sharers],
    )


class AppointIn(msgspec.Struct):
    resident_id: int


class CoordinatorOut(msgspec.Struct):
    id: int
    display_name: str


@post("/streets/{street_id:int}/coordinators", guards=[requires_resident], status_code=201,
      summary="Appoint a member of the street as a coordinator")
async def api_appoint(request: Request, street_id: FromPath[int], data: JSONBody[AppointIn]) -> CoordinatorOut:
    name = await service.appoint_coordinator(street_id, data.resident_id, acting=current(request).id)
    return CoordinatorOut(id=data.resident_id, display_name=name)


class InviteIn(msgspec.Struct):
    days: int = rules.INVITE_DAYS_DEFAULT
    max_uses: int | None = None


class InviteOut(msgspec.Struct):
    url: str
    code: str
    expires_at: datetime | None
    max_uses: int | None


@post("/streets/{street_id:int}/invites", guards=[requires_resident], status_code=201,
      summary="Create an invite link for the street")
async def api_create_invite(request: Request, street_id: FromPath[int], data: JSONBody[InviteIn | None] = None
                            ) -> InviteOut:
    data = data or InviteIn()
    created = await service.create_invite(street_id, acting=current(request).id, days=data.days,
                                          max_uses=data.max_uses)
    return InviteOut(url=rules.invite_url(settings_of(request).base_url, created.code), code=created.code,
                     expires_at=created.expires_at, max_uses=created.max_uses)


api_handlers = [api_activity, api_appoint, api_create_invite]
