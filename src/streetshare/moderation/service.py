"""Moderation verbs: residents report; a street's coordinators hide, remove, and handle reports.

Every coordinator action writes a row in moderation_log in the same transaction (log_action),
and the person affected is told (tell) through the notifications domain.
"""

from __future__ import annotations

import logging

from streetshare import clock, db
from streetshare.errors import Conflict, Invalid, NotFound
from streetshare.moderation import queries, rules

log = logging.getLogger(__name__)


async def log_action(street_id: int, actor: int | None, action: str, target_kind: str, target_id: int,
                     reason: str = "") -> None:
    """Append to the street's moderation log (inside the caller's transaction)."""
    await db.execute(
        "INSERT INTO moderation_log (street, actor, action, target_kind, target_id, reason, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        street_id, actor, action, target_kind, target_id, reason[: rules.REASON_MAX], clock.now(),
    )


async def tell(resident_id: int, kind: str, *, actor_id: int | None, text: str, url: str = "") -> None:
    """Notify a resident through the notifications domain, when it knows this kind of news."""
    try:
        from streetshare.notifications import rules as notification_rules
        from streetshare.notifications import service as notifications
    except ImportError:  # the notifications domain isn't there: nothing to tell with
        return
    if not notification_rules.is_kind(kind):
        log.warning("notification kind %s is not known yet: not sent", kind)
        return
    await notifications.notify(resident_id, kind, actor_id=actor_id, text=text, url=url)


async def _street_for_coordinator(street_id: int, acting: int):
    from streetshare.coordinators.queries import street_for_coordinator

    return await street_for_coordinator(street_id, acting)


# ---------------------------------------------------------------- reporting


async def report(*, acting: int, target_kind: str, target_id: int, reason: str) -> int:
    """A resident reports an offer, ask, thanks note, resident, or a problem with their exchange.

    The report goes to the coordinators of the street the target belongs to. Reporting the same
    thing again while the first report is open changes nothing and returns the same report.
    """
    reason = (reason or "").strip()
    errors = {k: m for k, m in {"target_kind": rules.target_kind_error(target_kind),
                                "reason": rules.reason_error(reason)}.items() if m}
    if errors:
        raise Invalid(errors)
    target = await _target(target_kind, target_id)
    if target is None or target.street_id is None:
        raise NotFound()
    if not await _may_report(acting, target):
        raise NotFound()
    if acting in target.owners and target_kind != "exchange":
        raise Invalid({"target_id": rules.NOT_YOUR_OWN})
    async with db.transaction():
        report_id = await db.fetchval(
            """
            INSERT INTO report (reporter, street, target_kind, target_id, reason, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (reporter, target_kind, target_id) WHERE status = 'open' DO NOTHING
            RETURNING id
            """,
            acting, target.street_id, target_kind, target_id, reason, clock.now(),
        )
        if report_id is None:
            return await db.fetchval(
                "SELECT id FROM report WHERE reporter = $1 AND target_kind = $2 AND target_id = $3 AND status = 'open'",
                acting, target_kind, target_id,
            )
        coordinators = await db.fetch("SELECT resident FROM street_coordinator WHERE street = $1", target.street_id)
        for row in coordinators:
            await tell(row["resident"], "report_received", actor_id=None,
                       text=f"A neighbour reported {rules.KIND_WORDS[target_kind]}.",
                       url=f"/streets/{target.street_id}/reports")
    log.info("report made", extra={"report_id": report_id, "street_id": target.street_id})
    return report_id


class _Target:
    __slots__ = ("kind", "id", "street_id", "owners")

    def __init__(self, kind: str, id: int, street_id: int | None, owners: tuple[int, ...]) -> None:
        self.kind, self.id, self.street_id, self.owners = kind, id, street_id, owners


