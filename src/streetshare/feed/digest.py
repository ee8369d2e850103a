"""The street round-up's source: what is new on a resident's street, for notifications to send.

The notifications domain sits below offers and asks and never reads them; this upkeep task (run by
the worker every minute) finds who is due a round-up (notifications.queries.street_news_due),
lists the new posts on each one's street that they may see (feed.queries.new_on_street: the feed's
own rules, home street only, never their own), and hands them over as plain data
(notifications.service.post_street_roundup). Notices, when they arrive, add a third SELECT there.
"""

from __future__ import annotations

from streetshare import clock
from streetshare.feed.queries import new_on_street
from streetshare.notifications import queries as notifications_queries
from streetshare.notifications import rules as notifications_rules
from streetshare.notifications import service as notifications


async def compose_street_roundups() -> int:
    """Upkeep: each subscriber's round-up for the latest window, once; how many were written."""
    window = notifications_rules.roundup_window(clock.now())
    written = 0
    for due in await notifications_queries.street_news_due(window.end):
        posts = await new_on_street(due.resident_id, due.street_id, window.start(due.through), window.end,
                                    limit=notifications_rules.ROUNDUP_SHOWS * 5)
        if await notifications.post_street_roundup(due.resident_id, window=window, posts=posts) is not None:
            written += 1
    return written
