"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Hashing takes a noticeable fraction of a second by design, so the async helpers run it in a
thread (argon2-cffi releases the GIL) instead of stalling every other request in the process.
At most HASHING_SLOTS hashes run at once per process: each takes 64 MiB of memory, and without a
bound sixteen simultaneous sign-ins took a worker from 250 MB to 1 GB (benchmark finding 4).
Throughput is the same either way, since hashing is CPU-bound; the others wait their turn.
"""

from __future__ import annotations

import asyncio
import weakref

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHING_SLOTS = 2
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()

_hasher = PasswordHasher()
# A real hash to verify against when the email is unknown, so that sign-in takes the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def use_parameters(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Change the cost (the test suite uses a cheaper argon2id to stay fast; production never calls this)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _slot() -> asyncio.Semaphore:
    """This event loop's semaphore (a semaphore belongs to one loop; tests start several)."""
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(HASHING_SLOTS)
    return _slots[loop]


async def hash_password_async(password: str) -> str:
    async with _slot():
        return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    async with _slot():
        return await asyncio.to_thread(verify_password, password_hash, password)
