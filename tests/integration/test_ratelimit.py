"""Fixed-window rate limits kept in PostgreSQL: exact under concurrency, shared by every process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from streetshare import clock, db, ratelimit
from streetshare.errors import TooManyAttempts

# A quarter past nine: the start of a 15-minute window, so tests never straddle two windows.
WINDOW_START = datetime(2026, 3, 2, 9, 15, 0, tzinfo=UTC)


async def test_attempts_up_to_the_limit_are_allowed():
    with clock.frozen_at(WINDOW_START):
        for _ in range(5):
            await ratelimit.hit("signin-email:alice@example.org", limit=5, window_s=900)


async def test_one_attempt_past_the_limit_is_refused_with_the_seconds_to_wait():
    with clock.frozen_at(WINDOW_START + timedelta(seconds=100)):
        for _ in range(5):
            await ratelimit.hit("signin-email:alice@example.org", limit=5, window_s=900)

        with pytest.raises(TooManyAttempts) as refused:
            await ratelimit.hit("signin-email:alice@example.org", limit=5, window_s=900)

    assert refused.value.retry_after == 801  # the window ends 800 s later, rounded up
    assert "Too many attempts" in refused.value.message


async def test_refused_attempts_keep_being_refused_until_the_window_ends():
    with clock.frozen_at(WINDOW_START):
        for _ in range(3):
            await ratelimit.hit("b", limit=3, window_s=900)
        for _ in range(3):
            with pytest.raises(TooManyAttempts):
                await ratelimit.hit("b", limit=3, window_s=900)


async def test_a_new_window_starts_counting_afresh():
    with clock.frozen_at(WINDOW_START):
        for _ in range(3):
            await ratelimit.hit("b", limit=3, window_s=900)
    with clock.frozen_at(WINDOW_START + timedelta(minutes=15)):
        await ratelimit.hit("b", limit=3, window_s=900)


async def test_buckets_are_counted_separately():
    with clock.frozen_at(WINDOW_START):
        for _ in range(3):
            await ratelimit.hit("signin-email:alice@example.org", limit=3, window_s=900)

        await ratelimit.hit("signin-email:bob@example.org", limit=3, window_s=900)


async def test_concurrent_attempts_from_many_connections_are_counted_exactly():
    """Twenty attempts at once from separate connections (as from several app processes): ten pass."""

    async def attempt() -> bool:
        try:
            await ratelimit.hit("signup-ip:203.0.113.9", limit=10, window_s=3600)
            return True
        except TooManyAttempts:
            return False

    with clock.frozen_at(WINDOW_START):
        results = await asyncio.gather(*(attempt() for _ in range(20)))

    assert results.count(True) == 10
    assert await db.fetchval("SELECT hits FROM rate_limit_hit WHERE bucket = 'signup-ip:203.0.113.9'") == 20


async def test_very_long_bucket_names_are_cut_not_refused():
    with clock.frozen_at(WINDOW_START):
        await ratelimit.hit("signin-email:" + "a" * 500, limit=3, window_s=900)

    assert await db.fetchval("SELECT length(bucket) FROM rate_limit_hit") == 200


async def test_old_counters_are_purged_and_current_ones_kept():
    with clock.frozen_at(WINDOW_START - timedelta(days=2)):
        await ratelimit.hit("old", limit=3, window_s=900)
    with clock.frozen_at(WINDOW_START):
        await ratelimit.hit("current", limit=3, window_s=900)

        assert await ratelimit.purge_old() == 1

    assert [r["bucket"] for r in await db.fetch("SELECT bucket FROM rate_limit_hit")] == ["current"]
