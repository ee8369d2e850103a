"""Notification rules, pure: the kinds, how each is emailed by default, when the daily digest goes
out, quiet hours, and the signed one-click unsubscribe tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

IMMEDIATE = "immediate"
DAILY = "daily"
OFF = "off"
# In the app, never by email: offered only for the opt-in kinds whose OFF means "not at all".
APP = "app"
DELIVERIES = (IMMEDIATE, DAILY, OFF)
DELIVERY_LABELS = {IMMEDIATE: "Straight away", DAILY: "In a daily digest", OFF: "Don't email me",
                   APP: "In the app only"}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # as a settings line: "when ..."
    default: str  # IMMEDIATE, DAILY or OFF
    deliveries: tuple[str, ...] = DELIVERIES  # the choices offered for it
    labels: tuple[tuple[str, str], ...] = ()  # how the settings page words a choice, when not DELIVERY_LABELS

    def label_of(self, delivery: str) -> str:
        return dict(self.labels).get(delivery, DELIVERY_LABELS[delivery])

    def refusal(self) -> str:
        """What a form says when the choice sent is not one of this kind's."""
        if self.deliveries == DELIVERIES:
            return "Choose straight away, a daily digest, or no email."
        if self.deliveries == (DAILY, OFF):
            return "Choose each evening, or none."
        words = [self.label_of(d).lower() for d in self.deliveries]
        return f"Choose {', '.join(words[:-1])} or {words[-1]}."


# The things we tell residents about, in the order the settings page lists them. Requests, answers
# and overdue loans matter now; conversation and news can wait for the evening digest.
KINDS: tuple[Kind, ...] = (
    Kind("request_received", "Someone asks for something you offer, or offers to help", IMMEDIATE),
    Kind("accepted", "Your request is accepted", IMMEDIATE),
    Kind("declined", "Your request is declined", DAILY),
    Kind("message", "A new message in one of your exchanges", DAILY),
    Kind("handed_over", "Something is handed over", DAILY),
    Kind("due_tomorrow", "Something you borrowed is due back tomorrow", IMMEDIATE),
    Kind("overdue", "A loan is overdue", IMMEDIATE),
    Kind("returned", "Your neighbour says they've returned it", DAILY),
    Kind("completed", "An exchange is completed", OFF),
    Kind("thanks_received", "Someone says thank you", DAILY),
    Kind("match_found", "A new offer matches one of your asks", DAILY),
    Kind("ask_matches_offer", "A new ask matches something you offer", IMMEDIATE),
    # Off means no round-up at all, in the app too: it is what "opting in" turns on.
    Kind("street_news", "A round-up of new offers and asks on your street, once a day", OFF, (DAILY, OFF),
         ((DAILY, "Yes, each evening"), (OFF, "No round-up"))),
    # Street status (issue 14): one question per incident, "Power off on Elm Street? Is yours off too?".
    # Opt-in like the round-up: off means no prompt at all; "app" keeps it out of email.
    Kind("status_prompt", "Neighbours report a power cut or something else off on your street (we ask if yours is too)",
         OFF, (IMMEDIATE, APP, OFF),
         ((IMMEDIATE, "Yes, in the app and by email straight away"), (APP, "Yes, in the app only"),
          (OFF, "No, don't ask me"))),
    Kind("ask_expiring", "One of your asks is about to expire", DAILY),
    Kind("moderation", "A coordinator hides something of yours or removes you from the street", IMMEDIATE),
    Kind("coordinator", "You're appointed a coordinator of your street", IMMEDIATE),
    Kind("report_received", "A neighbour reports something on the street you coordinate", DAILY),
)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
# Hearing about new things on the street (the settings page shows them first, together).
NEWS_KINDS = ("street_news", "ask_matches_offer")
KIND_NAMES = tuple(BY_NAME)

# The special unsubscribe scopes besides a kind: every 'daily' kind, or all email.
DIGEST = "digest"
ALL = "all"


def is_kind(name: str) -> bool:
    return name in BY_NAME


def default_choices() -> dict[str, str]:
    return {k.name: k.default for k in KINDS}


def delivery_for(kind: str, choices: Mapping[str, str] | None, *, all_email_off: bool = False) -> str:
    """How a resident wants `kind` emailed, given their saved choices (missing kinds: the default)."""
    if all_email_off:
        return OFF
    chosen = (choices or {}).get(kind)
    if chosen in BY_NAME[kind].deliveries:
        return chosen
    return BY_NAME[kind].default


def email_via(delivery: str) -> str | None:
    """The notification.email_via value for a delivery choice (None: not emailed, APP and OFF)."""
    return {IMMEDIATE: "immediate", DAILY: "digest"}.get(delivery)


def prompts(delivery: str) -> bool:
    """For an opt-in kind (status_prompt): whether the resident wants it at all, in the app at least."""
    return delivery in (IMMEDIATE, APP)


