"""The email jobs: one notification emailed straight away, and the daily digest.

Never the same email twice. Each handler runs inside the transaction that marks its job done
(jobs/runner.py). It first locks the notification rows it is about to email and checks
`emailed_at`; it sends; it sets `emailed_at`; the job is marked done; all of that commits
together. So:

- a second worker running the same job (a lease that ran out under a slow worker) waits on the
  row lock, then sees `emailed_at` and sends nothing;
- a failed send rolls everything back, and the retry sends it.

The one window left: the SMTP server has accepted the message, then this process dies (or the
database connection drops) before the COMMIT a few milliseconds later. The transaction rolls
back, the job's lease runs out, and the retry sends the email a second time. Closing that window
completely is impossible with SMTP (it has no idempotency key); we keep it to the time between
the server's "250 OK" and one COMMIT, and prefer an (extremely rare) duplicate to a lost email.
(The price of the row lock: marking that notification read waits while its email is being sent,
at most the SMTP timeout.)

Every email names other residents by display name only, carries a plain-text and an HTML part,
and has one-click unsubscribe (RFC 8058 headers and a link in the body).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from streetshare import clock, db
from streetshare.jobs import JobContext, handler
from streetshare.mail import Email, render_email
from streetshare.notifications import queries, rules
from streetshare.notifications.service import SEND_DIGEST, SEND_EMAIL
from streetshare.settings import Settings

log = logging.getLogger(__name__)

SUBJECT_LENGTH = 90
DIGEST_SHOWS = 30


def unsubscribe_url(settings: Settings, resident_id: int, scope: str) -> str:
    return f"{settings.base_url}/unsubscribe/{rules.unsubscribe_token(settings.secret_key, resident_id, scope)}"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail apps show an "Unsubscribe" button that POSTs to `url`."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def one_line(text: str, limit: int = SUBJECT_LENGTH) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(settings: Settings, path: str) -> str:
    return f"{settings.base_url}{path or '/notifications'}"


def notification_email(settings: Settings, *, to: str, display_name: str, resident_id: int, item: dict[str, Any]) -> Email:
    kind = rules.BY_NAME[item["kind"]]
    url = unsubscribe_url(settings, resident_id, kind.name)
    return render_email(
        "notification",
        to=to,
        subject=one_line(item["text"] or kind.label),
        context={
            "display_name": display_name,
            "text": item["text"] or kind.label,
            "actor_name": item.get("actor_name"),
            "action_url": link(settings, item["url"]),
            "kind_label": kind.label,
            "settings_url": f"{settings.base_url}/notifications/settings",
            "unsubscribe_url": url,
        },
        headers=unsubscribe_headers(url),
    )


def digest_email(settings: Settings, *, to: str, display_name: str, resident_id: int, items: list[dict[str, Any]]) -> Email:
    url = unsubscribe_url(settings, resident_id, rules.DIGEST)
    shown = [
        {
            "text": item["text"] or rules.BY_NAME[item["kind"]].label,
            "url": link(settings, item["url"]),
            "when": rules.local_time(item["created_at"]),
            "posts": [
                {"label": rules.post_label(p["type"]), "title": p["title"], "url": link(settings, p["url"])}
                for p in queries.json_list(item.get("details"))
            ],
        }
        for item in items[:DIGEST_SHOWS]
    ]
    count = len(items)
    return render_email(
        "daily_digest",
        to=to,
        subject=f"Your day on Streetshare: {count} update{'s' if count != 1 else ''}",
        context={
            "display_name": display_name,
            "items": shown,
            "count": count,
            "more": count - len(shown),
            "notifications_url": f"{settings.base_url}/notifications",
            "settings_url": f"{settings.base_url}/notifications/settings",
            "unsubscribe_url": url,
        },
        headers=unsubscribe_headers(url),
    )


@handler(SEND_EMAIL)
async def send_notification_email(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Email one notification, unless it was emailed already or its kind has been turned off since."""
    row = await db.fetchrow(
        """
        SELECT n.id, n.resident, n.kind, n.text, n.url, n.emailed_at, a.display_name AS actor_name,
               r.email, r.display_name, r.is_active, s.choices, coalesce(s.all_email_off, false) AS all_email_off
        FROM notification n
        JOIN resident r ON r.id = n.resident
        LEFT JOIN resident a ON a.id = n.actor
        LEFT JOIN notification_settings s ON s.resident = n.resident
        WHERE n.id = $1
        FOR UPDATE OF n
        """,
        int(payload["notification"]),
    )
    if row is None or row["emailed_at"] is not None or not row["is_active"]:
        return
    delivery = rules.delivery_for(row["kind"], queries.json_object(row["choices"]), all_email_off=row["all_email_off"])
    if rules.email_via(delivery) is None:  # turned off, or to the app only, since
        return
    email = notification_email(
        ctx.settings, to=row["email"], display_name=row["display_name"], resident_id=row["resident"], item=dict(row)
    )
    await ctx.mailer.send(email)
    await db.execute("UPDATE notification SET emailed_at = $2 WHERE id = $1", row["id"], clock.now())


@handler(SEND_DIGEST)
async def send_daily_digest(ctx: JobContext, payload: dict[str, Any]) -> None:
    """One email with everything waiting for the resident's digest (not yet read in the app)."""
    resident_id = int(payload["resident"])
    who = await db.fetchrow(
        """
        SELECT r.email, r.display_name, r.is_active, s.choices, coalesce(s.all_email_off, false) AS all_email_off
        FROM resident r LEFT JOIN notification_settings s ON s.resident = r.id WHERE r.id = $1
        """,
        resident_id,
    )
    if who is None:
        return
    rows = await db.fetch(
        """
        SELECT n.id, n.kind, n.text, n.url, n.created_at, n.details
        FROM notification n
        WHERE n.resident = $1 AND n.email_via = 'digest' AND n.emailed_at IS NULL AND n.read_at IS NULL
        ORDER BY n.created_at, n.id
        FOR UPDATE OF n
        """,
        resident_id,
    )
    choices = queries.json_object(who["choices"])
    wanted = [
        dict(r) for r in rows
        if who["is_active"]
        and rules.email_via(rules.delivery_for(r["kind"], choices, all_email_off=who["all_email_off"])) is not None
    ]
    dropped = [r["id"] for r in rows if r["id"] not in {w["id"] for w in wanted}]
    if dropped:  # turned off since: they stay in the app, and leave the digest queue
        await db.execute("UPDATE notification SET email_via = NULL WHERE id = ANY($1::bigint[])", dropped)
    if not wanted:
        return
    email = digest_email(ctx.settings, to=who["email"], display_name=who["display_name"], resident_id=resident_id,
                         items=wanted)
    await ctx.mailer.send(email)
    await db.execute(
        "UPDATE notification SET emailed_at = $2 WHERE id = ANY($1::bigint[])", [w["id"] for w in wanted], clock.now()
    )
