"""The sign-in throttle over HTTP: a stranger guessing never locks the owner out, guesses slow down per
account with growing delays, only the guessing client is told to wait (429 and Retry-After), and
successes never count. The same throttle guards every password check: web sign-in, API tokens,
closing the account and changing the password."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from support.cast import PASSWORD, app_client, post_form, sign_in

from streetshare import clock, db
from streetshare.accounts import devices, throttle

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def proxied(settings):
    """Behind the operator's reverse proxy, so each test request can come from an address of its choosing."""
    return settings.with_(trust_proxy=True)


@pytest.fixture
async def phone(proxied):
    """Alice's own phone."""
    async with app_client(proxied) as c:
        yield c


@pytest.fixture
async def stranger(proxied):
    async with app_client(proxied) as c:
        yield c


async def attempt(client, email: str, password: str, address: str):
    return await post_form(client, "/signin", {"email": email, "password": password},
                           headers={"X-Forwarded-For": address})


def form_error(response) -> str:
    match = re.search(r'<div class="alert error" role="alert">([^<]*)</div>', response.text)
    return html.unescape(match.group(1)) if match else ""


async def guess_until_refused(client, email: str, *, addresses: int) -> list[int]:
    """A stranger's wrong guesses at `email`, each from a new address: the statuses."""
    return [(await attempt(client, email, f"guess number {n}", f"198.51.100.{n}")).status_code
            for n in range(addresses)]


async def test_successful_sign_ins_are_never_counted(phone, alice):
    with clock.frozen_at(START):
        for _ in range(throttle.guesses_per_day() + 5):
            response = await attempt(phone, alice.email, PASSWORD, "203.0.113.7")
            assert response.status_code == 303
            phone.cookies.delete("streetshare_session")
    assert await db.fetchval("SELECT count(*) FROM sign_in_failure") == 0


async def test_a_stranger_guessing_from_many_addresses_never_locks_the_owner_out_of_her_phone(phone, stranger, alice):
    with clock.frozen_at(START):
        assert (await attempt(phone, alice.email, PASSWORD, "203.0.113.7")).status_code == 303  # her phone, once
        phone.cookies.delete("streetshare_session")
        statuses = await guess_until_refused(stranger, alice.email, addresses=40)
        assert statuses[:throttle.FREE_FAILURES] == [422] * throttle.FREE_FAILURES and statuses[-1] == 429

        # The stranger is slowed down; Alice, on her phone, signs in at once, even from the same address.
        for address in ("203.0.113.7", "198.51.100.3"):
            response = await attempt(phone, alice.email, PASSWORD, address)
            assert response.status_code == 303, form_error(response)
            phone.cookies.delete("streetshare_session")


async def test_guesses_from_one_address_make_only_that_address_wait(stranger, phone, alice):
    with clock.frozen_at(START + timedelta(seconds=100)):
        for n in range(throttle.ACCOUNT_CLIENT_LIMIT):
            assert (await attempt(stranger, alice.email, f"guess {n}", "198.51.100.1")).status_code == 422
        refused = await attempt(stranger, alice.email, PASSWORD, "198.51.100.1")  # even the right one: not checked
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == 15 * 60
        assert "Too many wrong passwords from here" in form_error(refused)
        assert "streetshare_session" not in stranger.cookies

        # Alice, on a new phone, from her own address: not slowed down by them.
        assert (await attempt(phone, alice.email, PASSWORD, "203.0.113.7")).status_code == 303
    with clock.frozen_at(START + timedelta(seconds=100) + throttle.CLIENT_WINDOW):
        assert (await attempt(stranger, alice.email, "one more guess", "198.51.100.1")).status_code == 422


async def test_after_ten_wrong_passwords_each_further_guess_waits_twice_as_long(stranger, alice):
    with clock.frozen_at(START):
        assert await guess_until_refused(stranger, alice.email, addresses=throttle.FREE_FAILURES) == [422] * 10
    moment, waits = START, []
    for n in range(4):
        with clock.frozen_at(moment):
            refused = await attempt(stranger, alice.email, "guess again", f"192.0.2.{n}")
        assert refused.status_code == 429
        assert "Too many wrong passwords for this account" in form_error(refused)
        waits.append(int(refused.headers["retry-after"]))
        moment += timedelta(seconds=waits[-1])
        with clock.frozen_at(moment):
            assert (await attempt(stranger, alice.email, "guess again", f"192.0.2.{n}")).status_code == 422
    assert waits == [60, 120, 240, 480]


