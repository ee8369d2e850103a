"""Fixed-window rate limits kept in PostgreSQL, so they hold across every app process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streetshare import clock, db
from streetshare.errors import TooManyAttempts


def _window_start(moment: datetime, window_s: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_s, UTC)


async def hit(bucket: str, *, limit: int, window_s: int) -> None:
    """Count one attempt against `bucket`; raise TooManyAttempts past `limit` in the window."""
    moment = clock.now()
    start = _window_start(moment, window_s)
    hits = await db.fetchval(
        """
        INSERT INTO rate_limit_hit (bucket, window_start, hits) VALUES ($1, $2, 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_hit.hits + 1
        RETURNING hits
        """,
        bucket[:200],
        start,
    )
    if hits > limit:
        retry_after = int((start + timedelta(seconds=window_s) - moment).total_seconds()) + 1
        raise TooManyAttempts(retry_after=max(retry_after, 1))


async def purge_old(older_than: timedelta = timedelta(days=1)) -> int:
    status = await db.execute("DELETE FROM rate_limit_hit WHERE window_start < $1", clock.now() - older_than)
    return int(status.split()[-1])
