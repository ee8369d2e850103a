"""The sign-in throttle against real PostgreSQL: the bound on guesses per account per day holds for an
attacker with endless addresses trying at every moment they are allowed, and under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from streetshare import clock, db
from streetshare.accounts import service, throttle
from streetshare.errors import Invalid, TooManyAttempts
from support.cast import PASSWORD

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


async def _greedy_attacker(account: str, until: datetime) -> list[datetime]:
    """Try from a new address each time, at the very moment the last refusal said (Retry-After)."""
    let_through, moment, n = [], START, 0
    while moment < until:
        n += 1
        with clock.frozen_at(moment):
            try:
                await throttle.begin(account, f"ip:10.{n // 65536}.{n // 256 % 256}.{n % 256}", device=False)
            except TooManyAttempts as exc:
                moment += timedelta(seconds=exc.retry_after)
                continue
        let_through.append(moment)
    return let_through


async def test_an_attacker_with_endless_addresses_gets_exactly_the_stated_guesses_per_day():
    guesses = await _greedy_attacker("alice@example.org", until=START + throttle.DAY)
    assert len(guesses) == throttle.guesses_per_day() == 38


async def test_no_24_hours_ever_hold_more_guesses_than_the_bound():
    guesses = await _greedy_attacker("alice@example.org", until=START + 3 * throttle.DAY)
    most = max(sum(1 for g in guesses if first <= g < first + throttle.DAY) for first in guesses)
    assert most == throttle.guesses_per_day()


async def test_tries_at_the_same_moment_are_counted_one_after_another():
    async def one(n: int) -> bool:
        try:
            await throttle.begin("alice@example.org", f"ip:10.0.0.{n}", device=False)
            return True
        except TooManyAttempts:
            return False

    with clock.frozen_at(START):
        results = await asyncio.gather(*(one(n) for n in range(25)))
    assert results.count(True) == throttle.FREE_FAILURES


async def test_a_right_password_leaves_no_failure_behind(alice):
    with clock.frozen_at(START):
        assert await service.authenticate(email=alice.email, password=PASSWORD) == alice.id
        with pytest.raises(Invalid):
            await service.authenticate(email=alice.email, password="not my password")
    assert await db.fetchval("SELECT count(*) FROM sign_in_failure") == 1


async def test_a_devices_own_lane_is_not_filled_by_strangers():
    with clock.frozen_at(START):
        for n in range(throttle.guesses_per_day()):
            try:
                await throttle.begin("alice@example.org", f"ip:10.0.1.{n}", device=False)
            except TooManyAttempts:
                break
        await throttle.begin("alice@example.org", "device:" + "a" * 24, device=True)


async def test_failures_older_than_a_day_are_purged():
    with clock.frozen_at(START - throttle.DAY - timedelta(seconds=1)):
        await throttle.begin("alice@example.org", "ip:10.0.0.1", device=False)
    with clock.frozen_at(START):
        await throttle.begin("alice@example.org", "ip:10.0.0.1", device=False)
        assert await throttle.purge_old() == 1
    assert await db.fetchval("SELECT count(*) FROM sign_in_failure") == 1
