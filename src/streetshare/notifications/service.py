"""Notification verbs: the only writers of notifications and email choices.

notify() is what other domains call, inside their own transaction. It writes the in-app
notification and, when the resident wants that kind emailed straight away, the job that emails
it: a transactional outbox, so the email job exists if and only if the notification committed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence

from streetshare import clock, db, jobs
from streetshare.errors import Invalid, NotFound
from streetshare.notifications import queries, rules

log = logging.getLogger(__name__)

SEND_EMAIL = "send_notification_email"
SEND_DIGEST = "send_daily_digest"


async def notify(
    resident_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    exchange_id: int | None = None,
    text: str = "",
    url: str = "",
    once_key: str | None = None,
    details: list[dict[str, str]] | None = None,
    email: bool = True,
) -> int | None:
    """Tell `resident_id` about something: one notification row, and its email job if they want
    this kind emailed straight away (or a place in their daily digest). Runs in the caller's
    transaction when there is one.

    `text` is shown as is; name other people by display name only, never by email.
    `url` is a path on this site ("/exchanges/12"). With `once_key`, a second call with the same
    key does nothing (for reminders). `details` lists what a round-up is about (rules.clean_posts).
    With `email=False` it is written in the app only, this time (the caller may email_later()).
    Returns the notification's id, or None when nothing was written (a repeated once_key, or a
    resident notified about their own action).
    """
    if kind not in rules.BY_NAME:
        raise ValueError(f"unknown notification kind {kind!r}")
    if (problem := rules.own_path_error(url)) is not None:
        raise ValueError(f"notification url {url!r} {problem}")
    if actor_id is not None and actor_id == resident_id:
        return None
    now = clock.now()
    async with db.transaction():
        who = await db.fetchrow(
            """
            SELECT r.is_active, s.choices, coalesce(s.all_email_off, false) AS all_email_off
            FROM resident r LEFT JOIN notification_settings s ON s.resident = r.id
            WHERE r.id = $1
            """,
            resident_id,
        )
        if who is None:
            raise NotFound("There is no such resident.")
        choices = queries.json_object(who["choices"])
        wanted = who["is_active"] and email
        delivery = rules.delivery_for(kind, choices, all_email_off=who["all_email_off"]) if wanted else rules.OFF
        via = rules.email_via(delivery)
        notification_id = await db.fetchval(
            """
            INSERT INTO notification (resident, kind, actor, exchange, text, url, created_at, email_via, once_key,
                                      details)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
            ON CONFLICT (once_key) DO NOTHING
            RETURNING id
            """,
            resident_id, kind, actor_id, exchange_id, text.strip()[: rules.TEXT_LENGTH], url, now, via, once_key,
            json.dumps(details) if details is not None else None,
        )
        if notification_id is None:
            return None
        if delivery == rules.IMMEDIATE:
            job_id = await jobs.enqueue(
                SEND_EMAIL, {"notification": notification_id}, idempotency_key=f"notification-email:{notification_id}"
            )
            await db.execute("UPDATE notification SET email_job = $2 WHERE id = $1", notification_id, job_id)
        elif delivery == rules.DAILY:
            await enqueue_digest(resident_id)
    return notification_id


async def email_later(notification_id: int) -> int | None:
    """Email a notification that was written in the app only (notify(email=False): held back in
    quiet hours), if its resident still wants its kind emailed straight away. The email job's id,
    or None when nothing was queued (not wanted any more, or queued already)."""
    async with db.transaction():
        row = await db.fetchrow(
            """
            SELECT n.id, n.kind, n.email_job, n.emailed_at, r.is_active, s.choices,
                   coalesce(s.all_email_off, false) AS all_email_off
            FROM notification n JOIN resident r ON r.id = n.resident
            LEFT JOIN notification_settings s ON s.resident = n.resident
            WHERE n.id = $1 FOR UPDATE OF n
            """,
            notification_id,
        )
        if row is None or row["email_job"] is not None or row["emailed_at"] is not None or not row["is_active"]:
            return None
        choices = queries.json_object(row["choices"])
        if rules.delivery_for(row["kind"], choices, all_email_off=row["all_email_off"]) != rules.IMMEDIATE:
            return None
        job_id = await jobs.enqueue(
            SEND_EMAIL, {"notification": notification_id}, idempotency_key=f"notification-email:{notification_id}"
        )
        if job_id is not None:
            await db.execute("UPDATE notification SET email_via = 'immediate', email_job = $2 WHERE id = $1",
                             notification_id, job_id)
        return job_id


async def enqueue_digest(resident_id: int) -> int | None:
    """Make sure the resident's next daily digest is scheduled (one job per resident per day)."""
    at = rules.next_digest_at(clock.now())
    return await jobs.enqueue(
        SEND_DIGEST, {"resident": resident_id}, run_at=at, idempotency_key=rules.digest_key(resident_id, at)
    )


