"""Reads about residents and their sign-in tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from streetshare import clock, db
from streetshare.accounts.tokens import token_hash

UNREAD_CAP = 100  # the badge shows "99+" beyond this; counting stops here (partial index notification_unread)


@dataclass(frozen=True)
class CurrentResident:
    """Who is making a request: what every page and guard needs, from one query."""

    id: int
    display_name: str
    email: str
    token_id: int
    created_at: datetime
    # Unread notifications (capped at UNREAD_CAP), for the badge on every page.
    unread: int = 0


async def resident_for_token(token: str, kind: str) -> CurrentResident | None:
    """The active resident a session or API token belongs to, or None if it is unknown or expired.

    Marks the token as used at most once every five minutes, so most requests only read.
    """
    if not token or len(token) > 100:
        return None
    now = clock.now()
    row = await db.fetchrow(
        """
        SELECT t.id AS token_id, t.last_used_at, r.id, r.display_name, r.email, r.created_at,
               (SELECT count(*) FROM (SELECT 1 FROM notification n WHERE n.resident = r.id AND n.read_at IS NULL
                                      LIMIT $4) u) AS unread
        FROM auth_token t JOIN resident r ON r.id = t.resident
        WHERE t.token_hash = $1 AND t.kind = $2 AND r.is_active
          AND (t.expires_at IS NULL OR t.expires_at > $3)
        """,
        token_hash(token),
        kind,
        now,
        UNREAD_CAP,
    )
    if row is None:
        return None
    if now - row["last_used_at"] > timedelta(minutes=5):
        await db.execute(
            "UPDATE auth_token SET last_used_at = $2 WHERE id = $1", row["token_id"], now
        )
        await db.execute("UPDATE resident SET last_seen_at = $2 WHERE id = $1", row["id"], now)
    return CurrentResident(
        id=row["id"],
        display_name=row["display_name"],
        email=row["email"],
        token_id=row["token_id"],
        created_at=row["created_at"],
        unread=row["unread"],
    )


async def active_sessions(resident_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM auth_token WHERE resident = $1 AND kind = 'session' AND (expires_at IS NULL OR expires_at > $2)",
        resident_id,
        clock.now(),
    )


async def resident_by_id(resident_id: int):
    return await db.fetchrow(
        "SELECT id, display_name, email, created_at FROM resident WHERE id = $1 AND is_active", resident_id
    )


# ---------------------------------------------------------------- the resident's own data, to download
# product.md: "export their data". One report query per section, each reading only rows that are the
# resident's own or that they took part in. Other residents appear by display name only (no email, no
# home). PRIVACY: the exact home point never leaves the server, not even to its owner: the export says
# whether it is set and gives the address the resident typed, if any.

EXPORT_FORMAT = "streetshare-export/1"


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _rows(records) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in records]


async def personal_data(resident_id: int) -> dict[str, Any] | None:
    """Everything Streetshare keeps about the resident, or None for no such active account."""
    me = await db.fetchrow(
        """SELECT r.id, r.email, r.display_name, r.created_at, r.last_seen_at, r.looks_at, r.home_address,
                  (r.home_lat IS NOT NULL) AS home_set, s.name AS street, r.street_joined_at
           FROM resident r LEFT JOIN street s ON s.id = r.street WHERE r.id = $1 AND r.is_active""", resident_id)
    if me is None:
        return None
    account = {k: _plain(v) for k, v in me.items() if k not in ("home_address", "home_set")}
    account["home"] = {"set": me["home_set"], "address": me["home_address"],
                       "note": "The point on the map is kept on the server only and shown to nobody, you included."}
    return {
        "format": EXPORT_FORMAT,
        "exported_at": clock.now().isoformat(),
        "account": account,
        "offers": _rows(await db.fetch(
            """SELECT o.id, o.kind, o.title, o.description, o.category, o.status, s.name AS street,
                      o.neighbours_may_see, o.loan_days, o.slots, o.starts_at, o.ends_at, o.created_at, o.updated_at,
                      (SELECT count(*) FROM photo p WHERE p.offer = o.id) AS photos
               FROM offer o LEFT JOIN street s ON s.id = o.street WHERE o.owner = $1 ORDER BY o.id""", resident_id)),
        "asks": _rows(await db.fetch(
            """SELECT a.id, a.title, a.description, a.category, a.help_kind, a.needed_by, a.expires_at, a.status,
                      s.name AS street, a.created_at, a.updated_at
               FROM ask a LEFT JOIN street s ON s.id = a.street WHERE a.owner = $1 ORDER BY a.id""", resident_id)),
        "exchanges": await _exchanges(resident_id),
        "thanks_written": _rows(await db.fetch(
            """SELECT t.exchange, r.display_name AS to_whom, t.text, t.created_at FROM thanks t
               JOIN resident r ON r.id = t.recipient WHERE t.author = $1 ORDER BY t.id""", resident_id)),
        "thanks_received": _rows(await db.fetch(
            """SELECT t.exchange, r.display_name AS from_whom, t.text, t.created_at FROM thanks t
               JOIN resident r ON r.id = t.author WHERE t.recipient = $1 ORDER BY t.id""", resident_id)),
        "notifications": _rows(await db.fetch(
            "SELECT kind, text, url, created_at, read_at, emailed_at FROM notification WHERE resident = $1 ORDER BY id",
            resident_id)),
        "email_choices": _rows(await db.fetch(
            "SELECT choices, all_email_off, updated_at FROM notification_settings WHERE resident = $1", resident_id)),
        "looking_out": _rows(await db.fetch(
            "SELECT check_on_me, check_after_days, show_as_sharer, updated_at FROM care_preference WHERE resident = $1",
            resident_id)),
        "blocked": _rows(await db.fetch(
            """SELECT r.display_name, b.created_at FROM resident_block b JOIN resident r ON r.id = b.blocked
               WHERE b.blocker = $1 ORDER BY b.id""", resident_id)),
        "reports_made": _rows(await db.fetch(
            "SELECT target_kind, reason, status, created_at FROM report WHERE reporter = $1 ORDER BY id", resident_id)),
        "coordinates": _rows(await db.fetch(
            """SELECT s.name AS street, c.appointed_at FROM street_coordinator c JOIN street s ON s.id = c.street
               WHERE c.resident = $1 ORDER BY c.id""", resident_id)),
    }


async def _exchanges(resident_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT e.id, coalesce(o.title, a.title) AS about, e.offer_kind AS kind,
                  CASE WHEN e.provider = $1 THEN 'provider' ELSE 'recipient' END AS you_were,
                  other.display_name AS with_whom, e.state, e.message, e.wanted_from, e.due_back,
                  e.requested_at, e.accepted_at, e.handed_over_at, e.returned_at, e.completed_at, e.ended_at
           FROM exchange e
           LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask
           JOIN resident other ON other.id = CASE WHEN e.provider = $1 THEN e.recipient ELSE e.provider END
           WHERE e.provider = $1 OR e.recipient = $1 ORDER BY e.id""", resident_id)
    ids = [r["id"] for r in rows]
    events: dict[int, list] = {i: [] for i in ids}
    for ev in await db.fetch(
            """SELECT exchange, action, CASE WHEN actor = $2 THEN 'you' WHEN actor IS NULL THEN 'Streetshare'
                      ELSE 'them' END AS by, from_state, to_state, note, at
               FROM exchange_event WHERE exchange = ANY($1::int[]) ORDER BY id""", ids, resident_id):
        events[ev["exchange"]].append({k: _plain(v) for k, v in ev.items() if k != "exchange"})
    messages: dict[int, list] = {i: [] for i in ids}
    for m in await db.fetch(
            """SELECT exchange, CASE WHEN author = $2 THEN 'you' ELSE 'them' END AS by, text, at
               FROM exchange_message WHERE exchange = ANY($1::int[]) ORDER BY id""", ids, resident_id):
        messages[m["exchange"]].append({k: _plain(v) for k, v in m.items() if k != "exchange"})
    return [{**{k: _plain(v) for k, v in r.items()}, "events": events[r["id"]], "messages": messages[r["id"]]}
            for r in rows]
