"""Pure rules for street coordinators: who may do what, periods, invite codes, the numbers'
meaning, and the texts a coordinator pastes into the street's group chat. No I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# ---------------------------------------------------------------- who may do what


@dataclass(frozen=True, slots=True)
class Standing:
    """How the person asking stands towards a street."""

    is_coordinator: bool
    is_member: bool


def may_coordinate(standing: Standing) -> bool:
    """The dashboard, the queue, the log, invites, the flyer, the export: coordinators only."""
    return standing.is_coordinator


def refusal(standing: Standing) -> str:
    """Why not: a member hears it is for coordinators; anyone else learns nothing (404)."""
    return "member" if standing.is_member else "stranger"


def may_step_down(coordinator_count: int) -> bool:
    """A street keeps at least one coordinator."""
    return coordinator_count > 1


# ---------------------------------------------------------------- periods

PERIODS = {"30d": "Last 30 days", "12w": "Last 12 weeks", "all": "All time"}
DEFAULT_PERIOD = "30d"


def parse_period(raw: str | None) -> str:
    return raw if raw in PERIODS else DEFAULT_PERIOD


def period_start(period: str, now: datetime, street_created_at: datetime) -> datetime:
    """The first moment the period covers (all time: when the street began)."""
    if period == "30d":
        return now - timedelta(days=30)
    if period == "12w":
        return now - timedelta(weeks=12)
    return min(street_created_at, now)


def chart_bucket(start: datetime, now: datetime) -> str:
    """Weeks, unless that would be more than 26 bars on a phone: then months."""
    return "week" if (now - start) <= timedelta(weeks=26) else "month"


# ---------------------------------------------------------------- figures

UNMET_AFTER = timedelta(days=7)
QUIET_DEFAULT_DAYS = 7
QUIET_MIN_DAYS, QUIET_MAX_DAYS = 2, 60
TOP_SHARERS = 5


def completion_rate(completed: int, finished: int) -> int | None:
    """Of the exchanges that have finished (completed, declined, cancelled, expired), the share
    completed, as a whole percentage; None when none has finished yet."""
    if finished <= 0:
        return None
    return round(100 * completed / finished)


def describe_duration(seconds: float | None) -> str:
    """A median time, as a person would say it: "about 3 hours", "about 2 days"."""
    if seconds is None:
        return "not enough data yet"
    minutes = seconds / 60
    if minutes < 60:
        n = max(1, round(minutes))
        return f"about {n} minute{'s' if n != 1 else ''}"
    hours = minutes / 60
    if hours < 36:
        n = round(hours)
        return f"about {n} hour{'s' if n != 1 else ''}"
    days = round(hours / 24)
    return f"about {days} days"


def waited(since: datetime, now: datetime) -> str:
    """How long an ask has waited: "8 days", "3 weeks"."""
    days = max(0, (now - since).days)
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 70:
        return f"{days // 7} weeks"
    return f"{days // 30} months"


def quiet_days_error(raw: str | int | None) -> str | None:
    try:
        days = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"Choose a number of days between {QUIET_MIN_DAYS} and {QUIET_MAX_DAYS}."
    if not QUIET_MIN_DAYS <= days <= QUIET_MAX_DAYS:
        return f"Choose a number of days between {QUIET_MIN_DAYS} and {QUIET_MAX_DAYS}."
    return None


# ---------------------------------------------------------------- invites

# No 0/O, 1/I/L: a code read off a flyer and typed on a phone should not be mistyped.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
INVITE_DAYS_DEFAULT = 30
INVITE_DAYS_MAX = 365
INVITE_USES_MAX = 1000
FLYER_INVITE_DAYS = 90


CODE_HELP = "The code on the flyer has 8 letters and numbers, for example K7MQ3XPT."


def new_invite_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What a neighbour typed ("k7mq 3xpt", "K7MQ-3XPT") as a stored code ("K7MQ3XPT")."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def invite_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/join/{code}"


def invite_days_error(raw: str | int | None) -> str | None:
    try:
        days = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"Choose how many days the link works: 1 to {INVITE_DAYS_MAX}."
    if not 1 <= days <= INVITE_DAYS_MAX:
        return f"Choose how many days the link works: 1 to {INVITE_DAYS_MAX}."
    return None


def max_uses_error(raw: str | int | None) -> str | None:
    """Blank means no limit."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        uses = int(raw)
    except (TypeError, ValueError):
        return "Type a number of people, or leave it blank for no limit."
    if not 1 <= uses <= INVITE_USES_MAX:
        return f"Choose between 1 and {INVITE_USES_MAX} people, or leave it blank for no limit."
    return None