async def _target(kind: str, target_id: int) -> _Target | None:
    if kind == "offer":
        row = await db.fetchrow("SELECT street, owner FROM offer WHERE id = $1", target_id)
        return _Target(kind, target_id, row["street"], (row["owner"],)) if row else None
    if kind == "ask":
        row = await db.fetchrow("SELECT street, owner FROM ask WHERE id = $1", target_id)
        return _Target(kind, target_id, row["street"], (row["owner"],)) if row else None
    if kind == "resident":
        row = await db.fetchrow("SELECT street FROM resident WHERE id = $1 AND is_active", target_id)
        return _Target(kind, target_id, row["street"], (target_id,)) if row else None
    if kind == "exchange":
        row = await db.fetchrow(
            """
            SELECT coalesce(o.street, a.street) AS street, e.provider, e.recipient FROM exchange e
            LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask WHERE e.id = $1
            """,
            target_id,
        )
        return _Target(kind, target_id, row["street"], (row["provider"], row["recipient"])) if row else None
    if kind == "thanks":
        row = await _thanks(target_id)
        return _Target(kind, target_id, row["street"], (row["author"],)) if row else None
    return None


async def _thanks(thanks_id: int):
    """A thanks note's street (its exchange's) and author, when the thanks table exists."""
    if not await db.fetchval("SELECT to_regclass('thanks') IS NOT NULL"):
        return None
    return await db.fetchrow(
        """
        SELECT coalesce(o.street, a.street) AS street, t.author FROM thanks t
        JOIN exchange e ON e.id = t.exchange LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask
        WHERE t.id = $1
        """,
        thanks_id,
    )


async def _may_report(acting: int, target: _Target) -> bool:
    """Only what the resident may see, as its own page shows it: an exchange to its two parties, an offer
    or ask in their scope, a profile they may open, a thanks note they can read (queries.report_target)."""
    return await queries.report_target(target.kind, target.id, acting) is not None


# ---------------------------------------------------------------- handling reports


async def _open_report(street_id: int, report_id: int) -> dict:
    row = await db.fetchrow(
        "SELECT id, status, target_kind, target_id FROM report WHERE id = $1 AND street = $2 FOR UPDATE",
        report_id, street_id,
    )
    if row is None:
        raise NotFound()
    if row["status"] != "open":
        raise Conflict(rules.ALREADY_HANDLED)
    return dict(row)


async def _close_report(report_id: int, status: str, acting: int, note: str) -> None:
    await db.execute(
        "UPDATE report SET status = $2, handled_by = $3, handled_at = $4, note = $5 WHERE id = $1",
        report_id, status, acting, clock.now(), note[: rules.REASON_MAX],
    )


async def dismiss_report(street_id: int, report_id: int, *, acting: int, note: str = "") -> None:
    """Nothing to do about it (the note says why, for the other coordinators)."""
    note = (note or "").strip()
    async with db.transaction():
        await _street_for_coordinator(street_id, acting)
        await _open_report(street_id, report_id)
        await _close_report(report_id, "dismissed", acting, note)
        await log_action(street_id, acting, "dismiss_report", "report", report_id, note)


async def mark_report_acted_on(street_id: int, report_id: int, *, acting: int, note: str = "") -> None:
    """Dealt with some other way (a chat, a knock on the door): say how in the note."""
    note = (note or "").strip()
    if message := rules.note_required_error(note):
        raise Invalid({"note": message})
    async with db.transaction():
        await _street_for_coordinator(street_id, acting)
        await _open_report(street_id, report_id)
        await _close_report(report_id, "acted_on", acting, note)
        await log_action(street_id, acting, "act_on_report", "report", report_id, note)


async def _close_reports_about(street_id: int, kind: str, target_id: int, acting: int, note: str) -> None:
    """Acting on a target answers every open report about it."""
    rows = await db.fetch(
        """
        UPDATE report SET status = 'acted_on', handled_by = $4, handled_at = $5, note = $6
        WHERE street = $1 AND target_kind = $2 AND target_id = $3 AND status = 'open' RETURNING id
        """,
        street_id, kind, target_id, acting, clock.now(), note[: rules.REASON_MAX],
    )
    for row in rows:
        await log_action(street_id, acting, "act_on_report", "report", row["id"], note)


# ---------------------------------------------------------------- hiding


