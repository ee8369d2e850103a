"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Hashing takes a noticeable fraction of a second by design, so the async helpers run it in a
thread (argon2-cffi releases the GIL) instead of stalling every other request in the process.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)
