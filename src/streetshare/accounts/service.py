"""Account verbs: the only writers of residents, sign-in tokens and password resets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from streetshare import clock, db
from streetshare.accounts import devices, rules, throttle
from streetshare.accounts.passwords import hash_password_async, needs_rehash, verify_password_async
from streetshare.accounts.tokens import new_token, token_hash
from streetshare.errors import Conflict, Invalid, NotFound

log = logging.getLogger(__name__)

RESET_VALID = timedelta(minutes=60)
WRONG_CREDENTIALS = "That email and password don't match an account. Check them, or reset your password."


@dataclass(frozen=True)
class NewResident:
    id: int
    display_name: str
    email: str


async def sign_up(*, email: str, password: str, display_name: str) -> NewResident:
    errors = {
        field: message
        for field, message in {
            "display_name": rules.display_name_error(display_name),
            "email": rules.email_error(email),
            "password": rules.password_error(password, email=email),
        }.items()
        if message
    }
    if errors:
        raise Invalid(errors)
    email = rules.normalise_email(email)
    try:
        row = await db.fetchrow(
            """
            INSERT INTO resident (email, display_name, password_hash, created_at)
            VALUES ($1, $2, $3, $4) RETURNING id, display_name, email
            """,
            email,
            display_name.strip(),
            await hash_password_async(password),
            clock.now(),
        )
    except asyncpg.UniqueViolationError:
        raise Invalid({"email": "There is already an account with this email. Sign in, or reset your password."}) from None
    log.info("resident signed up", extra={"resident_id": row["id"]})
    return NewResident(id=row["id"], display_name=row["display_name"], email=row["email"])


async def _password_is_right(account: str, resident: asyncpg.Record | None, password: str,
                             client: throttle.Client) -> bool:
    """Check a password through the sign-in throttle (TooManyAttempts when this client must wait).
    `resident` (id, password_hash) is None when no active account has this email: the same limits apply."""
    lane, is_device = client.lane(resident["id"] if resident else None, resident["password_hash"] if resident else None)
    attempt = await throttle.begin(account, lane, device=is_device)
    if not await verify_password_async(resident["password_hash"] if resident else None, password):
        return False
    await throttle.passed(attempt)
    return True


async def authenticate(*, email: str, password: str, client: throttle.Client = throttle.UNKNOWN_CLIENT) -> int:
    """The id of the resident with these credentials; Invalid otherwise (same message either way).
    TooManyAttempts when this client must wait before trying again (see throttle.py)."""
    row = None
    if not rules.email_error(email):  # an invalid email has no account (and a NUL in it could not even be looked up)
        row = await db.fetchrow(
            "SELECT id, password_hash FROM resident WHERE email = $1 AND is_active", rules.normalise_email(email)
        )
    if not await _password_is_right(throttle.account_key(email), row, password, client):
        raise Invalid({"password": WRONG_CREDENTIALS}, message=WRONG_CREDENTIALS)
    assert row is not None
    if needs_rehash(row["password_hash"]):
        await db.execute("UPDATE resident SET password_hash = $2 WHERE id = $1", row["id"], await hash_password_async(password))
    return row["id"]


async def device_pass(resident_id: int, *, device_id: str, secret: str) -> str:
    """The signature that marks this browser as one the resident signed in on (devices.py), for their
    password as it is now."""
    password_hash = await db.fetchval("SELECT password_hash FROM resident WHERE id = $1", resident_id)
    return devices.signature(secret, resident_id, device_id, password_hash or "")


async def start_session(resident_id: int, *, kind: str = "session", label: str = "", days: int | None = 30) -> str:
    """Issue a new token for the resident and return it (only its hash is stored)."""
    token = new_token()
    now = clock.now()
    await db.execute(
        """
        INSERT INTO auth_token (resident, kind, token_hash, label, created_at, last_used_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $5, $6)
        """,
        resident_id,
        kind,
        token_hash(token),
        "".join(ch for ch in label if ch.isprintable()).strip()[:100],
        now,
        now + timedelta(days=days) if days else None,
    )
    return token


async def end_session(token: str) -> None:
    await db.execute("DELETE FROM auth_token WHERE token_hash = $1", token_hash(token))


async def end_all_sessions(*, acting: int, keep_token_id: int | None = None) -> int:
    """Sign the resident out everywhere (web sessions and API tokens), except the one kept."""
    status = await db.execute(
        "DELETE FROM auth_token WHERE resident = $1 AND id IS DISTINCT FROM $2", acting, keep_token_id
    )
    return int(status.split()[-1])


async def change_password(*, acting: int, current_password: str, new_password: str, keep_token_id: int | None,
                          client: throttle.Client = throttle.UNKNOWN_CLIENT) -> None:
    row = await db.fetchrow("SELECT id, email, password_hash FROM resident WHERE id = $1", acting)
    if row is None:
        raise NotFound()
    errors: dict[str, str] = {}
    if not await _password_is_right(throttle.account_key(row["email"]), row, current_password, client):
        errors["current_password"] = "That isn't your current password."
    if message := rules.password_error(new_password, email=row["email"]):
        errors["new_password"] = message
    if errors:
        raise Invalid(errors)
    async with db.transaction():
        await db.execute("UPDATE resident SET password_hash = $2 WHERE id = $1", acting, await hash_password_async(new_password))
        await end_all_sessions(acting=acting, keep_token_id=keep_token_id)


async def create_password_reset(email: str) -> tuple[NewResident, str] | None:
    """A single-use reset token for the account with this email, or None if there is no such account.

    The caller sends the email after this returns (outside effects after commit) and tells the
    person the same thing either way, so the form does not reveal who has an account.
    """
    if rules.email_error(email):
        return None
    row = await db.fetchrow(
        "SELECT id, display_name, email FROM resident WHERE email = $1 AND is_active", rules.normalise_email(email)
    )
    if row is None:
        return None
    token = new_token()
    now = clock.now()
    await db.execute(
        "INSERT INTO password_reset (resident, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        row["id"],
        token_hash(token),
        now,
        now + RESET_VALID,
    )
    return NewResident(id=row["id"], display_name=row["display_name"], email=row["email"]), token


async def reset_password_token_is_valid(token: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM password_reset WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            token_hash(token),
            clock.now(),
        )
    )


async def reset_password(*, token: str, new_password: str) -> int:
    """Use a reset token (once) to set a new password; signs the resident out everywhere."""
    async with db.transaction():
        row = await db.fetchrow(
            """
            UPDATE password_reset SET used_at = $2
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
            RETURNING resident
            """,
            token_hash(token),
            clock.now(),
        )
        if row is None:
            raise Invalid({"token": "This reset link has expired or was already used. Ask for a new one."})
        resident_id = row["resident"]
        email = await db.fetchval("SELECT email FROM resident WHERE id = $1", resident_id)
        if message := rules.password_error(new_password, email=email):
            raise Invalid({"new_password": message})
        await db.execute(
            "UPDATE resident SET password_hash = $2 WHERE id = $1", resident_id, await hash_password_async(new_password)
        )
        await db.execute(
            "UPDATE password_reset SET used_at = $2 WHERE resident = $1 AND used_at IS NULL", resident_id, clock.now()
        )
        await end_all_sessions(acting=resident_id)
    return resident_id


# ---------------------------------------------------------------- closing an account

CLOSED_NAME = "Former neighbour"
CLOSED_HASH = "!closed"  # not an argon2 hash: no password ever matches it
WRONG_PASSWORD = "That isn't your password."
STILL_OUT = ("“{title}” is still lent or borrowed. Finish that loan first (the borrower marks it "
             "returned, the lender confirms), then you can close your account.")
THEN_CLOSE = "then you can close your account."


async def close_account(*, acting: int, password: str, client: throttle.Client = throttle.UNKNOWN_CLIENT) -> None:
    """The resident closes their account, confirming with their password. In one transaction:
    - refused (Conflict) while something is lent or borrowed (handed over, or back but not yet
      confirmed), and while they are the only coordinator of a street others live on; nothing is
      written then. A street nobody else lives on is archived (places.archive_streets_left_empty);
    - their name becomes "Former neighbour", their email, password, home and street are erased and
      the account can no longer sign in, so what other people keep shows nobody;
    - their requests and accepted exchanges not yet handed over are cancelled (the other side is
      told), their open offers and asks withdrawn, their coordinator roles ended;
    - their sessions, tokens, resets, blocks, notifications and preferences are deleted.
    What the other party of an exchange keeps (its history, messages and thanks) stays, under the
    anonymous name, as product.md asks. Each other domain's rows are written by its own service.
    """
    row = await db.fetchrow("SELECT id, email, display_name, password_hash FROM resident WHERE id = $1 AND is_active",
                            acting)
    if row is None:
        raise NotFound()
    if not await _password_is_right(throttle.account_key(row["email"]), row, password, client):
        raise Invalid({"password": WRONG_PASSWORD})
    from streetshare.asks import service as asks
    from streetshare.coordinators import service as coordinators
    from streetshare.exchanges import queries as exchange_queries
    from streetshare.exchanges import service as exchanges
    from streetshare.notifications import service as notifications
    from streetshare.offers import service as offers
    from streetshare.places import service as places

    async with db.transaction():
        # NO KEY, as moving street (places.service._move): a coordinator appointing them meanwhile goes on.
        if await db.fetchval("SELECT id FROM resident WHERE id = $1 AND is_active FOR NO KEY UPDATE", acting) is None:
            raise NotFound()  # closed a moment ago, in another request
        out = await exchange_queries.item_still_out(acting)
        if out is not None:
            raise Conflict(STILL_OUT.format(title=out))
        await places.archive_streets_left_empty(acting)  # their street, if nobody else lives there
        await coordinators.step_down_when_leaving(acting, then=THEN_CLOSE)
        # Anonymous first, so that what the other side is told below names nobody.
        await db.execute(
            """UPDATE resident SET display_name = $2, email = $3, password_hash = $4, is_active = false,
                   home_lat = NULL, home_lng = NULL, home_address = NULL, street = NULL, street_joined_at = NULL,
                   last_seen_at = NULL
               WHERE id = $1""",
            acting, CLOSED_NAME, f"closed-{acting}@closed.invalid", CLOSED_HASH,
        )
        await exchanges.cancel_open_exchanges(acting, note="Closed their account")
        await offers.withdraw_open_offers(acting)
        await asks.withdraw_open_asks(acting)
        await places.forget_blocks(acting)
        await coordinators.forget_resident(acting)
        await notifications.forget_resident(acting, former_name=row["display_name"], new_name=CLOSED_NAME)
        await db.execute("DELETE FROM password_reset WHERE resident = $1", acting)
        await db.execute("DELETE FROM auth_token WHERE resident = $1", acting)
    log.info("account closed", extra={"resident_id": acting})
