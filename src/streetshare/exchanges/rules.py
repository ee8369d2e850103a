"""Pure rules around the state machine: who may talk, share an address or ask for more time,
what counts as overdue, how "my exchanges" are grouped, and input checks. No I/O.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from streetshare.exchanges.states import LIVE, Action, Role, State

try:  # due dates are days on the street (Streetshare is UK-first, like offers.rules)
    LOCAL_TZ: timezone | ZoneInfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover (an image without tzdata)
    LOCAL_TZ = timezone.utc

UNANSWERED_EXPIRE_AFTER = timedelta(days=14)
DEFAULT_LOAN_DAYS = 7
MAX_LOAN_DAYS = 90
MESSAGE_MAX = 1000
THREAD_MESSAGE_MAX = 2000
NOTE_MAX = 500
ADDRESS_MAX = 200


def today(now: datetime) -> date:
    """The calendar day on the street that due dates are compared with."""
    return now.astimezone(LOCAL_TZ).date()


def role_of(*, provider: int, recipient: int, resident_id: int | None) -> Role | None:
    if resident_id == provider:
        return Role.provider
    if resident_id == recipient:
        return Role.recipient
    return None


def is_live(state: str) -> bool:
    return State(state) in LIVE


def is_overdue(state: str, due_back: date | None, on: date) -> bool:
    """Overdue is not a state: a loan handed over whose due-back day has passed."""
    return state == State.handed_over and due_back is not None and due_back < on


def default_due_back(on: date, loan_days: int | None) -> date:
    return on + timedelta(days=loan_days or DEFAULT_LOAN_DAYS)


def can_post_message(state: str, role: Role | None) -> bool:
    return role in (Role.provider, Role.recipient) and is_live(state)


def can_share_pickup(state: str, role: Role | None) -> bool:
    return role == Role.provider and is_live(state)


def can_request_more_time(state: str, kind: str, role: Role | None) -> bool:
    return kind == "lend" and state == State.handed_over and role == Role.recipient


def can_agree_new_date(state: str, kind: str, role: Role | None) -> bool:
    """The lender can set a new due-back date while it is out, asked or not."""
    return kind == "lend" and state == State.handed_over and role == Role.provider


def visible_pickup_address(state: str, address: str | None) -> str | None:
    """Shown only inside a live exchange; gone once it ends."""
    return address if is_live(state) else None


def buttons(allowed: list[Action]) -> list[Action]:
    """The actions to offer as buttons: 'cancel' is left out while 'withdraw' or 'decline' says it kindlier."""
    if Action.withdraw in allowed or Action.decline in allowed:
        return [a for a in allowed if a != Action.cancel]
    return list(allowed)


def group(*, state: str, role: Role, started_by: str, due_back: date | None, on: date,
          extension_requested: bool = False) -> str:
    """Which part of "my exchanges" it belongs to: needs_answer, overdue, in_progress or done."""
    if state in (State.completed, State.declined, State.cancelled, State.expired):
        return "done"
    if is_overdue(state, due_back, on):
        return "overdue"
    if state == State.requested and role != Role(started_by):
        return "needs_answer"
    if role == Role.provider and (state == State.returned or (state == State.handed_over and extension_requested)):
        return "needs_answer"
    return "in_progress"


def overdue_reminder_due(days_overdue: int) -> bool:
    """Overdue reminders: the first day it is overdue, then weekly."""
    return days_overdue >= 1 and (days_overdue - 1) % 7 == 0


def parse_date(text: str | None) -> date | None:
    """A yyyy-mm-dd date from a form field; None when empty; ValueError when not a date."""
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def request_errors(*, kind: str, message: str, wanted_from: date | None, due_back: date | None,
                   on: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(message) > MESSAGE_MAX:
        errors["message"] = f"Please keep your message under {MESSAGE_MAX} characters."
    if kind != "lend":
        return errors
    if wanted_from is not None and wanted_from < on:
        errors["wanted_from"] = "Choose today or a day in the future."
    start = wanted_from or on
    if due_back is not None:
        if due_back < start:
            errors["due_back"] = "The return date must be on or after the day you'd collect it."
        elif due_back > start + timedelta(days=MAX_LOAN_DAYS):
            errors["due_back"] = f"Loans can last up to {MAX_LOAN_DAYS} days."
    return errors


def due_back_error(due_back: date | None, on: date) -> str | None:
    if due_back is None:
        return "Choose the day it should come back."
    if due_back < on:
        return "The return date can't be in the past."
    if due_back > on + timedelta(days=MAX_LOAN_DAYS):
        return f"Loans can last up to {MAX_LOAN_DAYS} days."
    return None


def text_error(text: str, *, limit: int, required: bool = True) -> str | None:
    if required and not text.strip():
        return "Write a message first."
    if len(text) > limit:
        return f"Please keep it under {limit} characters."
    return None


def offer_kind_for_help(help_kind: str) -> str:
    """The offer kind that meets an ask of this help kind."""
    return {"borrow": "lend", "receive": "give", "skill": "skill", "time": "time"}[help_kind]


_NOTICES = {
    "requested": {
        "lend": "{actor} would like to borrow your {title}.",
        "give": "{actor} would like your {title}.",
        "skill": "{actor} is asking for your help: {title}.",
        "time": "{actor} would like a place: {title}.",
    },
    "offered_help": "{actor} can help with your ask: {title}.",
    "accept": "{actor} said yes: {title}.",
    "decline": "Your request for {title} wasn't accepted this time.",
    "cancel": "{actor} cancelled: {title}.",
    "withdraw": "{actor} withdrew their request: {title}.",
    "hand_over": "{actor} handed over {title}.",
    "mark_returned": "{actor} says {title} is back with you.",
    "confirm_return": "{actor} confirmed {title} is back. Thanks for borrowing kindly!",
    "complete": "{actor} marked {title} as done.",
    "expire": "Your request for {title} expired without an answer.",
    "more_time": "{actor} would like to keep {title} a little longer.",
    "new_date": "{actor} agreed a new return date for {title}.",
    "pickup_shared": "{actor} shared the pickup address for {title}.",
    "message": "{actor} sent you a message about {title}.",
}


def notice(what: str, *, actor: str, title: str, kind: str) -> str:
    """The one-line text of a notification about an exchange."""
    template = _NOTICES[what]
    if isinstance(template, dict):
        template = template[kind]
    return template.format(actor=actor or "Someone", title=title or "your exchange")