async def test_the_reset_link_lets_the_owner_sign_in_on_a_new_phone_while_the_account_is_slowed(
        stranger, phone, alice, proxied, smtp_server):
    with clock.frozen_at(START):
        await guess_until_refused(stranger, alice.email, addresses=throttle.FREE_FAILURES + 1)
        refused = await attempt(phone, alice.email, PASSWORD, "203.0.113.7")
        assert refused.status_code == 429 and "reset your password" in form_error(refused)

        from streetshare.accounts import service

        _, token = await service.create_password_reset(alice.email)
        reset = await post_form(phone, "/password/reset", {"token": token, "new_password": "a brand new passphrase"},
                                form_page=f"/password/reset?token={token}")
        assert reset.status_code == 303
        assert (await attempt(phone, alice.email, "a brand new passphrase", "203.0.113.7")).status_code == 303


async def test_a_device_pass_is_void_once_the_password_changes(phone, stranger, alice):
    with clock.frozen_at(START):
        assert (await attempt(phone, alice.email, PASSWORD, "203.0.113.7")).status_code == 303
        old_pass = phone.cookies[devices.COOKIE]
        response = await post_form(phone, "/account/password", {"current_password": PASSWORD,
                                                                 "new_password": "a brand new passphrase"},
                                   form_page="/account")
        assert response.status_code == 303 and phone.cookies[devices.COOKIE] != old_pass

        # A browser still holding the old pass (stolen, or signed out and forgotten) is a stranger now.
        stranger.cookies.set(devices.COOKIE, old_pass)
        statuses = await guess_until_refused(stranger, alice.email, addresses=throttle.FREE_FAILURES + 1)
        assert statuses[-1] == 429
        phone.cookies.delete("streetshare_session")
        assert (await attempt(phone, alice.email, "a brand new passphrase", "203.0.113.7")).status_code == 303


async def test_a_forged_device_pass_is_a_stranger(stranger, alice):
    stranger.cookies.set(devices.COOKIE, f"{'a' * 24}.{alice.id}-{'0' * 32}")
    with clock.frozen_at(START):
        statuses = await guess_until_refused(stranger, alice.email, addresses=throttle.FREE_FAILURES + 1)
    assert statuses[-1] == 429


async def test_unknown_emails_are_slowed_down_the_same_way(stranger):
    with clock.frozen_at(START):
        statuses = await guess_until_refused(stranger, "nobody@example.org", addresses=throttle.FREE_FAILURES + 1)
    assert statuses == [422] * throttle.FREE_FAILURES + [429]


async def test_one_address_trying_many_accounts_is_made_to_wait(stranger):
    with clock.frozen_at(START):
        statuses = [(await attempt(stranger, f"someone{n}@example.org", PASSWORD, "198.51.100.9")).status_code
                    for n in range(throttle.CLIENT_LIMIT + 1)]
    assert statuses == [422] * throttle.CLIENT_LIMIT + [429]


async def test_api_tokens_go_through_the_same_throttle(proxied, alice):
    async with app_client(proxied) as api:
        with clock.frozen_at(START):
            for n in range(throttle.ACCOUNT_CLIENT_LIMIT):
                wrong = await api.post("/api/v1/auth/token", json={"email": alice.email, "password": f"guess {n}"},
                                       headers={"X-Forwarded-For": "198.51.100.1"})
                assert wrong.status_code == 422
            refused = await api.post("/api/v1/auth/token", json={"email": alice.email, "password": PASSWORD},
                                     headers={"X-Forwarded-For": "198.51.100.1"})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 15 * 60
            assert "Too many wrong passwords" in refused.json()["detail"]
            elsewhere = await api.post("/api/v1/auth/token", json={"email": alice.email, "password": PASSWORD},
                                       headers={"X-Forwarded-For": "203.0.113.7"})
            assert elsewhere.status_code == 200


async def test_closing_the_account_goes_through_the_same_throttle(client, alice):
    await sign_in(client, alice)
    with clock.frozen_at(START):
        statuses = [(await post_form(client, "/account/close", {"password": "guess guess guess"},
                                     form_page="/account/close")).status_code
                    for _ in range(throttle.ACCOUNT_CLIENT_LIMIT + 1)]
        assert statuses == [422] * throttle.ACCOUNT_CLIENT_LIMIT + [429]
        refused = await post_form(client, "/account/close", {"password": alice.password}, form_page="/account/close")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert 'id="f-password-error">Too many wrong passwords' in refused.text
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", alice.id) is True
    assert await db.fetchval("SELECT count(*) FROM sign_in_failure WHERE account = $1", alice.email) == 5


async def test_changing_the_password_goes_through_the_same_throttle(client, alice):
    await sign_in(client, alice)
    with clock.frozen_at(START):
        statuses = [(await post_form(client, "/account/password", {"current_password": "guess guess guess",
                                                                   "new_password": "a brand new passphrase"},
                                     form_page="/account")).status_code
                    for _ in range(throttle.ACCOUNT_CLIENT_LIMIT + 1)]
    assert statuses == [422] * throttle.ACCOUNT_CLIENT_LIMIT + [429]
