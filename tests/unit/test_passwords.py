"""argon2 hashing off the event loop, a bounded number at a time (each hash takes 64 MiB)."""

from __future__ import annotations

import asyncio
import threading
import time

from streetshare.accounts import passwords


async def test_no_more_than_the_slots_hash_at_once(monkeypatch):
    running = peak = 0
    lock = threading.Lock()

    def slow_verify(password_hash, password):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return password == "right"

    monkeypatch.setattr(passwords, "verify_password", slow_verify)
    results = await asyncio.gather(*(passwords.verify_password_async("h", "right" if i % 2 else "wrong")
                                     for i in range(8)))
    assert results == [bool(i % 2) for i in range(8)]
    assert peak == passwords.HASHING_SLOTS


async def test_hashing_and_verifying_still_work_through_the_slots():
    hashed = await passwords.hash_password_async("correct horse")
    assert await passwords.verify_password_async(hashed, "correct horse")
    assert not await passwords.verify_password_async(hashed, "wrong horse")
    assert not await passwords.verify_password_async(None, "correct horse")
