"""Pure rules for asks: what help is asked for, the status machine, expiry, and a valid ask.

No I/O. Categories are shared with offers (one fixed list, see offers.rules).
"""

from __future__ import annotations

import re
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
    help_kind_stated: bool = True  # False: help_kind is a guess from the words (infer_help_kind)


FIELDS = ("title", "description", "category", "help_kind", "neighbours_may_see", "needed_by", "help_kind_stated")


def check_ask(raw: dict[str, Any], *, now: datetime,
              previous: AskFields | None = None) -> tuple[AskFields | None, dict[str, str]]:
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
    # The kind, when the asker says it (a change that leaves it out keeps what they said before);
    # otherwise a guess from the words, made again when the words change. Matching treats a stated
    # kind as a preference and a guess more lightly: neither excludes a kind of offer.
    if "help_kind" in raw or previous is None:
        help_kind = text(raw.get("help_kind"))
        stated = bool(help_kind)
    else:
        help_kind, stated = previous.help_kind, previous.help_kind_stated
    if not stated:
        help_kind = infer_help_kind(title, description)
    elif help_kind not in HELP_KINDS:
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
                     neighbours_may_see=neighbours, needed_by=needed_by, help_kind_stated=stated), {}


# ---------------------------------------------------------------- what kind of help, from the words

# When an asker doesn't say what kind of help they need, the words usually do: "Could someone mow
# my lawn?" wants a skill or some time, "Anyone going to the tip on Saturday?" some time, "Drill?"
# a thing to borrow, "Spare cot for a new baby?" a thing to keep. These are the cues, written as
# people write them (lower case; a cue matches whole words, and "*" at the end of a word matches
# any ending: "mow*" is mow, mowing, mowed). The guess only ranks matches (matching.rules.kind_fit).
# Add a cue when an everyday ask is guessed wrong, with a case in tests/unit/test_asks_rules.py.

# A favour on a day, or going somewhere: time.
TIME_CUES: tuple[str, ...] = (
    "lift", "lifts", "ride", "drive me", "drop me", "drop off", "pick me up", "pick up", "collect", "going to",
    "anyone going", "heading to", "popping to", "run to", "tip run", "trip to", "take to", "take some", "take my",
    "take the", "walk my", "walk the", "walk our", "feed my", "feed the", "feed our", "pop in", "check on",
    "keep an eye", "water my", "water the", "while i'm away", "while im away", "while we're away",
    "whilst i'm away", "on holiday", "babysit*", "childmind*", "sit with", "move house", "moving house",
    "help moving", "help me move", "move a", "move my", "move the", "carry", "shopping for", "do my shopping",
    "post a", "queue",
)
# A job someone knows how to do: a skill.
SKILL_CUES: tuple[str, ...] = (
    "help", "helper", "hand with", "mow*", "cutting", "trimming", "cut my", "cut the", "cut back", "trim my",
    "trim the", "prune", "weed*", "tidy*", "fix*", "mend*", "repair*", "sort out", "sort my", "look at",
    "take a look", "have a look", "help with", "help me", "help to", "help putting", "help setting",
    "help getting", "help writing", "someone to", "somebody to", "anyone to", "show me", "teach*", "tutor*",
    "lesson*", "explain", "advice", "advise", "put up", "putting up", "assembl*", "build", "paint my",
    "paint the", "decorat*", "plumb*", "wire", "wiring", "install*", "set up", "setting up", "clean my",
    "clean the", "a clean", "a proper clean", "sew", "sewing up", "hem", "take up", "alter*", "proofread*",
    "check my", "read over", "write a", "jump start", "unblock", "bleed",
)
# Asked of a person by a verb that isn't a thing's ("could someone mow", "can anyone drop"): help.
# These verbs after "can anyone..." ask for a thing instead.
THING_VERBS: frozenset[str] = frozenset({
    "lend", "loan", "give", "spare", "have", "got", "donate", "recommend", "sell", "let", "offer", "borrow",
    "i", "we",
})
# A thing to keep rather than to borrow: receive.
RECEIVE_CUES: tuple[str, ...] = (
    "spare", "unwanted", "free", "to keep", "keep it", "give away", "giving away", "hand-me-down*",
    "hand me down*", "no longer need*", "don't need", "any going", "going spare", "donat*", "leftover*",
    "left over", "outgrown", "nappies", "nappy", "food", "jars", "cuttings", "seeds", "boxes", "packing boxes",
)

_ASKED_OF = re.compile(r"\b(?:can|could|would|will)\s+(?:someone|somebody|anyone|anybody|a neighbour|you)"
                       r"\s+(?:please\s+|kindly\s+|possibly\s+)?([a-z']+)")


def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(c[:-1]) + r"[a-z']*" if c.endswith("*") else re.escape(c) for c in cues]
    return re.compile(r"(?<![a-z'])(?:" + "|".join(parts) + r")(?![a-z'])")


_TIME, _SKILL, _RECEIVE = _cue_pattern(TIME_CUES), _cue_pattern(SKILL_CUES), _cue_pattern(RECEIVE_CUES)
_THING = _cue_pattern(("borrow*", "lend", "loan*", "have a", "have an", "has a", "got a", "got an", "spare",
                       "to keep"))


def infer_help_kind(title: str, description: str = "") -> str:
    """The kind of help an ask most likely wants, from its words (the title counts first):
    time or skill when it names a job or a favour, receive for a thing to keep, else borrow."""
    for words in (_plain(title), _plain(f"{title} {description}")):
        if _THING.search(words):  # "could I borrow", "anyone got a...": a thing, whatever it is for
            break
        time, skill = len(_TIME.findall(words)), len(_SKILL.findall(words))
        asked = _ASKED_OF.search(words)
        if asked and asked.group(1) not in THING_VERBS and not time:
            skill += 1
        if time or skill:
            return "time" if time >= skill else "skill"
    return "receive" if _RECEIVE.search(_plain(f"{title} {description}")) else "borrow"


def _plain(words: str) -> str:
    return " ".join(words.lower().replace("\u2019", "'").split())
