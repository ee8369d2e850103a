"""Reads for moderation: a street's report queue and its moderation log (display names, titles,
reasons; never an email, an address or a message between neighbours)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from streetshare import db
from streetshare.asks.queries import ask_visible_to
from streetshare.exchanges.queries import exchange_for
from streetshare.offers.queries import offer_visible_to
from streetshare.reputation.queries import profile_access

PAGE_SIZE = 30


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: int
    created_at: datetime
    reporter: str | None
    target_kind: str
    target_id: int
    # What it is about: a title, a display name; None when it no longer exists.
    target_label: str | None
    # Whose it is (the resident a "remove" would act on), and whether they still live on the street.
    owner_id: int | None
    owner_name: str | None
    owner_on_street: bool
    hidden: bool
    reason: str
    status: str
    handled_by: str | None
    handled_at: datetime | None
    note: str


@dataclass(frozen=True, slots=True)
class ReportPage:
    items: list[ReportRow]
    next: str | None


def encode_cursor(at: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|")
        return datetime.fromisoformat(at), int(row_id)
    except (ValueError, UnicodeDecodeError):
        return None


REPORTS_SQL = """
SELECT rep.id, rep.created_at, rr.display_name AS reporter, rep.target_kind, rep.target_id, rep.reason,
       rep.status, hb.display_name AS handled_by, rep.handled_at, rep.note,
       CASE rep.target_kind
           WHEN 'offer' THEN o.title
           WHEN 'ask' THEN a.title
           WHEN 'resident' THEN tr.display_name
           WHEN 'exchange' THEN coalesce(eo.title, ea.title)
           WHEN 'thanks' THEN 'A thanks note'
       END AS target_label,
       tr.id AS owner_id, tr.display_name AS owner_name, coalesce(tr.street = rep.street, false) AS owner_on_street,
       coalesce(o.hidden_at, a.hidden_at) IS NOT NULL AS hidden
FROM report rep
LEFT JOIN resident rr ON rr.id = rep.reporter
LEFT JOIN resident hb ON hb.id = rep.handled_by
LEFT JOIN offer o ON rep.target_kind = 'offer' AND o.id = rep.target_id
LEFT JOIN ask a ON rep.target_kind = 'ask' AND a.id = rep.target_id
LEFT JOIN exchange e ON rep.target_kind = 'exchange' AND e.id = rep.target_id
LEFT JOIN offer eo ON eo.id = e.offer
LEFT JOIN ask ea ON ea.id = e.ask
LEFT JOIN resident tr ON tr.id = CASE rep.target_kind
    WHEN 'resident' THEN rep.target_id WHEN 'offer' THEN o.owner WHEN 'ask' THEN a.owner END
WHERE rep.street = $1 AND ($2::text IS NULL OR rep.status = $2)
  AND ($3::timestamptz IS NULL OR (rep.created_at, rep.id) < ($3, $4))
ORDER BY rep.created_at DESC, rep.id DESC
LIMIT $5
"""


def _report(r) -> ReportRow:
    return ReportRow(
        id=r["id"], created_at=r["created_at"], reporter=r["reporter"], target_kind=r["target_kind"],
        target_id=r["target_id"], target_label=r["target_label"], owner_id=r["owner_id"], owner_name=r["owner_name"],
        owner_on_street=r["owner_on_street"], hidden=r["hidden"], reason=r["reason"], status=r["status"],
        handled_by=r["handled_by"], handled_at=r["handled_at"], note=r["note"],
    )


async def reports(street_id: int, *, status: str | None, cursor: str | None = None, limit: int = PAGE_SIZE) -> ReportPage:
    """The street's reports with that status (None: all), newest first, a page at a time."""
    after = decode_cursor(cursor)
    rows = await db.fetch(REPORTS_SQL, street_id, status, after[0] if after else None, after[1] if after else 0, limit + 1)
    items = [_report(r) for r in rows[:limit]]
    more = len(rows) > limit
    return ReportPage(items, encode_cursor(items[-1].created_at, items[-1].id) if more and items else None)


async def report_counts(street_id: int) -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n FROM report WHERE street = $1 GROUP BY status", street_id)
    counts = {"open": 0, "acted_on": 0, "dismissed": 0}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


@dataclass(frozen=True, slots=True)
class LogRow:
    id: int
    at: datetime
    actor: str | None
    action: str
    target_kind: str
    target_id: int
    target_label: str | None
    reason: str


