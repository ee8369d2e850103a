"""Reads: a resident's notifications, unread count and email choices."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from streetshare import db
from streetshare.notifications import rules

PAGE_SIZE = 30


@dataclass(frozen=True)
class NotificationItem:
    id: int
    kind: str
    text: str
    url: str
    actor_id: int | None
    actor_name: str | None  # the other party by display name only, never their email
    exchange_id: int | None
    created_at: datetime
    read: bool
    details: tuple[dict, ...] = ()  # a round-up's posts: type, title, url

    @property
    def label(self) -> str:
        return rules.BY_NAME[self.kind].label if self.kind in rules.BY_NAME else self.kind


@dataclass(frozen=True)
class Page:
    items: list[NotificationItem]
    next: str | None  # cursor for the following (older) page


@dataclass(frozen=True)
class EmailChoices:
    choices: dict[str, str]  # every kind, with defaults filled in
    all_email_off: bool
    quiet: rules.QuietHours = rules.DEFAULT_QUIET

    def delivery(self, kind: str) -> str:
        return rules.delivery_for(kind, self.choices, all_email_off=self.all_email_off)


def encode_cursor(item: NotificationItem) -> str:
    raw = json.dumps([item.created_at.isoformat(), item.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (created_at, id) a cursor points after; None for no cursor or one we did not make."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, ident = json.loads(raw)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(ident, int):
            return None
        return moment, ident
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None


async def notifications_for(resident_id: int, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """The resident's notifications, newest first, a page at a time."""
    after = decode_cursor(cursor)
    limit = max(1, min(limit, 100))
    rows = await db.fetch(
        """
        SELECT n.id, n.kind, n.text, n.url, n.actor, a.display_name AS actor_name, n.exchange, n.created_at,
               n.read_at IS NOT NULL AS read, n.details
        FROM notification n LEFT JOIN resident a ON a.id = n.actor
        WHERE n.resident = $1 AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2, $3))
        ORDER BY n.created_at DESC, n.id DESC
        LIMIT $4
        """,
        resident_id,
        after[0] if after else None,
        after[1] if after else 0,
        limit + 1,
    )
    items = [
        NotificationItem(
            id=r["id"], kind=r["kind"], text=r["text"], url=r["url"], actor_id=r["actor"], actor_name=r["actor_name"],
            exchange_id=r["exchange"], created_at=r["created_at"], read=r["read"], details=json_list(r["details"]),
        )
        for r in rows[:limit]
    ]
    return Page(items=items, next=encode_cursor(items[-1]) if len(rows) > limit else None)


async def unread_count(resident_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM notification WHERE resident = $1 AND read_at IS NULL", resident_id)


async def email_choices(resident_id: int) -> EmailChoices:
    row = await db.fetchrow(
        "SELECT choices, all_email_off, quiet_start, quiet_end FROM notification_settings WHERE resident = $1",
        resident_id,
    )
    saved = json_object(row["choices"]) if row else {}
    return EmailChoices(
        choices={k: rules.delivery_for(k, saved) for k in rules.KIND_NAMES},
        all_email_off=bool(row and row["all_email_off"]),
        quiet=rules.quiet_hours(row["quiet_start"], row["quiet_end"]) if row else rules.DEFAULT_QUIET,
    )


@dataclass(frozen=True)
class Wants:
    """How a resident who opted in to a kind wants it: its delivery (never OFF) and what bounds its email."""

    resident_id: int
    delivery: str
    all_email_off: bool
    quiet: rules.QuietHours


async def told_since(kind: str, resident_ids: list[int], since: datetime, *, once_key_prefix: str) -> set[int]:
    """Of `resident_ids`, those sent a `kind` notification since `since` whose once_key starts with
    `once_key_prefix` (so a domain can ask "told about this topic lately?" by how it makes its keys)."""
    if not resident_ids:
        return set()
    rows = await db.fetch(
        """
        SELECT DISTINCT resident FROM notification
        WHERE kind = $1 AND resident = ANY($2::int[]) AND created_at >= $3 AND starts_with(once_key, $4)
        """,
        kind, list(resident_ids), since, once_key_prefix,
    )
    return {r["resident"] for r in rows}


async def opted_in(kind: str, resident_ids: list[int]) -> dict[int, Wants]:
    """Of `resident_ids`, those who want `kind` at all (an opt-in kind whose default is OFF: a
    status prompt), whatever "stop all email" says: that stops the email, not the app."""
    rows = await db.fetch(
        """
        SELECT resident, choices ->> $1 AS chosen, all_email_off, quiet_start, quiet_end
        FROM notification_settings WHERE resident = ANY($2::int[]) AND choices ? $1
        """,
        kind, list(resident_ids),
    )
    found = {}
    for r in rows:
        delivery = rules.delivery_for(kind, {kind: r["chosen"]})
        if rules.prompts(delivery):
            found[r["resident"]] = Wants(r["resident"], delivery, r["all_email_off"],
                                         rules.quiet_hours(r["quiet_start"], r["quiet_end"]))
    return found


@dataclass(frozen=True)
class RoundupDue:
    resident_id: int
    street_id: int
    through: datetime | None  # where their last round-up ended


STREET_NEWS_DUE_SQL = """
    SELECT s.resident, r.street, s.street_news_through
    FROM notification_settings s JOIN resident r ON r.id = s.resident
    WHERE s.choices ->> 'street_news' = 'daily' AND r.is_active AND r.street IS NOT NULL
      AND (s.street_news_through IS NULL OR s.street_news_through < $1)
    ORDER BY s.resident
    LIMIT $2
"""


async def street_news_due(window_end: datetime, *, limit: int = 500) -> list[RoundupDue]:
    """Residents who opted in to the street round-up, live on a street, and have not had the
    round-up that ends at `window_end` yet. (The condition on choices is written out, not a
    parameter, so that it matches the partial index notification_settings_street_news.)"""
    rows = await db.fetch(STREET_NEWS_DUE_SQL, window_end, limit)
    return [RoundupDue(r["resident"], r["street"], r["street_news_through"]) for r in rows]


def json_list(value) -> tuple[dict, ...]:
    """A jsonb list of objects as a tuple of dicts (NULL: empty)."""
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(v for v in value if isinstance(v, dict)) if isinstance(value, list) else ()


def json_object(value) -> dict:
    """A jsonb value as a dict (asyncpg hands jsonb over as text)."""
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}
