"""Loan reminders, sent by the worker's upkeep: the day before a loan is due back, and when it is
overdue (the first overdue day, then weekly), each exactly once however often upkeep runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


from streetshare import clock, db
from streetshare.notifications import service
from support.cast import insert_offer, make_street

DUE = date(2026, 11, 25)


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


async def lend(lender, borrower, *, due_back: date = DUE, state: str = "handed_over") -> int:
    """A ladder lent by `lender` to `borrower`, handed over and due back on `due_back` (written directly)."""
    street = await make_street()
    offer = await insert_offer(lender, street, kind="lend", title="Ladder")
    now = clock.now()
    return await db.fetchval(
        """
        INSERT INTO exchange (offer, offer_kind, provider, recipient, started_by, state, due_back, requested_at,
                              updated_at, accepted_at, handed_over_at)
        VALUES ($1, 'lend', $2, $3, 'recipient', $4, $5, $6, $6, $6, $6) RETURNING id
        """,
        offer, lender.id, borrower.id, state, due_back, now,
    )


async def reminders(kind: str | None = None) -> list[dict]:
    rows = await db.fetch(
        "SELECT resident, kind, text, exchange, url FROM notification WHERE ($1::text IS NULL OR kind = $1) ORDER BY id",
        kind,
    )
    return [dict(r) for r in rows]


async def test_borrower_is_reminded_the_day_before_a_loan_is_due_back_once(alice, bob):
    with clock.frozen_at(at_noon(DUE - timedelta(days=2))):
        exchange = await lend(alice, bob)
        assert await service.send_loan_reminders() == 0
    with clock.frozen_at(at_noon(DUE - timedelta(days=1))):
        assert await service.send_loan_reminders() == 1
        assert await service.send_loan_reminders() == 0

    [reminder] = await reminders()
    assert reminder["resident"] == bob.id and reminder["kind"] == "due_tomorrow"
    assert reminder["exchange"] == exchange and reminder["url"] == f"/exchanges/{exchange}"
    assert "Ladder" in reminder["text"] and "Alice" in reminder["text"] and "tomorrow" in reminder["text"]


async def test_overdue_loan_reminds_both_sides_on_the_first_day_then_weekly(alice, bob):
    with clock.frozen_at(at_noon(DUE)):
        await lend(alice, bob)
        assert await service.send_loan_reminders() == 0, "not overdue on the due day itself"
    sent_on = {}
    for days in range(1, 16):
        with clock.frozen_at(at_noon(DUE + timedelta(days=days))):
            sent_on[days] = await service.send_loan_reminders()
            await service.send_loan_reminders()  # upkeep runs every minute

    assert [d for d, n in sent_on.items() if n] == [1, 8, 15]
    assert all(sent_on[d] == 2 for d in (1, 8, 15))
    overdue = await reminders("overdue")
    assert [r["resident"] for r in overdue] == [bob.id, alice.id] * 3
    assert "Alice" in overdue[0]["text"] and "Bob" in overdue[1]["text"]


async def test_overdue_reminder_of_a_missed_day_goes_out_later_that_week(alice, bob):
    with clock.frozen_at(at_noon(DUE)):
        await lend(alice, bob)
    with clock.frozen_at(at_noon(DUE + timedelta(days=3))):  # the worker was down on days 1 and 2
        assert await service.send_loan_reminders() == 2
    with clock.frozen_at(at_noon(DUE + timedelta(days=6))):
        assert await service.send_loan_reminders() == 0


async def test_returned_loan_gets_no_more_reminders(alice, bob):
    with clock.frozen_at(at_noon(DUE)):
        exchange = await lend(alice, bob)
        await db.execute("UPDATE exchange SET state = 'returned', returned_at = $2 WHERE id = $1", exchange, clock.now())
    with clock.frozen_at(at_noon(DUE + timedelta(days=1))):
        assert await service.send_loan_reminders() == 0
    assert await reminders() == []


async def test_a_new_due_date_starts_the_reminders_again(alice, bob):
    with clock.frozen_at(at_noon(DUE - timedelta(days=1))):
        exchange = await lend(alice, bob)
        await service.send_loan_reminders()
        await db.execute("UPDATE exchange SET due_back = $2 WHERE id = $1", exchange, DUE + timedelta(days=7))
    with clock.frozen_at(at_noon(DUE + timedelta(days=6))):
        assert await service.send_loan_reminders() == 1

    assert [r["kind"] for r in await reminders()] == ["due_tomorrow", "due_tomorrow"]
