"""Running jobs: handlers registered by kind, and the loop a worker runs.

A handler runs inside a transaction, and the job is marked done in that same transaction, so
whatever the handler records (for an email: "sent") commits together with "done", or not at all.
If the handler raises, the transaction rolls back and the attempt is recorded as failed; the job
is retried after a backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from streetshare import db
from streetshare.jobs import queue
from streetshare.jobs.queue import Job
from streetshare.mail import Mailer, make_mailer
from streetshare.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What handlers may use besides the database."""

    settings: Settings
    mailer: Mailer

    @classmethod
    def of(cls, settings: Settings) -> "JobContext":
        return cls(settings=settings, mailer=make_mailer(settings))


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`."""

    def register(fn: Handler) -> Handler:
        if HANDLERS.get(kind, fn) is not fn:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        HANDLERS[kind] = fn
        return fn

    return register


async def execute(job: Job, ctx: JobContext) -> bool:
    """Run a claimed job. True if it is done; False if the attempt failed (it will be retried,
    or has now failed for good)."""
    fn = HANDLERS.get(job.kind)
    try:
        if fn is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        async with db.transaction():
            await fn(ctx, job.payload)
            await queue.mark_done(job.id)
    except Exception as exc:  # any failure of one job is recorded, and the worker carries on
        error = f"{type(exc).__name__}: {exc}"
        after = await queue.mark_failed(job, error)
        level = logging.ERROR if after.state == "failed" else logging.WARNING
        log.log(level, "job %s (%s) attempt %s/%s failed: %s", job.id, job.kind, job.attempts, job.max_attempts,
                error, extra={"job_id": job.id, "job_kind": job.kind, "job_state": after.state})
        return False
    log.info("job %s (%s) done", job.id, job.kind, extra={"job_id": job.id, "job_kind": job.kind})
    return True


async def run_next(ctx: JobContext, *, lease: timedelta = queue.LEASE) -> Job | None:
    """Claim and run one ready job; the job, or None when nothing was ready."""
    # Only kinds this process knows: during a rolling upgrade an older worker leaves newer kinds alone.
    job = await queue.claim(lease=lease, kinds=tuple(HANDLERS))
    if job is None:
        return None
    await execute(job, ctx)
    return job


async def run_ready(ctx: JobContext, *, limit: int = 1000, lease: timedelta = queue.LEASE) -> int:
    """Run ready jobs until none is left (or `limit`); how many were run."""
    count = 0
    while count < limit and await run_next(ctx, lease=lease) is not None:
        count += 1
    return count


async def work(stop: asyncio.Event, ctx: JobContext, *, poll_s: float = 1.0, lease: timedelta = queue.LEASE) -> None:
    """Run jobs until `stop` is set, looking for new ones every `poll_s` seconds when idle.

    A database outage does not end the loop: it logs, waits and tries again.
    """
    while not stop.is_set():
        try:
            ran = await run_next(ctx, lease=lease)
        except Exception:
            log.exception("job queue: could not claim a job")
            ran = None
            await _sleep(stop, max(poll_s, 5.0))
            continue
        if ran is None:
            await _sleep(stop, poll_s)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
