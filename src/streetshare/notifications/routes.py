"""Notification pages (the list, email settings, one-click unsubscribe) and the notifications API."""

from __future__ import annotations

from dataclasses import replace

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from streetshare.errors import Invalid, NotFound
from streetshare.notifications import queries, rules, service
from streetshare.notifications.queries import NotificationItem
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data
from streetshare.web.pages import form_page, page, settings_of
from streetshare.web.refs import PersonRef

# ---------------------------------------------------------------- web pages


@get("/notifications", guards=[requires_resident], name="notifications")
async def notifications_page(request: Request, cursor: FromQuery[str | None] = None) -> Template:
    """Newest first. Showing them marks them read (they are still highlighted this once)."""
    me = current(request)
    found = await queries.notifications_for(me.id, cursor=cursor)
    marked = await service.mark_read([i.id for i in found.items if not i.read], acting=me.id)
    unread_left = max(me.unread - marked, 0)
    if marked:  # the badge in the header should not count what this page just showed
        request.scope["user"] = replace(me, unread=unread_left)
    rows = [{"item": item, "when": rules.local_time(item.created_at)} for item in found.items]
    return page("notifications/list.html", rows=rows, next=found.next, unread_left=unread_left, first_page=not cursor)


@post("/notifications/read", guards=[requires_resident])
async def mark_all_read(request: Request) -> Redirect:
    await service.mark_all_read(acting=current(request).id)
    return Redirect(path="/notifications", status_code=303)


def _settings_context(choices: queries.EmailChoices) -> dict:
    return {
        "kinds": rules.KINDS,
        "news": [rules.BY_NAME[name] for name in rules.NEWS_KINDS],
        "status": [rules.BY_NAME["status_prompt"]],
        "quiet_times": [t.strftime("%H:%M") for t in rules.QUIET_TIMES],
        "all_email_off": choices.all_email_off,
    }


def _quiet_values(quiet: rules.QuietHours) -> dict[str, str]:
    return {"quiet_start": quiet.start.strftime("%H:%M"), "quiet_end": quiet.end.strftime("%H:%M")}


@get("/notifications/settings", guards=[requires_resident], name="notification_settings")
async def settings_page(request: Request, saved: FromQuery[str | None] = None) -> Template:
    choices = await queries.email_choices(current(request).id)
    return page("notifications/settings.html", errors={}, values={**choices.choices, **_quiet_values(choices.quiet)},
                saved=bool(saved), **_settings_context(choices))


@post("/notifications/settings", guards=[requires_resident])
async def save_settings(request: Request) -> Response:
    me = current(request)
    data = await form_data(request)
    submitted = {k: data[k] for k in rules.KIND_NAMES if k in data}
    all_email_off = data.get("all_email_off") == "on"
    quiet, quiet_errors = (None, {})
    if "quiet_start" in data or "quiet_end" in data:
        quiet, quiet_errors = rules.clean_quiet_hours(data.get("quiet_start", ""), data.get("quiet_end", ""))
    try:
        if quiet_errors:
            raise Invalid({**rules.clean_choices(submitted)[1], **quiet_errors})
        await service.save_email_choices(acting=me.id, choices=submitted, all_email_off=all_email_off, quiet=quiet)
    except Invalid as exc:
        choices = await queries.email_choices(me.id)
        values = {**choices.choices, **_quiet_values(choices.quiet), **submitted,
                  **{k: data[k] for k in ("quiet_start", "quiet_end") if k in data}}
        return form_page("notifications/settings.html", errors=exc.errors, values=values,
                         saved=False, **{**_settings_context(choices), "all_email_off": all_email_off})
    return Redirect(path="/notifications/settings?saved=1", status_code=303)


@get("/unsubscribe/{token:str}")
async def unsubscribe_page(request: Request, token: FromPath[str]) -> Template:
    """What a person sees when they click the link in an email: a button, so that link scanners
    that fetch every URL in a message do not unsubscribe anyone."""
    found = rules.read_unsubscribe_token(settings_of(request).secret_key, token)
    if found is None:
        raise NotFound("This unsubscribe link isn't valid. You can change your email settings after signing in.")
    return page("notifications/unsubscribe.html", token=token, scope=found[1], what=rules.scope_label(found[1]),
                done=False)


