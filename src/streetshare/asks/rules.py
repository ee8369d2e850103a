"""Pure rules for asks: what help is asked for, the status machine, expiry, and a valid ask.

No I/O. Categories are shared with offers (one fixed list, see offers.rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from streetshare.errors import IllegalTransition, NotAllowed
from streetshare.offers.rules import (
    CATEGORIES,
    DESCRIPTION_MAX,
    boolean,
    calendar_day,
    end_of_local_day,
    local_today,
    text,
    title_error,
)

HELP_KINDS: dict[str, str] = {
    "borrow": "To borrow",
    "receive": "To receive",
    "skill": "Help with a skill",
    "time": "Some time",
}
# Which offer kind answers which ask (the feed's kind filter shows both sides together).
OFFER_KIND_FOR: dict[str, str] = {"borrow": "lend", "receive": "give", "skill": "skill", "time": "time"}
HELP_KIND_FOR: dict[str, str] = {v: k for k, v in OFFER_KIND_FOR.items()}

LIFETIME = timedelta(days=30)  # an ask with no date expires after this; renewing adds it again
REMIND_BEFORE = timedelta(days=3)  # the owner hears this long before it expires
REMIND_ONLY_IF_LIVES = timedelta(days=7)  # a short-lived ask gets no reminder
MAX_NEEDED_AHEAD = timedelta(days=366)


class Status(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Action(StrEnum):
    RENEW = "renew"
    FULFIL = "fulfil"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


OWNER, SYSTEM = "owner", "system"

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.OPEN, Action.RENEW): Status.OPEN,
    (Status.OPEN, Action.FULFIL): Status.FULFILLED,
    (Status.OPEN, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.OPEN, Action.EXPIRE): Status.EXPIRED,
    (Status.EXPIRED, Action.RENEW): Status.OPEN,
    (Status.EXPIRED, Action.FULFIL): Status.FULFILLED,
    (Status.EXPIRED, Action.WITHDRAW): Status.WITHDRAWN,
}
# Who may act: the owner, the system (expiry; an exchange that met the ask), or both.
WHO_MAY: dict[Action, frozenset[str]] = {
    Action.RENEW: frozenset({OWNER}),
    Action.FULFIL: frozenset({OWNER, SYSTEM}),
    Action.WITHDRAW: frozenset({OWNER}),
    Action.EXPIRE: frozenset({SYSTEM}),
}
ILLEGAL_MESSAGES: dict[Action, str] = {
    Action.RENEW: "Only an open or expired ask can be renewed.",
    Action.FULFIL: "This ask has already ended.",
    Action.WITHDRAW: "This ask has already ended.",
    Action.EXPIRE: "Only an open ask can expire.",
}
EDITABLE = frozenset({Status.OPEN, Status.EXPIRED})
SEEN_BY_OTHERS = frozenset({Status.OPEN, Status.FULFILLED, Status.EXPIRED})

STATUS_LABELS = {
    "open": "Still needed",
    "fulfilled": "Sorted, thank you",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}


def next_status(status: str, action: str, *, role: str) -> Status:
    act = Action(action)
    if role not in WHO_MAY[act]:
        raise NotAllowed("Only the person who asked can do that." if OWNER in WHO_MAY[act]
                         else "That happens by itself.")
    found = TRANSITIONS.get((Status(status), act))
    if found is None:
        raise IllegalTransition(ILLEGAL_MESSAGES[act])
    return found


def owner_actions(status: str, *, is_owner: bool) -> list[str]:
    if not is_owner:
        return []
    return [a.value for a in (Action.RENEW, Action.FULFIL, Action.WITHDRAW)
            if (Status(status), a) in TRANSITIONS]


def can_edit(status: str, *, is_owner: bool) -> bool:
    return is_owner and Status(status) in EDITABLE


def expires_at(*, now: datetime, needed_by: date | None) -> datetime:
    """An ask expires after its "needed by" day, or 30 days after it was made (or renewed)."""
    if needed_by is not None:
        return end_of_local_day(needed_by)
    return now + LIFETIME


def renewal(*, now: datetime, needed_by: date | None) -> tuple[datetime, date | None]:
    """(new expiry, new needed_by): 30 more days from now; a date that has passed is dropped."""
    if needed_by is not None and needed_by < local_today(now):
        needed_by = None
    return now + LIFETIME, needed_by


def expiring_soon(status: str, expires: datetime, now: datetime) -> bool:
    """Show the owner a 'renew' nudge on their pages."""
    return status == Status.OPEN and expires - now <= REMIND_BEFORE


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class AskFields:
    title: str
    description: str
    category: str
    help_kind: str
    neighbours_may_see: bool
    needed_by: date | None = None


FIELDS = ("title", "description", "category", "help_kind", "neighbours_may_see", "needed_by")


def check_ask(raw: dict[str, Any], *, now: datetime, previous: AskFields | None = None) -> tuple[AskFields | None, dict[str, str]]:
    values = {**(previous.__dict__ if previous else {}), **raw}
    errors: dict[str, str] = {}
    title = text(values.get("title"))
    if message := title_error(title):
        errors["title"] = message
    description = text(values.get("description"), strip_lines=True)
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Please keep the description to {DESCRIPTION_MAX} characters or fewer."
    category = text(values.get("category"))
    if category not in CATEGORIES:
        errors["category"] = "Please choose a category."
    help_kind = text(values.get("help_kind")) or "borrow"
    if help_kind not in HELP_KINDS:
        errors["help_kind"] = "Please choose what kind of help you need."
    neighbours = boolean(values.get("neighbours_may_see"), default=True)
    needed_by, message = calendar_day(values.get("needed_by"))
    unchanged = previous is not None and previous.needed_by == needed_by
    if message:
        errors["needed_by"] = message
    elif needed_by is not None and not unchanged:
        today = local_today(now)
        if needed_by < today:
            errors["needed_by"] = "Please choose today or a day in the future."
        elif needed_by > today + MAX_NEEDED_AHEAD:
            errors["needed_by"] = "Please choose a day within the next year."
    if errors:
        return None, errors
    return AskFields(title=title, description=description, category=category, help_kind=help_kind,
                     neighbours_may_see=neighbours, needed_by=needed_by), {}
