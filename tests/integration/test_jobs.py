"""The job queue on PostgreSQL: claimed once, retried with backoff, survives a dead worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from streetshare import clock, db, jobs
from streetshare.jobs import queue
from streetshare.settings import Settings

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Recorder:
    """Test handlers: `ok` records each payload in a table-free list; `flaky` fails `fail_times` first."""

    def __init__(self) -> None:
        self.ran: list[dict] = []
        self.fail_times = 0

    async def ok(self, ctx, payload):
        self.ran.append(payload)

    async def flaky(self, ctx, payload):
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("the far side is down")
        self.ran.append(payload)

    async def writes_then_fails(self, ctx, payload):
        await db.execute("UPDATE job SET last_error = 'written by the handler' WHERE id = $1", payload["other"])
        raise RuntimeError("changed my mind")


@pytest.fixture
def recorder():
    rec = Recorder()
    added = {"test_ok": rec.ok, "test_flaky": rec.flaky, "test_writes_then_fails": rec.writes_then_fails}
    jobs.HANDLERS.update(added)
    yield rec
    for kind in added:
        jobs.HANDLERS.pop(kind, None)


@pytest.fixture
def ctx(tmp_path):
    return jobs.JobContext.of(Settings(data_dir=tmp_path))


async def test_enqueued_job_runs_once_and_is_done(recorder, ctx):
    job_id = await jobs.enqueue("test_ok", {"n": 1})

    assert await jobs.run_ready(ctx) == 1
    assert await jobs.run_ready(ctx) == 0

    assert recorder.ran == [{"n": 1}]
    job = await queue.get(job_id)
    assert job.state == "done" and job.attempts == 1 and job.locked_until is None


async def test_same_idempotency_key_makes_one_job_even_after_it_ran(recorder, ctx):
    first = await jobs.enqueue("test_ok", {"n": 1}, idempotency_key="digest:1:2026-11-23")
    again = await jobs.enqueue("test_ok", {"n": 2}, idempotency_key="digest:1:2026-11-23")
    await jobs.run_ready(ctx)
    after_done = await jobs.enqueue("test_ok", {"n": 3}, idempotency_key="digest:1:2026-11-23")

    assert first is not None and again is None and after_done is None
    assert recorder.ran == [{"n": 1}]


async def test_job_is_not_run_before_its_time(recorder, ctx):
    with clock.frozen_at(T0):
        await jobs.enqueue("test_ok", {"n": 1}, run_at=T0 + timedelta(hours=1))
        assert await jobs.run_ready(ctx) == 0
    with clock.frozen_at(T0 + timedelta(hours=1)):
        assert await jobs.run_ready(ctx) == 1
    assert recorder.ran == [{"n": 1}]


async def test_job_enqueued_in_a_rolled_back_transaction_never_exists(recorder, ctx):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await jobs.enqueue("test_ok", {"n": 1})
            raise RuntimeError("the caller failed")

    assert await db.fetchval("SELECT count(*) FROM job") == 0


async def test_failed_job_is_retried_with_exponential_backoff_then_succeeds(recorder, ctx):
    recorder.fail_times = 3
    with clock.frozen_at(T0):
        job_id = await jobs.enqueue("test_flaky", {"n": 1})
    delays = []
    moment = T0
    for _ in range(3):
        with clock.frozen_at(moment):
            assert await jobs.run_ready(ctx) == 1
        job = await queue.get(job_id)
        assert job.state == "pending" and "the far side is down" in job.last_error
        delays.append(job.run_at - moment)
        with clock.frozen_at(job.run_at - timedelta(seconds=1)):
            assert await jobs.run_ready(ctx) == 0, "retried before its backoff was over"
        moment = job.run_at

    with clock.frozen_at(moment):
        assert await jobs.run_ready(ctx) == 1

    base = queue.BACKOFF_BASE
    for n, delay in enumerate(delays):
        assert base * 2**n <= delay <= base * 2**n * 1.1
    job = await queue.get(job_id)
    assert job.state == "done" and job.attempts == 4
    assert recorder.ran == [{"n": 1}]


async def test_job_fails_for_good_after_its_last_attempt_keeping_the_error(recorder, ctx):
    recorder.fail_times = 99
    with clock.frozen_at(T0):
        job_id = await jobs.enqueue("test_flaky", {"n": 1}, max_attempts=3)
    for hours in range(3):
        with clock.frozen_at(T0 + timedelta(days=hours)):
            await jobs.run_ready(ctx)
    with clock.frozen_at(T0 + timedelta(days=30)):
        assert await jobs.run_ready(ctx) == 0

    job = await queue.get(job_id)
    assert job.state == "failed" and job.attempts == 3
    assert job.last_error == "ConnectionError: the far side is down"
    assert recorder.ran == []


async def test_a_failing_handler_leaves_nothing_it_wrote(recorder, ctx):
    other = await jobs.enqueue("test_ok", {"n": 1}, run_at=clock.now() + timedelta(days=1))
    await jobs.enqueue("test_writes_then_fails", {"other": other})

    await jobs.run_ready(ctx)

    assert (await queue.get(other)).last_error is None


async def test_job_of_an_unknown_kind_waits_for_a_worker_that_knows_it(recorder, ctx):
    job_id = await jobs.enqueue("made_up_kind", {})

    assert await jobs.run_ready(ctx) == 0
    job = await queue.get(job_id)
    assert job.state == "pending" and job.attempts == 0


async def test_workers_racing_claim_each_job_exactly_once(recorder, ctx):
    ids = {await jobs.enqueue("test_ok", {"n": n}) for n in range(60)}
    claimed: list[int] = []

    async def worker() -> None:
        while (job := await jobs.claim()) is not None:
            claimed.append(job.id)
            await asyncio.sleep(0)  # let the others in between claims

    await asyncio.gather(*(worker() for _ in range(8)))

    assert sorted(claimed) == sorted(ids), "a job was claimed twice or not at all"


async def test_workers_racing_run_each_job_exactly_once(recorder, ctx):
    for n in range(40):
        await jobs.enqueue("test_ok", {"n": n})

    await asyncio.gather(*(jobs.run_ready(ctx) for _ in range(6)))

    assert sorted(p["n"] for p in recorder.ran) == list(range(40))


async def test_job_of_a_worker_killed_mid_run_is_taken_again_when_its_lease_runs_out(recorder, ctx):
    with clock.frozen_at(T0):
        job_id = await jobs.enqueue("test_ok", {"n": 1})
        abandoned = await jobs.claim(lease=timedelta(minutes=2))  # ...and the worker dies here
    assert abandoned is not None and abandoned.id == job_id

    with clock.frozen_at(T0 + timedelta(minutes=1)):
        assert await jobs.run_ready(ctx) == 0, "taken while the first worker's lease was still running"
    with clock.frozen_at(T0 + timedelta(minutes=2, seconds=1)):
        assert await jobs.run_ready(ctx) == 1

    assert recorder.ran == [{"n": 1}]
    job = await queue.get(job_id)
    assert job.state == "done" and job.attempts == 2


async def test_job_whose_worker_died_on_its_last_attempt_is_failed_by_upkeep(recorder, ctx):
    with clock.frozen_at(T0):
        job_id = await jobs.enqueue("test_ok", {"n": 1}, max_attempts=1)
        await jobs.claim()
    with clock.frozen_at(T0 + queue.LEASE + timedelta(seconds=1)):
        assert await jobs.run_ready(ctx) == 0
        assert await queue.fail_abandoned() == 1

    job = await queue.get(job_id)
    assert job.state == "failed" and "worker stopped" in job.last_error


async def test_finished_jobs_are_purged_after_two_weeks_but_failed_ones_stay(recorder, ctx):
    recorder.fail_times = 1
    with clock.frozen_at(T0):
        done = await jobs.enqueue("test_ok", {"n": 1})
        failed = await jobs.enqueue("test_flaky", {"n": 2}, max_attempts=1)
        await jobs.run_ready(ctx)
    with clock.frozen_at(T0 + timedelta(days=15)):
        assert await queue.purge_finished() == 1

    assert await queue.get(done) is None
    assert (await queue.get(failed)).state == "failed"