# Mail apps POST here themselves (RFC 8058 one-click) with no CSRF token; the signed token in
# the path is the proof, so this one route is exempt from CSRF.
@post("/unsubscribe/{token:str}", exclude_from_csrf=True, status_code=200)
async def unsubscribe(request: Request, token: FromPath[str]) -> Template:
    data = await form_data(request)
    _, scope = await service.unsubscribe(token=token, secret_key=settings_of(request).secret_key,
                                         everything=data.get("everything") == "1")
    return page("notifications/unsubscribe.html", token=token, scope=scope, what=rules.scope_label(scope), done=True)


web_router = Router(
    path="/",
    route_handlers=[notifications_page, mark_all_read, settings_page, save_settings, unsubscribe_page, unsubscribe],
    include_in_schema=False,
)

# ---------------------------------------------------------------- JSON API


class NotificationOut(msgspec.Struct):
    id: int
    kind: str
    text: str
    url: str
    actor: PersonRef | None
    exchange_id: int | None
    created_at: str
    read: bool


class NotificationsOut(msgspec.Struct):
    items: list[NotificationOut]
    next: str | None
    unread: int


class MarkedOut(msgspec.Struct):
    marked: int
    unread: int


class QuietHoursIO(msgspec.Struct):
    start: str  # "22:00", London time
    end: str  # "07:00"; the same as start: no quiet hours


class EmailChoicesOut(msgspec.Struct):
    choices: dict[str, str]
    all_email_off: bool
    kinds: dict[str, str]  # kind -> what it is about
    quiet_hours: QuietHoursIO  # no street status prompt is emailed then


class EmailChoicesIn(msgspec.Struct):
    choices: dict[str, str] = {}
    all_email_off: bool | None = None
    quiet_hours: QuietHoursIO | None = None


def _out(item: NotificationItem) -> NotificationOut:
    actor = PersonRef(id=item.actor_id, display_name=item.actor_name) if item.actor_id and item.actor_name else None
    return NotificationOut(id=item.id, kind=item.kind, text=item.text or item.label, url=item.url, actor=actor,
                           exchange_id=item.exchange_id, created_at=item.created_at.isoformat(), read=item.read)


@get("/notifications", guards=[requires_resident], summary="The caller's notifications, newest first")
async def api_notifications(request: Request, cursor: FromQuery[str | None] = None, limit: FromQuery[int] = 30) -> NotificationsOut:
    me = current(request)
    found = await queries.notifications_for(me.id, cursor=cursor, limit=limit)
    return NotificationsOut(items=[_out(i) for i in found.items], next=found.next,
                            unread=await queries.unread_count(me.id))


@post("/notifications/read", guards=[requires_resident], status_code=200, summary="Mark all notifications read")
async def api_mark_all_read(request: Request) -> MarkedOut:
    marked = await service.mark_all_read(acting=current(request).id)
    return MarkedOut(marked=marked, unread=0)


def _choices_out(choices: queries.EmailChoices) -> EmailChoicesOut:
    quiet = _quiet_values(choices.quiet)
    return EmailChoicesOut(choices=choices.choices, all_email_off=choices.all_email_off,
                           kinds={k.name: k.label for k in rules.KINDS},
                           quiet_hours=QuietHoursIO(start=quiet["quiet_start"], end=quiet["quiet_end"]))


@get("/notifications/settings", guards=[requires_resident], summary="How each kind of notification is emailed")
async def api_email_choices(request: Request) -> EmailChoicesOut:
    return _choices_out(await queries.email_choices(current(request).id))


@put("/notifications/settings", guards=[requires_resident],
     summary="Choose immediate, daily, app or off per kind (missing kinds keep their setting), and quiet hours")
async def api_save_email_choices(request: Request, data: JSONBody[EmailChoicesIn]) -> EmailChoicesOut:
    me = current(request)
    all_off = data.all_email_off if data.all_email_off is not None else (await queries.email_choices(me.id)).all_email_off
    quiet = None
    if data.quiet_hours is not None:
        quiet, errors = rules.clean_quiet_hours(data.quiet_hours.start, data.quiet_hours.end)
        if errors:
            raise Invalid(errors)
    return _choices_out(await service.save_email_choices(acting=me.id, choices=data.choices, all_email_off=all_off,
                                                         quiet=quiet))


api_handlers = [api_notifications, api_mark_all_read, api_email_choices, api_save_email_choices]
