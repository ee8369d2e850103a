"""Reads about residents and their sign-in tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
