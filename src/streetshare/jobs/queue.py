"""The job table as a queue: enqueue, claim with a lease, finish, retry with backoff.

How it stays correct with several workers and crashes, using PostgreSQL row locks only:

- claim() picks the oldest ready job with `FOR UPDATE SKIP LOCKED`, so two workers never take the
  same row at the same moment, and stamps it with a lease (`locked_until`). Other workers skip a
  job whose lease is running.
- A worker that dies (kill -9, power cut) holds no lock and writes nothing: its lease runs out and
  the next claim() takes the job again. Nothing is lost.
- `attempts` is counted when a job is claimed, so a job that crashes its worker every time still
  runs out of attempts instead of looping forever.
- Handlers are written to be safe to run twice (each records what it did, in the transaction that
  marks the job done, and checks that record first), because a lease can run out under a worker
  that is merely slow.

Times come from clock.now(), never from the database's now(), so tests can move the clock.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from streetshare import clock, db

LEASE = timedelta(minutes=2)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 10
KEEP_FINISHED = timedelta(days=14)
ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    run_at: datetime
    attempts: int
    max_attempts: int
    locked_until: datetime | None
    last_error: str | None
    idempotency_key: str | None
    done_at: datetime | None = None
    failed_at: datetime | None = None

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "done"
        if self.failed_at is not None:
            return "failed"
        return "pending"


_COLUMNS = "id, kind, payload, run_at, attempts, max_attempts, locked_until, last_error, idempotency_key, done_at, failed_at"


def _job(row: Any) -> Job:
    values = dict(row)
    payload = values["payload"]
    values["payload"] = json.loads(payload) if isinstance(payload, str) else payload
    return Job(**values)


def backoff(attempts: int, *, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP, jitter: float = 0.1) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base * 2^(attempts-1), capped,
    plus up to `jitter` (a fraction) so that jobs failing together do not retry together."""
    exponent = max(attempts - 1, 0)
    delay = base * (2 ** min(exponent, 30))
    delay = min(delay, cap)
    if jitter:
        delay += delay * random.uniform(0, jitter)
    return delay


async def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> int | None:
    """Add a job, in the current transaction if there is one (so it exists iff that commits).

    With an idempotency_key that was used before (by a pending, done or failed job), nothing is
    added and None is returned; otherwise the new job's id.
    """
    now = clock.now()
    return await db.fetchval(
        """
        INSERT INTO job (kind, payload, run_at, max_attempts, idempotency_key, created_at)
        VALUES ($1, $2::jsonb, $3, $4, $5, $6)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
        """,
        kind,
        json.dumps(payload or {}),
        run_at or now,
        max_attempts,
        idempotency_key,
        now,
    )


async def claim(*, lease: timedelta = LEASE, kinds: tuple[str, ...] | None = None) -> Job | None:
    """Take the oldest ready job for `lease`, or None. Each job is taken by exactly one caller,
    however many claim at once; a job whose lease ran out (its worker died) is ready again."""
    now = clock.now()
    row = await db.fetchrow(
        f"""
        UPDATE job SET locked_until = $2, attempts = attempts + 1
        WHERE id = (
            SELECT id FROM job
            WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
              AND (locked_until IS NULL OR locked_until < $1)
              AND attempts < max_attempts
              AND ($3::text[] IS NULL OR kind = ANY($3::text[]))
            ORDER BY run_at, id
            FOR UPDATE SKIP LOCKED
            LIMIT 1
        )
        RETURNING {_COLUMNS}
        """,
        now,
        now + lease,
        list(kinds) if kinds is not None else None,
    )
    return _job(row) if row else None


async def mark_done(job_id: int) -> None:
    """Finish a job. Call it in the transaction that records what the job did."""
    await db.execute(
        "UPDATE job SET done_at = $2, locked_until = NULL WHERE id = $1 AND done_at IS NULL AND failed_at IS NULL",
        job_id,
        clock.now(),
    )


async def mark_failed(job: Job, error: str) -> Job:
    """Record a failed attempt: retry after a backoff, or, after the last attempt, fail for good."""
    now = clock.now()
    retry_at = now + backoff(job.attempts)
    row = await db.fetchrow(
        f"""
        UPDATE job SET
            locked_until = NULL,
            last_error = $2,
            run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $3::timestamptz END,
            failed_at = CASE WHEN attempts >= max_attempts THEN $4::timestamptz END
        WHERE id = $1 AND done_at IS NULL AND failed_at IS NULL
        RETURNING {_COLUMNS}
        """,
        job.id,
        error[:ERROR_LENGTH],
        retry_at,
        now,
    )
    return _job(row) if row else job


async def fail_abandoned() -> int:
    """Jobs whose worker died during their last allowed attempt: fail them, saying so."""
    now = clock.now()
    status = await db.execute(
        """
        UPDATE job SET failed_at = $1, locked_until = NULL,
            last_error = coalesce(last_error || E'\n', '') || 'the worker stopped during the last attempt'
        WHERE done_at IS NULL AND failed_at IS NULL AND attempts >= max_attempts AND locked_until < $1
        """,
        now,
    )
    return int(status.split()[-1])


async def purge_finished(older_than: timedelta = KEEP_FINISHED) -> int:
    """Forget jobs that finished long ago (failed ones stay, for an operator to look at)."""
    status = await db.execute("DELETE FROM job WHERE done_at < $1", clock.now() - older_than)
    return int(status.split()[-1])


async def get(job_id: int) -> Job | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM job WHERE id = $1", job_id)
    return _job(row) if row else None


async def by_key(idempotency_key: str) -> Job | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM job WHERE idempotency_key = $1", idempotency_key)
    return _job(row) if row else None


async def pending(kind: str | None = None) -> list[Job]:
    """Unfinished jobs, oldest first (for tests and the operator)."""
    rows = await db.fetch(
        f"""
        SELECT {_COLUMNS} FROM job WHERE done_at IS NULL AND failed_at IS NULL AND ($1::text IS NULL OR kind = $1)
        ORDER BY run_at, id
        """,
        kind,
    )
    return [_job(r) for r in rows]