def parse_max_uses(raw: str | int | None) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return int(raw)


def invite_usable(*, expires_at: datetime | None, max_uses: int | None, uses: int, revoked_at: datetime | None,
                  now: datetime) -> bool:
    if revoked_at is not None:
        return False
    if expires_at is not None and expires_at <= now:
        return False
    return max_uses is None or uses < max_uses


# ---------------------------------------------------------------- texts for the group chat

SHARE_ASKS_MAX = 10


@dataclass(frozen=True, slots=True)
class UnmetAsk:
    id: int
    title: str
    category: str
    owner_name: str
    created_at: datetime
    needed_by: date | None


def invite_share_text(street_name: str, url: str, code: str) -> str:
    return (
        f"Hello neighbours! {street_name} is on Streetshare: lend, give, ask and help each other, "
        f"all free. Join us here: {url} (or type the code {code}). See you there!"
    )


def unmet_asks_share_text(street_name: str, asks: list[UnmetAsk], now: datetime, base_url: str) -> str:
    """A list of open asks to paste into the street's group chat (first names only, no addresses)."""
    if not asks:
        return ""
    lines = [f"Can anyone on {street_name} help? These neighbours are still waiting:"]
    for ask in asks[:SHARE_ASKS_MAX]:
        needed = f", needed by {ask.needed_by.strftime('%-d %b')}" if ask.needed_by else ""
        lines.append(f"- {ask.title} ({ask.owner_name}, waiting {waited(ask.created_at, now)}{needed})")
    if len(asks) > SHARE_ASKS_MAX:
        lines.append(f"…and {len(asks) - SHARE_ASKS_MAX} more.")
    lines.append(f"Reply on Streetshare: {base_url.rstrip('/')}/")
    return "\n".join(lines)


# ---------------------------------------------------------------- street status history (issue 14)
# Evidence for a council or a utility: per topic how often the street was cut off in the last 12
# months, for how long and how many homes. Durations count ended incidents only; homes count all.

INCIDENT_YEAR = timedelta(days=365)
RECENT_INCIDENTS = 10


@dataclass(frozen=True, slots=True)
class TopicHistory:
    topic: str
    label: str
    times: int  # incidents started in the last 12 months
    median: timedelta | None  # of the ended ones
    longest: timedelta | None
    median_homes: int
    most_homes: int
    off_now: bool

    @property
    def times_words(self) -> str:
        return {1: "once", 2: "twice"}.get(self.times, f"{self.times} times")


def incident_figures(incidents, order: list[str]) -> list[TopicHistory]:
    """Per topic (in `order`, topics with no incident left out) from incident rows with topic, label,
    started_at, ended_at and homes."""
    by_topic: dict[str, list] = {}
    for row in incidents:
        by_topic.setdefault(row.topic, []).append(row)
    figures = []
    for topic in sorted(by_topic, key=lambda t: order.index(t) if t in order else len(order)):
        rows = by_topic[topic]
        spans = sorted(r.ended_at - r.started_at for r in rows if r.ended_at is not None)
        homes = sorted(r.homes for r in rows)
        figures.append(TopicHistory(
            topic=topic, label=rows[0].label, times=len(rows),
            median=_median(spans), longest=spans[-1] if spans else None,
            median_homes=round(_median(homes)), most_homes=homes[-1],
            off_now=any(r.ended_at is None for r in rows),
        ))
    return figures


def _median(values: list):
    """The middle value of sorted `values` (the mean of the middle two), or None for none."""
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def span_words(span: timedelta | None) -> str:
    """"1 h 38 min", "6 h", "1 day", "3 days 2 h": how long a street was cut off."""
    if span is None:
        return "–"
    minutes = max(0, round(span.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "0 min"


def incident_when(started: datetime, ended: datetime | None, zone) -> str:
    """"20 Nov, 18:02–19:40", "9 Nov 08:00 – 12 Nov 08:00", "since 20 Nov, 18:02" in local time."""
    start = started.astimezone(zone)
    if ended is None:
        return f"since {start:%-d %b, %H:%M}"
    end = ended.astimezone(zone)
    if end.date() == start.date():
        return f"{start:%-d %b, %H:%M}\u2013{end:%H:%M}"
    return f"{start:%-d %b %H:%M} \u2013 {end:%-d %b %H:%M}"


# ---------------------------------------------------------------- preferences


def describe_preferences(check_on_me: bool, days: int, show_as_sharer: bool) -> list[str]:
    said = []
    if check_on_me:
        said.append(f"Your coordinators will see your name if you haven't been on Streetshare for {days} days.")
    if show_as_sharer:
        said.append("Your name can appear among your street's top sharers.")
    return said
