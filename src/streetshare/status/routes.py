"""Street status pages ("Is it just me?"), their live stream, and the status API.

Pages: the street's status (`/streets/{id}/status`, also as a fragment for the live page), the
"Something off?" picker (one tap reports `affected` and lands on the topic's counts), the gas
advice (records nothing), and the answer forms (Post/Redirect/Get). The stream
(`/streets/{id}/status/events`) tells an open page when to fetch its fragment again (status/live.py).
Counts are homes; the words for them are made here ("4 homes on Elm Street and 2 on Oak Road").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import msgspec
from litestar import Request, Router, delete, get, post
from litestar.exceptions import ServiceUnavailableException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, ServerSentEvent, Template

from streetshare import clock
from streetshare.errors import Invalid
from streetshare.notifications.rules import DIGEST_ZONE
from streetshare.status import live, queries, rules, service
from streetshare.status.queries import IncidentRow, StreetStatus, TopicStatus
from streetshare.web.auth import current, requires_resident
from streetshare.web.forms import form_data
from streetshare.web.pages import page, settings_of
from streetshare.web.refs import StreetRef

# How each topic reads while it is off, and once it is over.
OFF = {
    "power": ("Power off", "Power was off"),
    "water": ("Water off or low", "Water was off or low"),
    "broadband": ("Broadband or mobile down", "Broadband or mobile was down"),
    "bins": ("Bins not collected", "Bins were not collected"),
    "street_lights": ("Street lights out", "Street lights were out"),
    "other": ("Something off", "Something was off"),
}
ANSWERS = {"affected": True, "fine": False}
WITHDRAW = "withdraw"


# ---------------------------------------------------------------- the words


def _homes(n: int) -> str:
    return f"{n} home{'s' if n != 1 else ''}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def where_phrase(topic: TopicStatus, street_name: str) -> str:
    """"4 homes on Elm Street, 2 on Oak Road and a home nearby". A neighbouring street with fewer
    than 2 homes is never named: such homes are "a home nearby" (or "3 homes nearby", together)."""
    parts = [f"{_homes(topic.homes_here)} on {street_name}"] if topic.homes_here else []
    named, unnamed = rules.named_nearby(topic.nearby)
    for near in named:
        parts.append(f"{near.homes} on {near.street_name}" if parts else f"{_homes(near.homes)} on {near.street_name}")
    if unnamed:
        parts.append("a home nearby" if unnamed == 1 else f"{unnamed} homes nearby")
    return _and(parts) if parts else ""


def count_sentence(topic: TopicStatus, street_name: str) -> str:
    """What the topic's counts say to this viewer."""
    total = topic.homes_here + topic.homes_nearby
    where = where_phrase(topic, street_name)
    if topic.mine == rules.AFFECTED:
        return "Just you so far." if total <= 1 else f"{where}: it's not just you."
    if not total:
        return f"No one on {street_name} has said so."
    said = "has said so" if total == 1 else "have said so"
    if not topic.homes_here:
        return f"No one on {street_name} yet; {where} {said}."
    return f"{where} {said}."


def _local(moment: datetime) -> datetime:
    return moment.astimezone(DIGEST_ZONE)  # the deployment's local time, as the digest's


def when(moment: datetime, *, now: datetime | None = None) -> str:
    """"18:02" today, "yesterday 18:02", else "Thu 3 Dec 18:02"."""
    here, today = _local(moment), _local(now or clock.now()).date()
    if here.date() == today:
        return here.strftime("%H:%M")
    if here.date() == today - timedelta(days=1):
        return here.strftime("yesterday %H:%M")
    return here.strftime("%a %-d %b %H:%M")


def incident_sentence(incident: IncidentRow, *, now: datetime | None = None) -> str:
    """"Power was off 18:02–19:40, about 9 homes"; "Power off since 18:02, 4 homes so far"."""
    now, (off, was_off) = now or clock.now(), OFF.get(incident.topic, (incident.label, incident.label))
    homes = _homes(incident.homes) if incident.homes < 2 else f"about {incident.homes} homes"
    if incident.ended_at is None:
        return f"{off} since {when(incident.started_at, now=now)}, {_homes(incident.homes)} so far"
    if incident.ended_reason == rules.TIMEOUT:
        last = when(incident.last_report_at, now=now)
        return f"{was_off} from {when(incident.started_at, now=now)}, {homes} (last said {last})"
    start, end = _local(incident.started_at), _local(incident.ended_at)
    if start.date() == end.date():
        return f"{was_off} {when(incident.started_at, now=now)}\u2013{end.strftime('%H:%M')}, {homes}"
    return f"{was_off} {when(incident.started_at, now=now)} to {when(incident.ended_at, now=now)}, {homes}"


