"""Account verbs on the real database: sign up, authenticate, sessions, password change and reset."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from streetshare.accounts import passwords
from argon2 import PasswordHasher

from streetshare import clock, db
from streetshare.accounts import queries, service
from streetshare.accounts.tokens import token_hash
from streetshare.errors import Invalid
from support.cast import PASSWORD, make_resident

NEW_PASSWORD = "a brand new passphrase"


async def residents() -> int:
    return await db.fetchval("SELECT count(*) FROM resident")


# ---------------------------------------------------------------- sign up


async def test_sign_up_stores_the_email_lower_cased_and_the_name_trimmed():
    created = await service.sign_up(email="  Alice@Example.ORG ", password=PASSWORD, display_name="  Alice ")

    row = await db.fetchrow("SELECT email, display_name FROM resident WHERE id = $1", created.id)
    assert (row["email"], row["display_name"]) == ("alice@example.org", "Alice")
    assert (created.email, created.display_name) == ("alice@example.org", "Alice")


async def test_sign_up_stores_an_argon2_hash_never_the_password():
    created = await service.sign_up(email="alice@example.org", password=PASSWORD, display_name="Alice")

    stored = await db.fetchval("SELECT password_hash FROM resident WHERE id = $1", created.id)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


async def test_the_same_email_in_another_case_cannot_sign_up_twice(alice):
    with pytest.raises(Invalid) as refused:
        await service.sign_up(email="ALICE@example.org", password=PASSWORD, display_name="Another Alice")

    assert set(refused.value.errors) == {"email"}
    assert "already an account" in refused.value.errors["email"]
    assert await residents() == 1


async def test_bad_sign_up_names_every_bad_field_and_writes_nothing():
    with pytest.raises(Invalid) as refused:
        await service.sign_up(email="not-an-email", password="short", display_name="")

    assert set(refused.value.errors) == {"email", "password", "display_name"}
    assert await residents() == 0


async def test_password_equal_to_the_email_is_refused_at_sign_up():
    with pytest.raises(Invalid) as refused:
        await service.sign_up(email="alice@example.org", password="Alice@Example.org", display_name="Alice")

    assert set(refused.value.errors) == {"password"}
    assert await residents() == 0


# ---------------------------------------------------------------- authenticate


async def test_the_right_password_authenticates_whatever_the_email_case(alice):
    assert await service.authenticate(email=" ALICE@example.org ", password=PASSWORD) == alice.id


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(alice):
    with pytest.raises(Invalid) as wrong_password:
        await service.authenticate(email=alice.email, password="not my password")
    with pytest.raises(Invalid) as unknown_email:
        await service.authenticate(email="nobody@example.org", password=PASSWORD)

    assert wrong_password.value.errors == unknown_email.value.errors
    assert wrong_password.value.message == unknown_email.value.message


async def test_a_deactivated_resident_cannot_sign_in(alice):
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", alice.id)

    with pytest.raises(Invalid):
        await service.authenticate(email=alice.email, password=PASSWORD)


async def test_an_old_weaker_hash_is_upgraded_on_sign_in(alice):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    await db.execute("UPDATE resident SET password_hash = $2 WHERE id = $1", alice.id, weak)

    await service.authenticate(email=alice.email, password=PASSWORD)

    stored = await db.fetchval("SELECT password_hash FROM resident WHERE id = $1", alice.id)
    assert stored != weak and PasswordHasher().verify(stored, PASSWORD)
    assert not passwords.needs_rehash(stored)  # the parameters in use (the suite's cheaper argon2id)


# ---------------------------------------------------------------- sessions and tokens


async def test_a_session_token_is_stored_only_as_its_hash(alice):
    token = await service.start_session(alice.id)

    stored = await db.fetchval("SELECT token_hash FROM auth_token WHERE resident = $1", alice.id)
    assert stored == token_hash(token) and token not in stored


async def test_a_session_finds_its_resident(alice):
    token = await service.start_session(alice.id)

    me = await queries.resident_for_token(token, "session")

    assert me is not None and (me.id, me.display_name, me.email) == (alice.id, "Alice", alice.email)


async def test_a_session_token_is_not_an_api_token_nor_the_other_way_round(alice):
    session = await service.start_session(alice.id)
    api = await service.start_session(alice.id, kind="api", days=None)

    assert await queries.resident_for_token(session, "api") is None
    assert await queries.resident_for_token(api, "session") is None


async def test_a_session_expires_after_its_days(alice):
    token = await service.start_session(alice.id, days=30)

    clock.travel(timedelta(days=30, seconds=1))

    assert await queries.resident_for_token(token, "session") is None


async def test_an_api_token_does_not_expire_by_itself(alice):
    token = await service.start_session(alice.id, kind="api", days=None)

    clock.travel(timedelta(days=400))

    assert await queries.resident_for_token(token, "api") is not None


async def test_a_deactivated_residents_sessions_stop_working(alice):
    token = await service.start_session(alice.id)
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", alice.id)

    assert await queries.resident_for_token(token, "session") is None


@pytest.mark.parametrize("token", ["", "x" * 101, "made-up-token"])
async def test_unknown_or_absurd_tokens_find_nobody(alice, token):
    assert await queries.resident_for_token(token, "session") is None


async def test_ending_a_session_ends_only_that_session(alice):
    first = await service.start_session(alice.id)
    second = await service.start_session(alice.id)

    await service.end_session(first)

    assert await queries.resident_for_token(first, "session") is None
    assert await queries.resident_for_token(second, "session") is not None


async def test_signing_out_everywhere_ends_sessions_and_api_tokens_but_not_other_residents(alice, bob):
    sessions = [await service.start_session(alice.id) for _ in range(2)]
    api = await service.start_session(alice.id, kind="api", days=None)
    bobs = await service.start_session(bob.id)

    assert await service.end_all_sessions(acting=alice.id) == 3

    for token in sessions:
        assert await queries.resident_for_token(token, "session") is None
    assert await queries.resident_for_token(api, "api") is None
    assert await queries.resident_for_token(bobs, "session") is not None


async def test_active_sessions_counts_only_unexpired_web_sessions(alice):
    await service.start_session(alice.id)
    await service.start_session(alice.id, days=1)
    await service.start_session(alice.id, kind="api", days=None)

    clock.travel(timedelta(days=2))

    assert await queries.active_sessions(alice.id) == 1


# ---------------------------------------------------------------- change password


async def test_changing_the_password_ends_other_sessions_and_keeps_this_one(alice):
    this = await service.start_session(alice.id)
    other = await service.start_session(alice.id)
    api = await service.start_session(alice.id, kind="api", days=None)
    me = await queries.resident_for_token(this, "session")

    await service.change_password(acting=alice.id, current_password=PASSWORD, new_password=NEW_PASSWORD,
                                  keep_token_id=me.token_id)

    assert await queries.resident_for_token(this, "session") is not None
    assert await queries.resident_for_token(other, "session") is None
    assert await queries.resident_for_token(api, "api") is None
    assert await service.authenticate(email=alice.email, password=NEW_PASSWORD) == alice.id
    with pytest.raises(Invalid):
        await service.authenticate(email=alice.email, password=PASSWORD)


async def test_a_wrong_current_password_changes_nothing(alice):
    other = await service.start_session(alice.id)

    with pytest.raises(Invalid) as refused:
        await service.change_password(acting=alice.id, current_password="not my password",
                                      new_password=NEW_PASSWORD, keep_token_id=None)

    assert set(refused.value.errors) == {"current_password"}
    assert await queries.resident_for_token(other, "session") is not None
    assert await service.authenticate(email=alice.email, password=PASSWORD) == alice.id


async def test_a_too_short_new_password_is_refused(alice):
    with pytest.raises(Invalid) as refused:
        await service.change_password(acting=alice.id, current_password=PASSWORD, new_password="short",
                                      keep_token_id=None)

    assert set(refused.value.errors) == {"new_password"}


# ---------------------------------------------------------------- password reset


async def test_a_reset_for_an_unknown_email_creates_nothing():
    assert await service.create_password_reset("nobody@example.org") is None
    assert await db.fetchval("SELECT count(*) FROM password_reset") == 0


async def test_a_reset_token_sets_a_new_password_and_signs_out_everywhere(alice):
    session = await service.start_session(alice.id)
    _, token = await service.create_password_reset("ALICE@example.org")

    assert await service.reset_password(token=token, new_password=NEW_PASSWORD) == alice.id

    assert await service.authenticate(email=alice.email, password=NEW_PASSWORD) == alice.id
    assert await queries.resident_for_token(session, "session") is None


async def test_a_reset_token_is_stored_only_as_its_hash(alice):
    _, token = await service.create_password_reset(alice.email)

    assert await db.fetchval("SELECT token_hash FROM password_reset") == token_hash(token)


async def test_a_reset_token_works_once(alice):
    _, token = await service.create_password_reset(alice.email)
    await service.reset_password(token=token, new_password=NEW_PASSWORD)

    with pytest.raises(Invalid) as refused:
        await service.reset_password(token=token, new_password="yet another passphrase")

    assert set(refused.value.errors) == {"token"}
    assert await service.authenticate(email=alice.email, password=NEW_PASSWORD) == alice.id


async def test_a_reset_token_works_until_60_minutes_and_not_after(alice):
    _, token = await service.create_password_reset(alice.email)

    clock.travel(timedelta(minutes=59))
    assert await service.reset_password_token_is_valid(token)

    clock.travel(timedelta(minutes=1, seconds=1))
    assert not await service.reset_password_token_is_valid(token)
    with pytest.raises(Invalid):
        await service.reset_password(token=token, new_password=NEW_PASSWORD)
    assert await service.authenticate(email=alice.email, password=PASSWORD) == alice.id


async def test_a_bad_new_password_does_not_use_up_the_reset_token(alice):
    _, token = await service.create_password_reset(alice.email)

    with pytest.raises(Invalid) as refused:
        await service.reset_password(token=token, new_password="short")

    assert set(refused.value.errors) == {"new_password"}
    assert await service.reset_password_token_is_valid(token)
    await service.reset_password(token=token, new_password=NEW_PASSWORD)


async def test_a_new_password_equal_to_the_email_is_refused_at_reset(alice):
    _, token = await service.create_password_reset(alice.email)

    with pytest.raises(Invalid) as refused:
        await service.reset_password(token=token, new_password=alice.email.upper())

    assert set(refused.value.errors) == {"new_password"}


async def test_using_one_reset_link_cancels_the_others(alice):
    _, first = await service.create_password_reset(alice.email)
    _, second = await service.create_password_reset(alice.email)

    await service.reset_password(token=second, new_password=NEW_PASSWORD)

    assert not await service.reset_password_token_is_valid(first)


async def test_one_residents_reset_token_cannot_reset_another(alice, bob):
    _, token = await service.create_password_reset(alice.email)

    await service.reset_password(token=token, new_password=NEW_PASSWORD)

    assert await service.authenticate(email=bob.email, password=PASSWORD) == bob.id


@pytest.mark.parametrize("token", ["", "made-up-token"])
async def test_a_made_up_reset_token_is_refused(alice, token):
    with pytest.raises(Invalid):
        await service.reset_password(token=token, new_password=NEW_PASSWORD)


async def test_a_reset_for_a_deactivated_resident_creates_nothing():
    carol = await make_resident("Carol")
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", carol.id)

    assert await service.create_password_reset(carol.email) is None


# ---------------------------------------------------------------- text PostgreSQL cannot store


async def test_signing_in_with_a_nul_in_the_email_is_the_usual_wrong_credentials(alice):
    with pytest.raises(Invalid) as refused:
        await service.authenticate(email="alice\x00@example.org", password=PASSWORD)

    assert refused.value.message == service.WRONG_CREDENTIALS


async def test_a_reset_for_an_email_with_a_nul_creates_nothing(alice):
    assert await service.create_password_reset("alice@example.org\x00") is None


async def test_a_token_label_keeps_only_printable_characters(alice):
    await service.start_session(alice.id, kind="api", label="my\x00 phone\n", days=None)

    assert await db.fetchval("SELECT label FROM auth_token") == "my phone"


# ---------------------------------------------------------------- one account per email, held by the database


async def test_the_database_refuses_an_email_that_is_not_lower_cased():
    with pytest.raises(asyncpg.exceptions.CheckViolationError):
        await db.execute("INSERT INTO resident (email, display_name, password_hash, created_at) "
                         "VALUES ('Alice@example.org', 'Alice', 'x', now())")


async def test_two_sign_ups_racing_for_one_email_make_one_account():
    async def attempt(email: str):
        try:
            return await service.sign_up(email=email, password=PASSWORD, display_name="Alice")
        except Invalid as exc:
            return exc

    results = await asyncio.gather(attempt("alice@example.org"), attempt("ALICE@example.org"))

    assert sorted(type(r).__name__ for r in results) == ["Invalid", "NewResident"]
    assert await residents() == 1