def clean_choices(submitted: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(choices, errors) from a settings form or API body: known kinds only, known deliveries only."""
    choices: dict[str, str] = {}
    errors: dict[str, str] = {}
    for kind, value in submitted.items():
        if kind not in BY_NAME:
            errors[kind] = "There is no such kind of notification."
        elif value not in BY_NAME[kind].deliveries:
            errors[kind] = BY_NAME[kind].refusal()
        else:
            choices[kind] = value
    return choices, errors


def after_unsubscribe(scope: str, choices: Mapping[str, str] | None) -> tuple[dict[str, str], bool]:
    """(new choices, all_email_off) after a one-click unsubscribe from `scope`:
    a kind turns that kind's email off (in the app only, where it offers that; else off);
    DIGEST turns off every kind that went to the digest; ALL stops all email."""
    current = {k: delivery_for(k, choices) for k in KIND_NAMES}
    if scope == ALL:
        return current, True
    if scope == DIGEST:
        return {k: OFF if v == DAILY else v for k, v in current.items()}, False
    if scope in BY_NAME:
        return {**current, scope: APP if APP in BY_NAME[scope].deliveries else OFF}, False
    raise ValueError(f"unknown unsubscribe scope {scope!r}")


def scope_label(scope: str) -> str:
    """What an unsubscribe stops, as a noun phrase: "the daily digest"."""
    if scope == ALL:
        return "all emails from Streetshare"
    if scope == DIGEST:
        return "the daily digest"
    return f"emails about \u201c{BY_NAME[scope].label}\u201d" if scope in BY_NAME else scope


def local_time(moment: datetime) -> str:
    """"22 Nov, 18:05" in the street's time zone."""
    return moment.astimezone(DIGEST_ZONE).strftime("%-d %b, %H:%M")


# --- what a notification may point at ---------------------------------------------------------

TEXT_LENGTH = 500


def own_path_error(url: str) -> str | None:
    """Notifications link only to our own pages: "/exchanges/3", never "//x" or "https://x"."""
    if url == "":
        return None
    parts = urlsplit(url)
    if not url.startswith("/") or url.startswith("//") or "\\" in url or parts.scheme or parts.netloc:
        return "must be a path on this site"
    if len(url) > 300 or any(ord(ch) < 33 for ch in url):
        return "must be a short path without spaces"
    return None


# --- the daily digest ---------------------------------------------------------------------------

DIGEST_TIME = time(18, 0)  # early evening, when people look at their phones
try:
    DIGEST_ZONE: tzinfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no tz database on this machine: UTC is close enough in the UK
    DIGEST_ZONE = UTC


def next_digest_at(now: datetime) -> datetime:
    """When the next daily digest goes out: today at DIGEST_TIME (local), or tomorrow if that has passed."""
    local = now.astimezone(DIGEST_ZONE)
    at = datetime.combine(local.date(), DIGEST_TIME, tzinfo=DIGEST_ZONE)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), DIGEST_TIME, tzinfo=DIGEST_ZONE)
    return at.astimezone(UTC)


def digest_day(at: datetime) -> date:
    return at.astimezone(DIGEST_ZONE).date()


def digest_key(resident_id: int, at: datetime) -> str:
    """The idempotency key of a resident's digest job: one per resident per day."""
    return f"digest:{resident_id}:{digest_day(at).isoformat()}"


# --- quiet hours ------------------------------------------------------------------------------------
# A resident's quiet hours (default 22:00-07:00, London time): no email that could wake them about
# something urgent-but-not-dangerous (a street status prompt) is sent then. The prompt is written in
# the app, silently; its email waits for the end of the quiet hours (status/prompts.py decides
# whether it is still worth sending then). Start == end means no quiet hours.


@dataclass(frozen=True)
class QuietHours:
    start: time = time(22, 0)
    end: time = time(7, 0)

    @property
    def none(self) -> bool:
        return self.start == self.end

    def contains(self, moment: datetime) -> bool:
        at = moment.astimezone(DIGEST_ZONE).time()
        if self.none:
            return False
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """When the quiet hours that `moment` falls in end (UTC); `moment` itself when they are not on."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(DIGEST_ZONE)
        end = datetime.combine(local.date(), self.end, tzinfo=DIGEST_ZONE)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=DIGEST_ZONE)
        return end.astimezone(UTC)


DEFAULT_QUIET = QuietHours()
QUIET_TIMES = tuple(time(h, m) for h in range(24) for m in (0, 30))  # what the settings form offers
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def quiet_hours(start: time | None, end: time | None) -> QuietHours:
    """A resident's quiet hours from their stored setting (NULL: the default)."""
    if start is None or end is None:
        return DEFAULT_QUIET
    return QuietHours(start, end)


