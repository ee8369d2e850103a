"""The background worker: periodic upkeep now; the job queue joins it as the product grows.

`streetshare worker` runs it as its own process; the demo runs it inside the web process.
Each task is idempotent, so several workers, or a restart mid-run, do no harm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from streetshare import clock, db, ratelimit

log = logging.getLogger(__name__)

Task = Callable[[], Awaitable[int]]


async def purge_expired_tokens() -> int:
    status = await db.execute(
        "DELETE FROM auth_token WHERE expires_at IS NOT NULL AND expires_at < $1", clock.now()
    )
    return int(status.split()[-1])


async def purge_old_password_resets() -> int:
    status = await db.execute("DELETE FROM password_reset WHERE expires_at < $1", clock.now() - timedelta(days=7))
    return int(status.split()[-1])


async def purge_rate_limits() -> int:
    return await ratelimit.purge_old()


UPKEEP: list[Task] = [purge_expired_tokens, purge_old_password_resets, purge_rate_limits]


async def run_upkeep(tasks: list[Task] | None = None) -> dict[str, int]:
    done: dict[str, int] = {}
    for task in tasks or UPKEEP:
        try:
            done[task.__name__] = await task()
        except Exception:  # one failing task must not stop the others
            log.exception("upkeep task failed", extra={"task": task.__name__})
    return done


async def run_forever(stop: asyncio.Event, *, every_s: float = 60.0) -> None:
    log.info("worker started")
    while not stop.is_set():
        done = await run_upkeep()
        if any(done.values()):
            log.info("upkeep", extra=done)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_s)
        except TimeoutError:
            pass
    log.info("worker stopped")
