"""The background worker: the job queue (emails...) and periodic upkeep.

`streetshare worker` runs it as its own process; the demo runs it inside the web process.
Each upkeep task is idempotent, and each job is claimed by one worker at a time with a lease
(jobs/queue.py), so several workers, or a restart mid-run, do no harm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from streetshare import clock, db, jobs, ratelimit
from streetshare.accounts import throttle
from streetshare.asks import service as asks
from streetshare.exchanges import service as exchanges
from streetshare.feed import digest as street_digest
from streetshare.jobs import queue as job_queue
from streetshare.matching import service as matching  # noqa: F401 (registers the match_ask / match_offer jobs)
from streetshare.notifications import service as notifications
from streetshare.settings import Settings
from streetshare.status import prompts as status_prompts  # noqa: F401 (registers the status_prompts jobs)
from streetshare.status import service as street_status

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
    return await ratelimit.purge_old() + await throttle.purge_old()


UPKEEP: list[Task] = [purge_expired_tokens, purge_old_password_resets, purge_rate_limits]
UPKEEP += [job_queue.fail_abandoned, job_queue.purge_finished, notifications.schedule_daily_digests,
           notifications.send_loan_reminders]
UPKEEP += [asks.expire_due_asks, asks.remind_expiring_asks]
UPKEEP += [exchanges.expire_stale_requests]
UPKEEP += [street_digest.compose_street_roundups]
UPKEEP += [street_status.end_incidents_gone_quiet]


async def run_upkeep(tasks: list[Task] | None = None) -> dict[str, int]:
    done: dict[str, int] = {}
    for task in tasks or UPKEEP:
        try:
            done[task.__name__] = await task()
        except Exception:  # one failing task must not stop the others
            log.exception("upkeep task failed", extra={"task": task.__name__})
    return done


async def run_forever(
    stop: asyncio.Event,
    *,
    every_s: float = 60.0,
    settings: Settings | None = None,
    poll_s: float = 1.0,
    concurrency: int = 1,
    lease_s: float | None = None,
) -> None:
    """Run upkeep every `every_s` seconds and `concurrency` job loops, until `stop` is set.

    A job being run when `stop` is set finishes first; a process killed outright leaves its job
    to be taken again when the lease runs out."""
    if settings is None:
        from streetshare.settings import load

        settings = load()
    ctx = jobs.JobContext.of(settings)
    log.info("worker started", extra={"concurrency": concurrency})
    loops = [asyncio.create_task(_upkeep_forever(stop, every_s))]
    lease = timedelta(seconds=lease_s) if lease_s else job_queue.LEASE
    loops += [asyncio.create_task(jobs.work(stop, ctx, poll_s=poll_s, lease=lease)) for _ in range(max(concurrency, 1))]
    try:
        await asyncio.gather(*loops)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    log.info("worker stopped")


async def _upkeep_forever(stop: asyncio.Event, every_s: float) -> None:
    while not stop.is_set():
        done = await run_upkeep()
        if any(done.values()):
            log.info("upkeep", extra=done)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_s)
        except TimeoutError:
            pass