def clean_quiet_hours(start: str, end: str) -> tuple[QuietHours | None, dict[str, str]]:
    """(quiet hours, errors) from a form or API body: two times as "HH:MM"."""
    errors: dict[str, str] = {}
    parsed: dict[str, time] = {}
    for field, value in (("quiet_start", start), ("quiet_end", end)):
        match = _HH_MM.match((value or "").strip())
        if match is None:
            errors[field] = "Give a time like 22:00."
        else:
            parsed[field] = time(int(match.group(1)), int(match.group(2)))
    if errors:
        return None, errors
    return QuietHours(parsed["quiet_start"], parsed["quiet_end"]), {}


# --- the street round-up ---------------------------------------------------------------------------
# Residents who opt in ("street_news": daily) get, once a day, one notification listing the new
# offers and asks (later: notices) on their street, in the app and in that evening's digest email.
# A round-up covers the day up to ROUNDUP_CUTOFF, a little before the digest goes out, so that the
# upkeep task (which runs every minute) has written it before the digest job runs.

STREET_NEWS = "street_news"
ROUNDUP_CUTOFF = time(17, 45)
ROUNDUP_LOOKS_BACK = timedelta(days=7)  # a worker down for longer does not send a month in one go
ROUNDUP_SHOWS = 20
POST_TYPES = {"offer": ("offer", "offers"), "ask": ("ask", "asks"), "notice": ("notice", "notices")}


@dataclass(frozen=True)
class RoundupWindow:
    end: datetime  # the latest cutoff at or before now
    day: date  # the digest day it belongs to

    def start(self, through: datetime | None) -> datetime:
        """Where this resident's round-up starts: where the last one ended (at most a week back),
        or a day before `end` for a first one."""
        if through is None:
            return self.end - timedelta(days=1)
        return max(through, self.end - ROUNDUP_LOOKS_BACK)


def roundup_window(now: datetime) -> RoundupWindow:
    local = now.astimezone(DIGEST_ZONE)
    end = datetime.combine(local.date(), ROUNDUP_CUTOFF, tzinfo=DIGEST_ZONE)
    if end > local:
        end = datetime.combine(local.date() - timedelta(days=1), ROUNDUP_CUTOFF, tzinfo=DIGEST_ZONE)
    return RoundupWindow(end=end.astimezone(UTC), day=end.date())


def roundup_text(posts: list[Mapping[str, str]]) -> str:
    """"New on your street: 2 offers and 1 ask"."""
    counts: dict[str, int] = {}
    for post in posts:
        counts[post["type"]] = counts.get(post["type"], 0) + 1
    parts = []
    for type_, n in counts.items():
        one, many = POST_TYPES.get(type_, ("post", "posts"))
        parts.append(f"{n} {one if n == 1 else many}")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"New on your street: {listed}"


def clean_posts(posts: list[Mapping[str, str]]) -> list[dict[str, str]]:
    """The round-up's details: type, a one-line title and a link on this site, for each post."""
    cleaned = []
    for post in posts:
        url = str(post.get("url") or "")
        if own_path_error(url) is not None:
            raise ValueError(f"round-up url {url!r} {own_path_error(url)}")
        title = re.sub(r"\s+", " ", str(post.get("title") or "")).strip()[:120]
        cleaned.append({"type": str(post.get("type") or "post"), "title": title, "url": url})
    return cleaned


def post_label(type_: str) -> str:
    return POST_TYPES.get(type_, ("post", "posts"))[0]


# --- one-click unsubscribe tokens ----------------------------------------------------------------
# "<resident>.<scope>.<signature>": readable, URL-safe, and they never expire (an unsubscribe link
# in an old email should still work). The worst a leaked token can do is turn that email off.
# Changing SECRET_KEY invalidates every token (people can still use the settings page).

_TOKEN = re.compile(r"^(\d{1,12})\.([a-z_]{1,40})\.([A-Za-z0-9_-]{43})$")
_PURPOSE = b"streetshare.notifications.unsubscribe.v1"


def _signature(secret_key: str, resident_id: int, scope: str) -> str:
    key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(key, f"{resident_id}:{scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def unsubscribe_token(secret_key: str, resident_id: int, scope: str) -> str:
    if scope not in BY_NAME and scope not in (DIGEST, ALL):
        raise ValueError(f"unknown unsubscribe scope {scope!r}")
    return f"{resident_id}.{scope}.{_signature(secret_key, resident_id, scope)}"


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """(resident_id, scope) if the token is ours and untampered, else None."""
    match = _TOKEN.match(token or "")
    if not match:
        return None
    resident_id, scope, signature = int(match.group(1)), match.group(2), match.group(3)
    if scope not in BY_NAME and scope not in (DIGEST, ALL):
        return None
    if not hmac.compare_digest(signature, _signature(secret_key, resident_id, scope)):
        return None
    return resident_id, scope
