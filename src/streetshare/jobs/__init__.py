"""A durable job queue on PostgreSQL (no Redis): row locks, leases, retries with backoff.

    from streetshare import jobs

    @jobs.handler("send_thing")
    async def send_thing(ctx: jobs.JobContext, payload: dict) -> None: ...

    await jobs.enqueue("send_thing", {"id": 3})          # in your transaction: committed with it
    await jobs.enqueue("digest", {...}, idempotency_key="digest:3:2026-11-22", run_at=evening)

`streetshare worker` (or the web process, in the demo) runs `runner.work`. See queue.py for the
guarantees and runner.py for how a handler's effects and "done" share one transaction.
"""

from streetshare.jobs.queue import Job, backoff, claim, enqueue, mark_done, mark_failed
from streetshare.jobs.runner import HANDLERS, JobContext, execute, handler, run_next, run_ready, work

__all__ = [
    "HANDLERS", "Job", "JobContext", "backoff", "claim", "enqueue", "execute", "handler", "mark_done", "mark_failed",
    "run_next", "run_ready", "work",
]
