"""Pure rules for offers: kinds, categories, the status machine, and what a valid offer is.

No I/O. Services call these; templates get their booleans from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, UTC
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from streetshare.errors import IllegalTransition, NotAllowed

try:  # dates typed into forms are wall-clock times on the street (Streetshare is UK-first)
    LOCAL_TZ: timezone | ZoneInfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover (an image without tzdata)
    LOCAL_TZ = UTC

# The fixed category list (the migration's CHECK constraint holds the same keys), with labels.
CATEGORIES: dict[str, str] = {
    "tools": "Tools",
    "garden": "Garden",
    "kitchen": "Kitchen",
    "children": "Children",
    "books_media": "Books & media",
    "sport_outdoors": "Sport & outdoors",
    "diy_help": "DIY help",
    "lifts_errands": "Lifts & errands",
    "tech_help": "Tech help",
    "home": "Home",
    "clothes": "Clothes",
    "pets": "Pets",
    "other": "Other",
}

KINDS: dict[str, str] = {
    "lend": "To lend",
    "give": "To give away",
    "skill": "A skill",
    "time": "Time and favours",
}
KIND_HINTS: dict[str, str] = {
    "lend": "an item that comes back: a ladder, a drill, a gazebo",
    "give": "an item that doesn't: a cot, plant cuttings, a sofa",
    "skill": "help you can give: bike repairs, CV help, hemming trousers",
    "time": "a favour on a date, with room for a few neighbours: a tip run, mowing lawns",
}

TITLE_MIN, TITLE_MAX = 3, 100
DESCRIPTION_MAX = 2000
DEFAULT_LOAN_DAYS, MAX_LOAN_DAYS = 7, 90
MAX_SLOTS = 50
MAX_AHEAD = timedelta(days=366)  # a time offer starts within a year
MAX_WINDOW = timedelta(days=31)  # and its window is at most a month long
# A time offer with no end leaves the feed a day after it starts.
TIME_OFFER_LASTS = timedelta(days=1)


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    GONE = "gone"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    GIVE_AWAY = "give_away"  # a completed give: only the system, on behalf of the exchange


OWNER, SYSTEM = "owner", "system"

# (status, action) -> next status. Anything missing is an illegal transition.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.ACTIVE, Action.PAUSE): Status.PAUSED,
    (Status.ACTIVE, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.ACTIVE, Action.GIVE_AWAY): Status.GONE,
    (Status.PAUSED, Action.RESUME): Status.ACTIVE,
    (Status.PAUSED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.PAUSED, Action.GIVE_AWAY): Status.GONE,
}
WHO_MAY: dict[Action, str] = {
    Action.PAUSE: OWNER,
    Action.RESUME: OWNER,
    Action.WITHDRAW: OWNER,
    Action.GIVE_AWAY: SYSTEM,
}
ILLEGAL_MESSAGES: dict[Action, str] = {
    Action.PAUSE: "Only an active offer can be paused.",
    Action.RESUME: "Only a paused offer can be resumed.",
    Action.WITHDRAW: "This offer has already ended.",
    Action.GIVE_AWAY: "This offer can't be given away now.",
}
EDITABLE = frozenset({Status.ACTIVE, Status.PAUSED})
# What a neighbour (not the owner) may open: withdrawn offers disappear for everyone else.
SEEN_BY_OTHERS = frozenset({Status.ACTIVE, Status.PAUSED, Status.GONE})


def next_status(status: str, action: str, *, role: str, kind: str | None = None) -> Status:
    """The status after `action`, or IllegalTransition / NotAllowed."""
    act = Action(action)
    if WHO_MAY[act] != role:
        raise NotAllowed("Only the person who made this offer can do that." if WHO_MAY[act] == OWNER
                         else "That happens by itself when a give-away is completed.")
    if act is Action.GIVE_AWAY and kind is not None and kind != "give":
        raise IllegalTransition("Only a give-away can be gone.")
    found = TRANSITIONS.get((Status(status), act))
    if found is None:
        raise IllegalTransition(ILLEGAL_MESSAGES[act])
    return found


def owner_actions(status: str, *, is_owner: bool) -> list[str]:
    """The status buttons to show the viewer (in display order)."""
    if not is_owner:
        return []
    return [a.value for a in (Action.PAUSE, Action.RESUME, Action.WITHDRAW)
            if (Status(status), a) in TRANSITIONS]


def can_edit(status: str, *, is_owner: bool) -> bool:
    return is_owner and Status(status) in EDITABLE


def is_current(kind: str, starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> bool:
    """A time offer whose window has passed is no longer shown in the feed."""
    if kind != "time" or starts_at is None:
        return True
    return (ends_at or starts_at + TIME_OFFER_LASTS) > now


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class OfferFields:
    """A valid offer, ready to write."""

    kind: str
    title: str
    description: str
    category: str
    neighbours_may_see: bool
    loan_days: int | None = None
    slots: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


FIELDS = ("kind", "title", "description", "category", "neighbours_may_see", "loan_days", "slots", "starts_at", "ends_at")


def check_offer(raw: dict[str, Any], *, now: datetime, previous: OfferFields | None = None) -> tuple[OfferFields | None, dict[str, str]]:
    """Validate an offer from a form (strings) or the API (typed values).

    With `previous` (an edit), missing keys keep their old values, and a start time that did
    not change may be in the past. Returns (fields, {}) or (None, {field: message}).
    """
    values = {**(previous.__dict__ if previous else {}), **raw}
    errors: dict[str, str] = {}

    kind = text(values.get("kind"))
    if kind not in KINDS:
        errors["kind"] = "Please choose what kind of offer this is."
    title = text(values.get("title"))
    if message := title_error(title):
        errors["title"] = message
    description = text(values.get("description"), strip_lines=True)
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Please keep the description to {DESCRIPTION_MAX} characters or fewer."
    category = text(values.get("category"))
    if category not in CATEGORIES:
        errors["category"] = "Please choose a category."
    neighbours = boolean(values.get("neighbours_may_see"), default=True)

    loan_days = slots = starts_at = ends_at = None
    if kind == "lend":
        loan_days, message = whole_number(values.get("loan_days"), 1, MAX_LOAN_DAYS, default=DEFAULT_LOAN_DAYS,
                                          what="The loan length", unit="days")
        if message:
            errors["loan_days"] = message
    if kind == "time":
        slots, message = whole_number(values.get("slots"), 1, MAX_SLOTS, default=1, what="The number of places")
        if message:
            errors["slots"] = message
        starts_at, message = moment(values.get("starts_at"))
        unchanged = previous is not None and same_minute(previous.starts_at, starts_at)
        if unchanged and previous is not None:  # a form shows minutes only: keep the stored time
            starts_at = previous.starts_at
        if message:
            errors["starts_at"] = message
        elif starts_at is None:
            errors["starts_at"] = "Please say when: the date and time it starts."
        elif starts_at <= now and not unchanged:
            errors["starts_at"] = "Please choose a time in the future."
        elif starts_at > now + MAX_AHEAD:
            errors["starts_at"] = "Please choose a time within the next year."
        ends_at, message = moment(values.get("ends_at"))
        if previous is not None and same_minute(previous.ends_at, ends_at):
            ends_at = previous.ends_at
        if message:
            errors["ends_at"] = message
        elif ends_at is not None and starts_at is not None:
            if ends_at <= starts_at:
                errors["ends_at"] = "The end must be after the start."
            elif ends_at - starts_at > MAX_WINDOW:
                errors["ends_at"] = "Please keep the window to a month or less."

    if errors:
        return None, errors
    return OfferFields(kind=kind, title=title, description=description, category=category,
                       neighbours_may_see=neighbours, loan_days=loan_days, slots=slots,
                       starts_at=starts_at, ends_at=ends_at), {}


def same_minute(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def title_error(title: str) -> str | None:
    if not title:
        return "Please give it a short title."
    if len(title) < TITLE_MIN:
        return f"Please use at least {TITLE_MIN} characters."
    if len(title) > TITLE_MAX:
        return f"Please keep the title to {TITLE_MAX} characters or fewer."
    return None


def text(value: Any, *, strip_lines: bool = False) -> str:
    if value is None:
        return ""
    result = str(value).replace("\r\n", "\n").strip()
    if not strip_lines:
        result = " ".join(result.split())
    return result.replace("\x00", "")


def boolean(value: Any, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "on", "yes"}


def whole_number(value: Any, low: int, high: int, *, default: int | None, what: str, unit: str = "") -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default, None
    if isinstance(value, bool):
        return None, f"{what} must be a whole number."
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        return None, f"{what} must be a whole number."
    if not low <= number <= high:
        suffix = f" {unit}" if unit else ""
        return None, f"{what} must be between {low} and {high}{suffix}."
    return number, None


def moment(value: Any) -> tuple[datetime | None, str | None]:
    """A date and time: ISO 8601 (API) or a form's datetime-local (wall-clock time on the street)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None, "Please give a date and time, like 2026-12-05 10:00."
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed.astimezone(UTC), None


def calendar_day(value: Any) -> tuple[date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value).strip()), None
    except ValueError:
        return None, "Please give a date, like 2026-12-05."


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def end_of_local_day(day: date) -> datetime:
    """The first moment after `day` on the street's clock."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


# ---------------------------------------------------------------- words for pages


def describe_window(starts_at: datetime | None, ends_at: datetime | None) -> str:
    """'Sat 5 Dec, 10:00' or 'Mon 7 Dec, 09:00 to Fri 11 Dec, 17:00' on the street's clock."""
    if starts_at is None:
        return ""
    start = starts_at.astimezone(LOCAL_TZ)
    shown = start.strftime("%a %-d %b, %H:%M")
    if ends_at is None:
        return shown
    end = ends_at.astimezone(LOCAL_TZ)
    if end.date() == start.date():
        return f"{shown} to {end.strftime('%H:%M')}"
    return f"{shown} to {end.strftime('%a %-d %b, %H:%M')}"


def local_input(value: datetime | None) -> str:
    """A stored time as a datetime-local field's value."""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


STATUS_LABELS = {
    "active": "Available",
    "paused": "Paused for now",
    "gone": "Given away",
    "withdrawn": "Withdrawn",
}
