"""Retry backoff, pure: doubling from 30 seconds, capped at six hours, with a little jitter."""

from __future__ import annotations

from datetime import timedelta

from streetshare.jobs import backoff


def test_backoff_doubles_after_each_failed_attempt():
    delays = [backoff(n, jitter=0) for n in range(1, 6)]

    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]


def test_backoff_is_capped_at_six_hours():
    assert backoff(20, jitter=0) == timedelta(hours=6)
    assert backoff(10_000, jitter=0) == timedelta(hours=6)


def test_backoff_jitter_only_ever_adds_up_to_a_tenth():
    for _ in range(200):
        delay = backoff(3)
        assert timedelta(seconds=120) <= delay <= timedelta(seconds=132)