async def moderation_log(street_id: int, *, cursor: str | None = None, limit: int = 100) -> tuple[list[LogRow], str | None]:
    after = decode_cursor(cursor)
    rows = await db.fetch(
        """
        SELECT l.id, l.at, ar.display_name AS actor, l.action, l.target_kind, l.target_id, l.reason,
               CASE l.target_kind
                   WHEN 'resident' THEN tr.display_name
                   WHEN 'offer' THEN o.title
                   WHEN 'ask' THEN a.title
                   WHEN 'invite' THEN 'invite ' || i.code
                   WHEN 'report' THEN 'report #' || l.target_id
                   WHEN 'thanks' THEN 'a thanks note'
               END AS target_label
        FROM moderation_log l
        LEFT JOIN resident ar ON ar.id = l.actor
        LEFT JOIN resident tr ON l.target_kind = 'resident' AND tr.id = l.target_id
        LEFT JOIN offer o ON l.target_kind = 'offer' AND o.id = l.target_id
        LEFT JOIN ask a ON l.target_kind = 'ask' AND a.id = l.target_id
        LEFT JOIN street_invite i ON l.target_kind = 'invite' AND i.id = l.target_id
        WHERE l.street = $1 AND ($2::timestamptz IS NULL OR (l.at, l.id) < ($2, $3))
        ORDER BY l.at DESC, l.id DESC
        LIMIT $4
        """,
        street_id, after[0] if after else None, after[1] if after else 0, limit + 1,
    )
    items = [LogRow(r["id"], r["at"], r["actor"], r["action"], r["target_kind"], r["target_id"], r["target_label"],
                    r["reason"]) for r in rows[:limit]]
    more = len(rows) > limit
    return items, (encode_cursor(items[-1].at, items[-1].id) if more and items else None)


@dataclass(frozen=True, slots=True)
class ReportTarget:
    """What a resident is about to report, as the form shows it."""

    kind: str
    id: int
    label: str


async def report_target(kind: str, target_id: int, viewer_id: int) -> ReportTarget | None:
    """What `viewer_id` may report, or None when they may not see it: the same visibility as the item's own
    page (an offer or ask in their scope, an exchange they are a party to, a profile they may open, a thanks
    note they can read), so the report form never names anything from another street."""
    label: str | None = None
    if kind == "offer" and await offer_visible_to(target_id, viewer_id):
        label = await db.fetchval("SELECT title FROM offer WHERE id = $1", target_id)
    elif kind == "ask" and await ask_visible_to(target_id, viewer_id):
        label = await db.fetchval("SELECT title FROM ask WHERE id = $1", target_id)
    elif kind == "exchange":
        exchange = await exchange_for(target_id, viewer_id)
        label = exchange.title if exchange else None
    elif kind == "resident" and (await profile_access(target_id, viewer_id)).visible:
        label = await db.fetchval("SELECT display_name FROM resident WHERE id = $1 AND is_active", target_id)
    elif kind == "thanks" and await _thanks_visible_to(target_id, viewer_id):
        label = "a thanks note"
    return ReportTarget(kind, target_id, label) if label else None


async def _thanks_visible_to(thanks_id: int, viewer_id: int) -> bool:
    """A thanks note shows on its exchange's page (to the two parties) and, unless hidden, on its
    recipient's profile (to whoever may open that profile)."""
    row = await db.fetchrow(
        "SELECT t.recipient, t.hidden_at, e.provider, e.recipient AS taker FROM thanks t "
        "JOIN exchange e ON e.id = t.exchange WHERE t.id = $1",
        thanks_id,
    )
    if row is None:
        return False
    if viewer_id in (row["provider"], row["taker"]):
        return True
    return row["hidden_at"] is None and (await profile_access(row["recipient"], viewer_id)).visible


async def street_target(street_id: int, kind: str, target_id: int) -> ReportTarget | None:
    """An offer, ask or thanks note on this street, for its coordinators' hide form (None if it is elsewhere)."""
    if kind == "offer":
        label = await db.fetchval("SELECT title FROM offer WHERE id = $1 AND street = $2", target_id, street_id)
    elif kind == "ask":
        label = await db.fetchval("SELECT title FROM ask WHERE id = $1 AND street = $2", target_id, street_id)
    elif kind == "thanks":
        label = await db.fetchval(
            "SELECT 'a thanks note' FROM thanks t JOIN exchange e ON e.id = t.exchange "
            "LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask "
            "WHERE t.id = $1 AND coalesce(o.street, a.street) = $2",
            target_id, street_id,
        )
    else:
        label = None
    return ReportTarget(kind, target_id, label) if label else None


async def street_member(street_id: int, resident_id: int) -> ReportTarget | None:
    """A resident who lives on this street, for its coordinators' remove form (None for anyone else)."""
    label = await db.fetchval("SELECT display_name FROM resident WHERE id = $1 AND street = $2 AND is_active",
                              resident_id, street_id)
    return ReportTarget("resident", resident_id, label) if label else None