async def hide(street_id: int, target_kind: str, target_id: int, *, acting: int, reason: str) -> None:
    """Hide an offer, ask or thanks note on the street. Its owner is told why."""
    reason = (reason or "").strip()
    if message := rules.hide_reason_error(reason):
        raise Invalid({"reason": message})
    if target_kind not in rules.HIDEABLE:
        raise Invalid({"target_kind": "Only offers, asks and thanks notes can be hidden."})
    async with db.transaction():
        await _street_for_coordinator(street_id, acting)
        target = await _target(target_kind, target_id)
        if target is None or target.street_id != street_id:
            raise NotFound()
        now = clock.now()
        if target_kind == "thanks":
            changed = await db.fetchval(
                "UPDATE thanks SET hidden_at = $2, hidden_reason = $3 WHERE id = $1 AND hidden_at IS NULL RETURNING author",
                target_id, now, reason,
            )
        else:
            table = "offer" if target_kind == "offer" else "ask"
            changed = await db.fetchval(
                f"UPDATE {table} SET hidden_at = $2, hidden_reason = $3, updated_at = $2 "
                "WHERE id = $1 AND hidden_at IS NULL RETURNING owner",
                target_id, now, reason,
            )
        if changed is None:
            raise Conflict("It's already hidden.")
        await log_action(street_id, acting, "hide", target_kind, target_id, reason)
        await _close_reports_about(street_id, target_kind, target_id, acting, f"Hidden: {reason}")
        await tell(changed, "moderation", actor_id=acting,
                   text=f"A coordinator hid your {rules.KIND_NAMES[target_kind]}. The reason: {reason}")
    log.info("item hidden", extra={"street_id": street_id, "kind": target_kind, "target_id": target_id})


async def show_again(street_id: int, target_kind: str, target_id: int, *, acting: int) -> None:
    if target_kind not in ("offer", "ask"):
        raise Invalid({"target_kind": "Only offers and asks can be shown again."})
    async with db.transaction():
        await _street_for_coordinator(street_id, acting)
        table = "offer" if target_kind == "offer" else "ask"
        changed = await db.fetchval(
            f"UPDATE {table} SET hidden_at = NULL, hidden_reason = NULL, updated_at = $3 "
            "WHERE id = $1 AND street = $2 AND hidden_at IS NOT NULL RETURNING owner",
            target_id, street_id, clock.now(),
        )
        if changed is None:
            raise Conflict("It isn't hidden.")
        await log_action(street_id, acting, "show_again", target_kind, target_id)


# ---------------------------------------------------------------- removing a resident


async def remove_resident(street_id: int, resident_id: int, *, acting: int, reason: str) -> None:
    """Take a resident off the street: their open offers and asks are withdrawn, they stop being a
    coordinator of it, and their history stays (exchanges, thanks, finished offers)."""
    reason = (reason or "").strip()
    if message := rules.hide_reason_error(reason):
        raise Invalid({"reason": message})
    if resident_id == acting:
        raise Invalid({"resident_id": "To leave the street yourself, step down and join another street."})
    async with db.transaction():
        street = await _street_for_coordinator(street_id, acting)
        # The resident's row before the street's, as moving street and closing an account take them
        # (places.service.lock_streets_of): the other order deadlocked with them leaving at that moment.
        member = await db.fetchval(
            "SELECT id FROM resident WHERE id = $1 AND street = $2 FOR NO KEY UPDATE", resident_id, street_id
        )
        if member is None:
            raise NotFound("They aren't a member of this street.")
        await db.fetchval("SELECT id FROM street WHERE id = $1 FOR UPDATE", street_id)
        await db.execute("UPDATE resident SET street = NULL, street_joined_at = NULL WHERE id = $1", resident_id)
        # Their open items live on their home street, this one: withdrawn by their own services.
        from streetshare.asks import service as asks
        from streetshare.offers import service as offers

        await offers.withdraw_open_offers(resident_id)
        await asks.withdraw_open_asks(resident_id)
        await db.execute("DELETE FROM street_coordinator WHERE street = $1 AND resident = $2", street_id, resident_id)
        await db.execute("DELETE FROM verified_neighbour WHERE street = $1 AND resident = $2", street_id, resident_id)
        await log_action(street_id, acting, "remove_resident", "resident", resident_id, reason)
        await _close_reports_about(street_id, "resident", resident_id, acting, f"Removed from the street: {reason}")
        await tell(resident_id, "moderation", actor_id=acting,
                   text=f"A coordinator removed you from {street.name}. The reason: {reason}")
    log.info("resident removed from street", extra={"street_id": street_id, "resident_id": resident_id})
