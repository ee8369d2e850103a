"""The street round-up's source: what is new on a resident's street, for notifications to send.

The notifications domain sits below offers and asks and never reads them; this upkeep task (run by
the worker every minute) finds who is due a round-up (notifications.queries.street_news_due),
lists the new posts on each one's street that they may see, and hands them over as plain data
(notifications.service.post_street_roundup). Notices, when they arrive, add a third SELECT here.

What a resident may see follows the feed's rules (feed/queries.py), for their home street only:
never their own posts, never a hidden one, nothing of a resident who blocked them or whom they
blocked, nothing of a closed account; offers still active and asks still open.
"""

from __future__ import annotations

from datetime import datetime

from streetshare import clock, db
from streetshare.notifications import queries as notifications_queries
from streetshare.notifications import rules as notifications_rules
from streetshare.notifications import service as notifications

_VISIBLE = """
    p.street = $2 AND p.owner <> $1 AND p.hidden_at IS NULL AND p.created_at >= $3 AND p.created_at < $4
    AND EXISTS (SELECT 1 FROM resident ow WHERE ow.id = p.owner AND ow.is_active)
    AND NOT EXISTS (SELECT 1 FROM resident_block b WHERE b.blocker = p.owner AND b.blocked = $1)
    AND NOT EXISTS (SELECT 1 FROM resident_block b WHERE b.blocker = $1 AND b.blocked = p.owner)
"""


async def new_on_street(resident_id: int, street_id: int, since: datetime, until: datetime) -> list[dict[str, str]]:
    """New offers and asks on the street in [since, until) that `resident_id` may see, newest first."""
    rows = await db.fetch(
        f"""
        SELECT 'offer' AS type, p.id, p.title, p.created_at FROM offer p
        WHERE p.status = 'active' AND {_VISIBLE}
        UNION ALL
        SELECT 'ask' AS type, p.id, p.title, p.created_at FROM ask p
        WHERE p.status = 'open' AND {_VISIBLE}
        ORDER BY created_at DESC, id DESC
        LIMIT $5
        """,
        resident_id, street_id, since, until, notifications_rules.ROUNDUP_SHOWS * 5,
    )
    return [{"type": r["type"], "title": r["title"], "url": f"/{r['type']}s/{r['id']}"} for r in rows]


async def compose_street_roundups() -> int:
    """Upkeep: each subscriber's round-up for the latest window, once; how many were written."""
    window = notifications_rules.roundup_window(clock.now())
    written = 0
    for due in await notifications_queries.street_news_due(window.end):
        posts = await new_on_street(due.resident_id, due.street_id, window.start(due.through), window.end)
        if await notifications.post_street_roundup(due.resident_id, window=window, posts=posts) is not None:
            written += 1
    return written
