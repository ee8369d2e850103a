"""now(): the single seam for time, so due dates and expiry are testable."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


@contextlib.contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Tests: make now() return `moment` inside the block."""
    global _frozen
    previous, _frozen = _frozen, moment
    try:
        yield
    finally:
        _frozen = previous


def travel(delta: timedelta) -> None:
    """Tests and demo: move the clock forward by `delta` (cumulative)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _frozen, _offset
    _frozen, _offset = None, timedelta(0)