@dataclass(frozen=True)
class TopicView:
    """A topic as the page shows it."""

    status: TopicStatus
    heading: str
    sentence: str
    since: str | None
    last: str | None
    active: bool  # reported here or nearby, or I answered: shown as a card

    @property
    def name(self) -> str:
        return self.status.topic


def topic_view(topic: TopicStatus, street_name: str, *, now: datetime | None = None) -> TopicView:
    active = topic.state == rules.REPORTED or topic.homes_nearby > 0 or topic.mine is not None
    return TopicView(
        status=topic,
        heading=OFF[topic.topic][0] if active else topic.label,
        sentence=count_sentence(topic, street_name),
        since=when(topic.since, now=now) if topic.since else None,
        last=when(topic.last_report_at, now=now) if topic.last_report_at else None,
        active=active,
    )


def _context(status: StreetStatus, answered: str | None = None, said: str | None = None) -> dict:
    now = clock.now()
    views = [topic_view(t, status.street_name, now=now) for t in status.topics if t.records]
    return {
        "status": status,
        "active": [v for v in views if v.active],
        "quiet": [v for v in views if not v.active],
        "incidents": [incident_sentence(i, now=now) for i in status.incidents if i.ended_at is not None],  # open: above
        "answered": answered if answered in OFF else None,
        "said": said if said in (*ANSWERS, WITHDRAW) else None,
        "gas": rules.GAS_ADVICE,
    }


# ---------------------------------------------------------------- web pages


@get("/streets/{street_id:int}/status", guards=[requires_resident], name="street_status")
async def status_page(request: Request, street_id: FromPath[int], fragment: FromQuery[str | None] = None,
                      answered: FromQuery[str | None] = None, said: FromQuery[str | None] = None) -> Template:
    """The street's status. `?fragment=1`: the topics only, for the live page to swap in."""
    me = current(request)
    status = await queries.street_status(street_id, viewer=me.id, settings=settings_of(request))
    version = await queries.status_version(street_id)
    context = _context(status, answered, said)
    if fragment:
        return Template(template_name="status/_topics.html", context=context,
                        headers={"X-Status-Version": version})
    return page("status/street.html", version=version, **context)


@get("/streets/{street_id:int}/status/report", guards=[requires_resident], name="street_status_report")
async def report_page(request: Request, street_id: FromPath[int]) -> Template:
    """"Something off?": one big button per topic; one tap reports it."""
    who = await queries.visible_viewer(street_id, current(request).id)
    return page("status/report.html", who=who, topics=[t for t in rules.TOPICS if t.records])


@get("/streets/{street_id:int}/status/gas", guards=[requires_resident], name="street_status_gas")
async def gas_page(request: Request, street_id: FromPath[int]) -> Template:
    """What to do about a gas smell, now. Records nothing and waits for no one."""
    who = await queries.visible_viewer(street_id, current(request).id)
    return page("status/gas.html", who=who, gas=rules.GAS_ADVICE)


@post("/streets/{street_id:int}/status/gas", guards=[requires_resident])
async def gas_answer(request: Request, street_id: FromPath[int]) -> Redirect:
    """A gas answer sent by form (its path is the advice page's, so `answer` below never sees it):
    the advice, nothing recorded."""
    await queries.visible_viewer(street_id, current(request).id)
    return Redirect(path=f"/streets/{street_id}/status/gas", status_code=303)


@post("/streets/{street_id:int}/status/{topic:str}", guards=[requires_resident])
async def answer(request: Request, street_id: FromPath[int], topic: FromPath[str]) -> Redirect:
    """"Mine's off (too)", "Mine's fine / it's back", or "Take my answer back"; then the topic's counts."""
    me = current(request)
    choice = (await form_data(request)).get("answer", "")
    if choice in ANSWERS:
        await service.report(street_id, topic, acting=me.id, affected=ANSWERS[choice])
    elif choice == WITHDRAW:
        await service.withdraw(street_id, topic, acting=me.id)
    else:
        await queries.topic_status(street_id, topic, viewer=me.id)  # an unseen street or topic is a 404 first
        raise Invalid({"answer": "Choose an answer."}, "Choose whether yours is off or fine.")
    return Redirect(path=f"/streets/{street_id}/status?answered={topic}&said={choice}#topic-{topic}", status_code=303)