async def schedule_daily_digests() -> int:
    """Upkeep: a digest job for everyone with notifications waiting for one (a safety net for
    notifications that committed just after their day's digest went out). Idempotent."""
    rows = await db.fetch(
        "SELECT DISTINCT resident FROM notification WHERE email_via = 'digest' AND emailed_at IS NULL AND read_at IS NULL"
    )
    scheduled = 0
    for row in rows:
        if await enqueue_digest(row["resident"]) is not None:
            scheduled += 1
    return scheduled


async def post_street_roundup(resident_id: int, *, window: rules.RoundupWindow,
                              posts: Sequence[Mapping[str, str]]) -> int | None:
    """Write the resident's street round-up for `window` (plain data: each post a type, a title and
    a path on this site, newest first), and remember that this window is done, even when there was
    nothing new (then nothing is written). Once per resident per day, however often it is called."""
    details = rules.clean_posts(list(posts))
    async with db.transaction():
        status = await db.execute(
            """
            UPDATE notification_settings SET street_news_through = $2
            WHERE resident = $1 AND (street_news_through IS NULL OR street_news_through < $2)
            """,
            resident_id, window.end,
        )
        if status.split()[-1] == "0" or not details:
            return None
        return await notify(resident_id, rules.STREET_NEWS, text=rules.roundup_text(details), url="/",
                            once_key=f"{rules.STREET_NEWS}:{resident_id}:{window.day.isoformat()}",
                            details=details[: rules.ROUNDUP_SHOWS])


async def mark_all_read(*, acting: int) -> int:
    """Mark every notification of `acting` read; how many were unread."""
    status = await db.execute(
        "UPDATE notification SET read_at = $2 WHERE resident = $1 AND read_at IS NULL", acting, clock.now()
    )
    return int(status.split()[-1])


async def mark_read(ids: Iterable[int], *, acting: int) -> int:
    """Mark these notifications read (only those that belong to `acting`)."""
    status = await db.execute(
        "UPDATE notification SET read_at = $3 WHERE resident = $1 AND id = ANY($2::bigint[]) AND read_at IS NULL",
        acting, list(ids), clock.now(),
    )
    return int(status.split()[-1])


async def save_email_choices(*, acting: int, choices: Mapping[str, str], all_email_off: bool,
                             quiet: rules.QuietHours | None = None) -> queries.EmailChoices:
    """Save how `acting` wants each kind emailed, and their quiet hours (None: keep them).
    Unknown kinds or choices: Invalid."""
    cleaned, errors = rules.clean_choices(choices)
    if errors:
        raise Invalid(errors)
    async with db.transaction():
        await _write_choices(acting, {**(await queries.email_choices(acting)).choices, **cleaned}, all_email_off)
        if quiet is not None:
            await db.execute("UPDATE notification_settings SET quiet_start = $2, quiet_end = $3 WHERE resident = $1",
                             acting, quiet.start, quiet.end)
    log.info("email choices saved", extra={"resident_id": acting})
    return await queries.email_choices(acting)


