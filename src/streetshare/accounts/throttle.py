"""The sign-in throttle. Every password check (signing in on the web, an API token, closing the
account, changing the password) goes through it: guessing a resident's password is slow, and no
stranger can lock the resident out.

Each wrong password is one row in sign_in_failure; a right one leaves nothing behind. Before a
password is checked, its "lane" is read from those rows:

- a client that is not one of the account's devices (an address) may try when
  1. that address has had fewer than CLIENT_LIMIT wrong passwords, for any account, in the last
     CLIENT_WINDOW (one machine trying many accounts), and
  2. fewer than ACCOUNT_CLIENT_LIMIT for this account in the last CLIENT_WINDOW, and
  3. this account's ladder allows it: after FREE_FAILURES wrong passwords from all such clients
     together in the last DAY, each further try waits delay_s(n) after the latest one, doubling
     from FIRST_DELAY_S up to MAX_DELAY_S. However many addresses an attacker has, that bounds
     their guesses at guesses_per_day() per account in any 24 hours (the README says how many);
- a browser holding the resident's device pass (devices.py: they signed in on it before) has its
  own limit 2 and its own ladder, which only its own wrong passwords fill: a stranger's guesses
  never slow the owner's phone down, and 1 (a shared address: a block of flats, a phone network)
  does not apply to it.

A try that is refused is answered with TooManyAttempts (429 and Retry-After), without checking
the password, so it is not a guess and is not counted. The checks and the row for the try are
written under a lock per account and per address, so tries at the same moment are counted one
after the other, and the bound holds across app processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from streetshare import clock, db
from streetshare.accounts import devices
from streetshare.errors import TooManyAttempts

CLIENT_WINDOW = timedelta(minutes=15)
CLIENT_LIMIT = 30
ACCOUNT_CLIENT_LIMIT = 5
DAY = timedelta(hours=24)
FREE_FAILURES = 10
FIRST_DELAY_S = 60
MAX_DELAY_S = 60 * 60

FROM_HERE = "Too many wrong passwords from here. Please wait {wait} and try again."
FOR_ACCOUNT = ("Too many wrong passwords for this account. For its safety, the next try is possible in {wait}; "
               "or reset your password by email.")


def account_key(email: str) -> str:
    """The email as the throttle's key, whether or not it has an account: normalised, printable characters only."""
    return "".join(ch for ch in email.strip().lower() if ch.isprintable())[:120]


def delay_s(failures: int) -> int:
    """Seconds a try waits after the lane's latest wrong password, when it has had `failures` in the last DAY."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_DELAY_S * 2 ** min(failures - FREE_FAILURES, 32), MAX_DELAY_S)


def guesses_per_day() -> int:
    """The most passwords one lane (an account from unknown clients, or one device) can try in any 24 hours.

    Say tries a_1 < ... < a_m were let through within 24 hours. Each a_j with j > FREE_FAILURES saw the
    j - 1 before it among its last DAY's failures, so it came at least delay_s(j - 1) after a_(j-1)
    (the delay never shrinks as failures grow). Those gaps add up to less than 24 hours, so m is the
    largest count whose delays fit, which is what this counts; trying at each Retry-After reaches it.
    """
    tries, waited = FREE_FAILURES, 0
    while waited + delay_s(tries) < DAY.total_seconds():
        waited += delay_s(tries)
        tries += 1
    return tries


@dataclass(frozen=True)
class Client:
    """Who is trying: their address, and the device cookie their browser sent (if any)."""

    address: str
    device: devices.DeviceCookie = field(default_factory=devices.DeviceCookie)
    secret: str = ""

    def lane(self, resident_id: int | None, password_hash: str | None) -> tuple[str, bool]:
        """The client key its failures are counted under, and whether it is one of the resident's devices."""
        if resident_id is not None and devices.holds_pass(self.device, self.secret, resident_id, password_hash):
            return f"device:{self.device.device_id}", True
        return f"ip:{self.address}"[:200], False


UNKNOWN_CLIENT = Client("unknown")


def _wait_text(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return "a minute"
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


async def _window_wait(where: str, args: tuple, limit: int, now: datetime) -> float:
    """Seconds until fewer than `limit` of the rows matching `where` are within CLIENT_WINDOW (0: now)."""
    at = await db.fetchval(
        f"SELECT at FROM sign_in_failure WHERE {where} AND at > ${len(args) + 1} ORDER BY at DESC OFFSET {limit - 1} LIMIT 1",
        *args, now - CLIENT_WINDOW,
    )
    return 0 if at is None else (at + CLIENT_WINDOW - now).total_seconds()


async def _ladder_wait(where: str, args: tuple, now: datetime) -> float:
    row = await db.fetchrow(
        f"SELECT count(*) AS failures, max(at) AS latest FROM sign_in_failure WHERE {where} AND at > ${len(args) + 1}",
        *args, now - DAY,
    )
    if not row["failures"]:
        return 0
    return (row["latest"] + timedelta(seconds=delay_s(row["failures"])) - now).total_seconds()


async def begin(account: str, client: str, *, device: bool) -> int:
    """Let one password check through, or raise TooManyAttempts (with the seconds to wait).

    The try is recorded as a failure at once, so that tries running at the same moment see each
    other; `passed` takes it back when the password was right. Returns the row's id.
    """
    now = clock.now()
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(1, hashtext($1))", account)
        waits: list[tuple[float, str]] = []
        if not device:
            await db.execute("SELECT pg_advisory_xact_lock(2, hashtext($1))", client)
            waits.append((await _window_wait("client = $1", (client,), CLIENT_LIMIT, now), FROM_HERE))
            waits.append((await _ladder_wait("account = $1 AND NOT device", (account,), now), FOR_ACCOUNT))
        else:
            waits.append((await _ladder_wait("account = $1 AND client = $2", (account, client), now), FOR_ACCOUNT))
        waits.append((await _window_wait("account = $1 AND client = $2", (account, client), ACCOUNT_CLIENT_LIMIT,
                                         now), FROM_HERE))
        wait, message = max(waits)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyAttempts(message.format(wait=_wait_text(seconds)), retry_after=seconds)
        return await db.fetchval(
            "INSERT INTO sign_in_failure (account, client, device, at) VALUES ($1, $2, $3, $4) RETURNING id",
            account, client, device, now,
        )


async def passed(attempt: int) -> None:
    """The password was right: the try is not a failure (successes are never counted)."""
    await db.execute("DELETE FROM sign_in_failure WHERE id = $1", attempt)


async def purge_old() -> int:
    """Failures older than a day no longer count for anything."""
    status = await db.execute("DELETE FROM sign_in_failure WHERE at < $1", clock.now() - DAY)
    return int(status.split()[-1])