@get("/streets/{street_id:int}/status/events", guards=[requires_resident])
async def status_events(request: Request, street_id: FromPath[int]) -> ServerSentEvent:
    """Server-sent events: `status` when the street's status changed (the page then fetches its fragment)."""
    await queries.visible_viewer(street_id, current(request).id)
    version = await queries.status_version(street_id)
    listener: live.StatusListener = request.app.state.status_listener
    if not listener.running:  # the app was not started with its lifespan: no live updates here
        raise ServiceUnavailableException("Live updates are not available.", headers={"Retry-After": "30"})
    # X-Accel-Buffering: nginx passes the stream on as it comes instead of buffering it.
    return ServerSentEvent(live.events(listener, street_id, version=version),
                           headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


web_router = Router(path="/", route_handlers=[status_page, report_page, gas_page, gas_answer, answer,
                                                    status_events],
                    include_in_schema=False)


# ---------------------------------------------------------------- JSON API


class ContactOut(msgspec.Struct):
    """Where to report it officially."""

    name: str
    phone: str | None = None
    url: str | None = None


class AdviceOut(msgspec.Struct):
    """Gas: call now, and what to do meanwhile."""

    name: str
    phone: str
    tel: str
    summary: str
    steps: list[str]


class NearbyStreetOut(msgspec.Struct):
    """A neighbouring street with 2 or more affected homes (fewer are counted in homes_nearby only)."""

    id: int
    name: str
    homes: int


class TopicOut(msgspec.Struct):
    topic: str
    label: str
    state: str
    homes_here: int
    homes_nearby: int
    nearby_streets: list[NearbyStreetOut]
    since: datetime | None
    last_report_at: datetime | None
    mine: str | None
    official: ContactOut | None
    advice: AdviceOut | None  # gas only


class IncidentOut(msgspec.Struct):
    topic: str
    started_at: datetime
    ended_at: datetime | None
    ended_reason: str | None
    homes: int


class StreetStatusOut(msgspec.Struct):
    street: StreetRef
    can_report: bool
    topics: list[TopicOut]
    incidents: list[IncidentOut]


class AnswerIn(msgspec.Struct):
    """true: it's off at my home too; false: mine's fine, or it's back."""

    affected: bool


def _topic_out(t: TopicStatus) -> TopicOut:
    gas = rules.GAS_ADVICE
    return TopicOut(
        topic=t.topic, label=t.label, state=t.state, homes_here=t.homes_here, homes_nearby=t.homes_nearby,
        nearby_streets=[NearbyStreetOut(id=n.street_id, name=n.street_name, homes=n.homes)
                        for n in rules.named_nearby(t.nearby)[0]],
        since=t.since, last_report_at=t.last_report_at, mine=t.mine,
        official=ContactOut(name=t.official.name, phone=t.official.phone, url=t.official.url) if t.official else None,
        advice=None if t.records else AdviceOut(name=gas.name, phone=gas.phone, tel=gas.tel, summary=gas.summary,
                                                steps=list(gas.steps)),
    )


@get("/streets/{street_id:int}/status", guards=[requires_resident],
     summary="The street's status: each topic's state and counts of homes, and recent incidents")
async def api_status(request: Request, street_id: FromPath[int]) -> StreetStatusOut:
    status = await queries.street_status(street_id, viewer=current(request).id, settings=settings_of(request))
    return StreetStatusOut(
        street=StreetRef(id=status.street_id, name=status.street_name), can_report=status.can_report,
        topics=[_topic_out(t) for t in status.topics],
        incidents=[IncidentOut(topic=i.topic, started_at=i.started_at, ended_at=i.ended_at,
                               ended_reason=i.ended_reason, homes=i.homes) for i in status.incidents],
    )


@post("/streets/{street_id:int}/status/{topic:str}", guards=[requires_resident], status_code=200,
      summary="Answer for the caller's home: affected, or fine / it's back (gas records nothing)")
async def api_answer(request: Request, street_id: FromPath[int], topic: FromPath[str],
                     data: JSONBody[AnswerIn]) -> TopicOut:
    me = current(request)
    await service.report(street_id, topic, acting=me.id, affected=data.affected)
    return _topic_out(await queries.topic_status(street_id, topic, viewer=me.id, settings=settings_of(request)))


@delete("/streets/{street_id:int}/status/{topic:str}", guards=[requires_resident], status_code=204,
        summary="Withdraw the caller's answer")
async def api_withdraw(request: Request, street_id: FromPath[int], topic: FromPath[str]) -> None:
    await service.withdraw(street_id, topic, acting=current(request).id)


api_handlers = [api_status, api_answer, api_withdraw]