async def unsubscribe(*, token: str, secret_key: str, everything: bool = False) -> tuple[int, str]:
    """One-click unsubscribe: turn off what the signed token names (or, with `everything`, all email).
    Returns (resident_id, scope). A token that is not ours, or was tampered with: NotFound."""
    found = rules.read_unsubscribe_token(secret_key, token)
    if found is None:
        raise NotFound("This unsubscribe link isn't valid. You can change your email settings after signing in.")
    resident_id, scope = found
    if everything:
        scope = rules.ALL
    async with db.transaction():
        exists = await db.fetchval("SELECT 1 FROM resident WHERE id = $1 FOR UPDATE", resident_id)
        if not exists:
            raise NotFound("This unsubscribe link isn't valid any more.")
        current = await queries.email_choices(resident_id)
        choices, all_off = rules.after_unsubscribe(scope, current.choices)
        await _write_choices(resident_id, choices, all_off or current.all_email_off)
    log.info("unsubscribed", extra={"resident_id": resident_id, "scope": scope})
    return resident_id, scope


async def _write_choices(resident_id: int, choices: Mapping[str, str], all_email_off: bool) -> None:
    await db.execute(
        """
        INSERT INTO notification_settings (resident, choices, all_email_off, updated_at)
        VALUES ($1, $2::jsonb, $3, $4)
        ON CONFLICT (resident) DO UPDATE SET choices = EXCLUDED.choices, all_email_off = EXCLUDED.all_email_off,
            updated_at = EXCLUDED.updated_at
        """,
        resident_id, json.dumps(dict(choices)), all_email_off, clock.now(),
    )


# ---------------------------------------------------------------- loan reminders (an upkeep task)


def _day(on) -> str:
    return f"{on:%A} {on.day} {on:%B}"


async def send_loan_reminders() -> int:
    """Upkeep: remind borrowers the day before a loan is due back, and both sides when it is
    overdue: on its first overdue day, then once a week. Safe to run every minute, on several
    workers: each reminder has a once_key, so it is written once (a changed due date starts again).
    A worker that was down on the exact day still sends that week's overdue reminder."""
    from streetshare.exchanges import queries as exchanges  # exchanges call notify(): import late

    now = clock.now()
    written = 0
    for loan in await exchanges.loans_due_tomorrow(now):
        key = f"due_tomorrow:{loan.exchange_id}:{loan.due_back.isoformat()}"
        text = f"Reminder: {loan.title} is due back to {loan.provider.display_name} tomorrow, {_day(loan.due_back)}."
        if await notify(loan.recipient.id, "due_tomorrow", exchange_id=loan.exchange_id, text=text,
                        url=f"/exchanges/{loan.exchange_id}", once_key=key):
            written += 1
    for loan in await exchanges.overdue_loans(now):
        if loan.days_overdue < 1:
            continue
        week = (loan.days_overdue - 1) // 7
        base = f"overdue:{loan.exchange_id}:{loan.due_back.isoformat()}:w{week}"
        to_borrower = (f"{loan.title} was due back to {loan.provider.display_name} on {_day(loan.due_back)}. "
                       "Please return it, or ask for more time.")
        to_lender = f"{loan.title} is overdue: {loan.recipient.display_name} was to return it on {_day(loan.due_back)}."
        for resident_id, actor_id, text in ((loan.recipient.id, None, to_borrower),
                                            (loan.provider.id, loan.recipient.id, to_lender)):
            if await notify(resident_id, "overdue", actor_id=actor_id, exchange_id=loan.exchange_id, text=text,
                            url=f"/exchanges/{loan.exchange_id}", once_key=f"{base}:{resident_id}"):
                written += 1
    return written


async def forget_resident(resident_id: int, *, former_name: str, new_name: str) -> None:
    """Inside the transaction that closes the resident's account: their own notifications and email
    choices go; the notifications they caused others keep saying what happened, under `new_name`
    (their texts were written with the name they had: "Alice asked to borrow your ladder")."""
    await db.execute("DELETE FROM notification WHERE resident = $1", resident_id)
    await db.execute("DELETE FROM notification_settings WHERE resident = $1", resident_id)
    if former_name:
        # Whole words only: "Al" must not turn "Alarm clock" into "Former neighbourarm clock".
        # re.escape's backslashes before punctuation mean the literal character in PostgreSQL's regexes too.
        await db.execute(r"UPDATE notification SET text = regexp_replace(text, '\m' || $2 || '\M', $3, 'g') "
                         "WHERE actor = $1", resident_id, re.escape(former_name), new_name.replace("\\", "\\\\"))
