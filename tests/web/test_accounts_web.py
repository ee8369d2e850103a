"""Account pages over HTTP: sign up, sign in, sign out (here and everywhere), change password,
password reset by email through a real local SMTP server, safe redirects and the sign-up limit
(the sign-in throttle has its own file, test_accounts_throttle.py)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from streetshare import clock, db
from streetshare.accounts import routes
from streetshare.accounts import service as accounts
from support.cast import PASSWORD, app_client, csrf_token, post_form, sign_in

NEW_PASSWORD = "a brand new passphrase"
EVIL_NEXTS = ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)",
              "%2F%2Fevil.example", "///evil.example", "/\t/evil.example"]
# The start of a 15-minute window (and of an hour): rate-limit tests never straddle two windows.
WINDOW_START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def field_error(response, field: str) -> str | None:
    """The message shown next to a form field (the element with id f-<field>-error), unescaped."""
    match = re.search(rf'<p class="error" id="f-{field}-error">([^<]*)</p>', response.text)
    return html.unescape(match.group(1)) if match else None


def form_error(response) -> str | None:
    match = re.search(r'<div class="alert error" role="alert">([^<]*)</div>', response.text)
    return html.unescape(match.group(1)) if match else None


def session_cookie_header(response) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith("streetshare_session=")]
    return header


async def residents() -> int:
    return await db.fetchval("SELECT count(*) FROM resident")


async def sign_up(client, **fields: str):
    data = {"display_name": "Alice", "email": "alice@example.org", "password": PASSWORD, **fields}
    return await post_form(client, "/signup", data)


@pytest.fixture
async def second_browser(settings):
    """Another browser on the same app settings (another phone, another laptop)."""
    async with app_client(settings) as c:
        yield c


@pytest.fixture
async def mail_client(settings, smtp_server):
    """A client into an app that sends its mail to the test's real SMTP server."""
    mail_settings = settings.with_(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_starttls=False)
    async with app_client(mail_settings) as c:
        yield c


# ---------------------------------------------------------------- sign up


async def test_signing_up_signs_you_in_with_an_httponly_lax_session_cookie(client):
    response = await sign_up(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("httponly", "")  # plain http: a Secure cookie would never come back
    account = await client.get("/account")
    assert account.status_code == 200 and "Alice" in account.text


async def test_cookies_are_secure_when_the_site_is_served_over_https(settings):
    async with app_client(settings.with_(base_url="https://elm.example")) as browser:
        response = await sign_up(browser)

        assert "; secure" in session_cookie_header(response).lower()
        csrf = [h for h in response.headers.get_list("set-cookie") + (await browser.get("/signin")).headers.get_list(
            "set-cookie") if h.startswith("streetshare_csrf=")]
        assert all("; secure" in h.lower() for h in csrf)
        assert (await browser.get("/account")).status_code == 200


async def test_signing_up_goes_on_to_a_page_of_ours(client):
    response = await sign_up(client, next="/account")

    assert response.headers["location"] == "/account"


@pytest.mark.parametrize("evil", EVIL_NEXTS)
async def test_signing_up_never_goes_on_to_another_site(client, evil):
    response = await sign_up(client, next=evil)

    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"display_name": ""}, "display_name", "Please tell your neighbours what to call you."),
        ({"display_name": "   "}, "display_name", "Please tell your neighbours what to call you."),
        ({"email": ""}, "email", "Please enter your email address."),
        ({"email": "alice.example.org"}, "email", "That doesn't look like an email address (it should be like name@example.com)."),
        ({"password": "short"}, "password", "Please choose a password of at least 10 characters."),
        ({"password": "ALICE@example.org"}, "password", "Please don't use your email address as your password."),
    ],
)
async def test_bad_sign_up_is_a_422_with_the_message_next_to_the_field_and_writes_nothing(client, fields, field, message):
    response = await sign_up(client, **fields)

    assert response.status_code == 422
    assert field_error(response, field) == message
    assert f'aria-describedby="' in response.text and f'f-{field}-error"' in response.text
    assert await residents() == 0
    assert "streetshare_session" not in client.cookies


async def test_bad_sign_up_keeps_what_was_typed_except_the_password(client):
    response = await sign_up(client, display_name="Alice", email="alice@example.org", password="tiny pw")

    assert 'value="alice@example.org"' in response.text and 'value="Alice"' in response.text
    assert "tiny pw" not in response.text


async def test_sign_up_with_a_missing_field_is_a_422_not_a_500(client):
    response = await post_form(client, "/signup", {"email": "alice@example.org"})

    assert response.status_code == 422
    assert field_error(response, "display_name") and field_error(response, "password")
    assert await residents() == 0


async def test_an_email_already_used_in_another_case_cannot_sign_up_again(client, alice):
    response = await sign_up(client, display_name="Other Alice", email="ALICE@Example.org")

    assert response.status_code == 422
    assert "already an account" in field_error(response, "email")
    assert await residents() == 1


async def test_the_sign_up_page_sends_a_signed_in_resident_on(client, alice):
    await sign_in(client, alice)

    response = await client.get("/signup")

    assert response.status_code in {302, 303} and response.headers["location"] == "/"


# ---------------------------------------------------------------- sign in


async def test_signing_in_sets_the_session_cookie(client, alice):
    response = await post_form(client, "/signin", {"email": alice.email, "password": PASSWORD})

    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_emails_are_case_insensitive_when_signing_in(client, alice):
    response = await post_form(client, "/signin", {"email": "  ALICE@Example.ORG ", "password": PASSWORD})

    assert response.status_code == 303


async def test_signing_in_goes_back_to_the_page_that_asked(client, alice):
    page = await client.get("/signin?next=%2Faccount%3Ftab%3Ddevices")
    assert 'name="next" value="/account?tab=devices"' in page.text

    response = await post_form(client, "/signin", {"email": alice.email, "password": PASSWORD,
                                                    "next": "/account?tab=devices"})

    assert response.headers["location"] == "/account?tab=devices"


@pytest.mark.parametrize("evil", EVIL_NEXTS)
async def test_signing_in_never_goes_on_to_another_site(client, alice, evil):
    page = await client.get(f"/signin?next={quote(evil, safe='')}")
    assert 'name="next" value=""' in page.text

    response = await post_form(client, "/signin", {"email": alice.email, "password": PASSWORD, "next": evil})

    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_signing_in_with_a_url_encoded_next_lands_on_the_start_page(client, alice):
    """next=%2F%2Fevil arrives decoded as //evil, and is refused."""
    page = await client.get("/signin?next=%2F%2Fevil.example")

    assert 'name="next" value=""' in page.text


async def test_a_wrong_password_is_a_422_that_says_what_to_do_and_sets_no_cookie(client, alice):
    response = await post_form(client, "/signin", {"email": alice.email, "password": "not my password"})

    assert response.status_code == 422
    assert "reset your password" in form_error(response)
    assert "streetshare_session" not in client.cookies
    assert 'value="alice@example.org"' in response.text


async def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, alice):
    wrong_password = await post_form(client, "/signin", {"email": alice.email, "password": "not my password"})
    unknown = await post_form(client, "/signin", {"email": "nobody@example.org", "password": PASSWORD})

    assert unknown.status_code == wrong_password.status_code == 422
    assert form_error(unknown) == form_error(wrong_password)


async def test_sign_in_with_nothing_filled_in_is_a_422_not_a_500(client):
    response = await post_form(client, "/signin", {})

    assert response.status_code == 422


# ---------------------------------------------------------------- sign out


async def test_signing_out_ends_the_session_on_the_server_too(client, second_browser, alice):
    await sign_in(client, alice)
    token = client.cookies["streetshare_session"]

    response = await post_form(client, "/signout", {}, form_page="/account")

    assert response.status_code == 303
    assert "streetshare_session" not in client.cookies
    # The old cookie, replayed from elsewhere, no longer works.
    second_browser.cookies.set("streetshare_session", token, domain="testserver.local")
    assert (await second_browser.get("/account")).status_code == 303


async def test_signing_out_everywhere_ends_every_session_and_api_token(client, second_browser, alice):
    await sign_in(client, alice)
    await sign_in(second_browser, alice)
    api = await client.post("/api/v1/auth/token", json={"email": alice.email, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {api.json()['access_token']}"}

    response = await post_form(client, "/account/signout-everywhere", {}, form_page="/account")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?signed_out=everywhere"
    assert (await client.get("/account")).status_code == 303
    assert (await second_browser.get("/account")).status_code == 303
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_signing_out_everywhere_leaves_other_residents_signed_in(client, second_browser, alice, bob):
    await sign_in(client, alice)
    await sign_in(second_browser, bob)

    await post_form(client, "/account/signout-everywhere", {}, form_page="/account")

    assert (await second_browser.get("/account")).status_code == 200


async def test_signing_out_everywhere_needs_a_signed_in_resident(client):
    response = await post_form(client, "/account/signout-everywhere", {}, form_page="/signin")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin"


# ---------------------------------------------------------------- change password


async def change_password(client, current: str, new: str):
    return await post_form(client, "/account/password", {"current_password": current, "new_password": new},
                           form_page="/account")


async def test_changing_the_password_ends_other_sessions_and_keeps_this_one(client, second_browser, alice):
    await sign_in(client, alice)
    await sign_in(second_browser, alice)

    response = await change_password(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 303 and response.headers["location"] == "/account?changed=1"
    assert (await client.get("/account?changed=1")).status_code == 200
    assert (await second_browser.get("/account")).status_code == 303
    assert (await post_form(second_browser, "/signin", {"email": alice.email, "password": NEW_PASSWORD})).status_code == 303


async def test_a_wrong_current_password_is_a_422_next_to_that_field_and_changes_nothing(client, second_browser, alice):
    await sign_in(client, alice)
    await sign_in(second_browser, alice)

    response = await change_password(client, "not my password", NEW_PASSWORD)

    assert response.status_code == 422
    assert field_error(response, "current_password") == "That isn't your current password."
    assert (await second_browser.get("/account")).status_code == 200
    assert await accounts.authenticate(email=alice.email, password=PASSWORD) == alice.id


async def test_a_too_short_new_password_is_a_422_next_to_that_field(client, alice):
    await sign_in(client, alice)

    response = await change_password(client, PASSWORD, "short")

    assert response.status_code == 422
    assert "at least 10 characters" in field_error(response, "new_password")


async def test_changing_the_password_needs_a_signed_in_resident(client):
    response = await post_form(client, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                               form_page="/signin")

    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


# ---------------------------------------------------------------- password reset by email


async def ask_for_reset(client, email: str):
    return await post_form(client, "/password/forgot", {"email": email})


def reset_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    (link,) = re.findall(r"http://testserver\.local/password/reset\?token=[A-Za-z0-9_-]+", text)
    return link.removeprefix("http://testserver.local")


async def reset(client, link: str, new_password: str):
    token = link.split("token=")[1]
    return await post_form(client, "/password/reset", {"token": token, "new_password": new_password}, form_page=link)


async def test_the_reset_email_has_a_text_and_an_html_part_with_the_same_link(mail_client, smtp_server, alice):
    response = await ask_for_reset(mail_client, alice.email)

    assert response.status_code == 200
    (message,) = await smtp_server.wait_for(1)
    assert message["To"] == alice.email
    assert message["Subject"] == "Reset your Streetshare password"
    assert message.is_multipart()
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",)).get_content()
    link = reset_link(message)
    assert "60 minutes" in text
    assert f'href="http://testserver.local{link}"' in html_part


async def test_a_reset_link_sets_a_new_password_once(mail_client, smtp_server, alice):
    await ask_for_reset(mail_client, alice.email)
    (message,) = await smtp_server.wait_for(1)
    link = reset_link(message)

    page = await mail_client.get(link)
    assert page.status_code == 200 and 'name="new_password"' in page.text
    response = await reset(mail_client, link, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/signin?reset=1"
    signed_in = await post_form(mail_client, "/signin", {"email": alice.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 303

    again = await mail_client.get(link)
    assert again.status_code == 410 and "expired or was already used" in html.unescape(again.text)
    assert (await post_form(mail_client, "/password/reset", {"token": link.split("token=")[1],
                                                            "new_password": "yet another passphrase"},
                            form_page="/password/forgot")).status_code == 422


async def test_a_reset_link_expires_after_60_minutes(mail_client, smtp_server, alice):
    await ask_for_reset(mail_client, alice.email)
    (message,) = await smtp_server.wait_for(1)
    link = reset_link(message)

    clock.travel(timedelta(minutes=60, seconds=1))

    assert (await mail_client.get(link)).status_code == 410
    token = link.split("token=")[1]
    response = await post_form(mail_client, "/password/reset", {"token": token, "new_password": NEW_PASSWORD},
                               form_page="/password/forgot")
    assert response.status_code == 422
    assert (await post_form(mail_client, "/signin", {"email": alice.email, "password": PASSWORD})).status_code == 303


async def test_a_reset_link_still_works_at_59_minutes(mail_client, smtp_server, alice):
    await ask_for_reset(mail_client, alice.email)
    (message,) = await smtp_server.wait_for(1)

    clock.travel(timedelta(minutes=59))

    assert (await mail_client.get(reset_link(message))).status_code == 200


async def test_a_bad_new_password_does_not_use_up_the_reset_link(mail_client, smtp_server, alice):
    await ask_for_reset(mail_client, alice.email)
    (message,) = await smtp_server.wait_for(1)
    link = reset_link(message)

    response = await reset(mail_client, link, "short")

    assert response.status_code == 422
    assert "at least 10 characters" in field_error(response, "new_password")
    assert 'name="token"' in response.text  # the form is still there to try again
    assert (await reset(mail_client, link, NEW_PASSWORD)).status_code == 303


async def test_resetting_the_password_signs_out_every_other_session(mail_client, smtp_server, alice, settings):
    async with app_client(settings) as phone:
        await sign_in(phone, alice)
        await ask_for_reset(mail_client, alice.email)
        (message,) = await smtp_server.wait_for(1)

        await reset(mail_client, reset_link(message), NEW_PASSWORD)

        assert (await phone.get("/account")).status_code == 303


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(mail_client, smtp_server, alice):
    known = await ask_for_reset(mail_client, alice.email)
    await smtp_server.wait_for(1)

    unknown = await ask_for_reset(mail_client, "nobody@example.org")

    assert unknown.status_code == known.status_code == 200
    sent_notice = "If there's an account for that email, we've sent a link"
    assert sent_notice in html.unescape(known.text) and sent_notice in html.unescape(unknown.text)
    assert len(smtp_server.messages) == 1  # the mail is sent before the page answers: none was


async def test_asking_for_a_reset_with_a_malformed_email_is_a_422_next_to_the_field(mail_client, smtp_server):
    response = await ask_for_reset(mail_client, "not an email")

    assert response.status_code == 422
    assert "name@example.com" in field_error(response, "email")
    assert smtp_server.messages == []


async def test_a_reset_link_without_a_token_says_it_has_expired(client):
    response = await client.get("/password/reset")

    assert response.status_code == 410


# ---------------------------------------------------------------- rate limits


async def test_sign_up_is_limited_per_ip_address_across_app_processes(client, second_browser, monkeypatch):
    monkeypatch.setitem(routes.SIGNUP_IP_LIMIT, "limit", 3)
    with clock.frozen_at(WINDOW_START):
        for n in range(3):
            browser = client if n % 2 else second_browser
            assert (await sign_up(browser, email=f"neighbour{n}@example.org")).status_code == 303
            browser.cookies.clear()

        refused = await sign_up(client, email="one-too-many@example.org")

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in form_error(refused)
    assert await residents() == 3


async def test_too_many_reset_requests_for_one_email_are_refused_with_when_to_try_again(client, alice):
    with clock.frozen_at(WINDOW_START):
        answers = [await ask_for_reset(client, alice.email) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_the_sign_up_limit_is_generous_for_people_and_tight_for_robots():
    assert routes.SIGNUP_IP_LIMIT == {"limit": 10, "window_s": 60 * 60}


# ---------------------------------------------------------------- odd input is a 422, never a 500


@pytest.mark.parametrize(
    "fields, field",
    [({"display_name": "Ali\x00ce"}, "display_name"), ({"display_name": "Alice\r\nBcc: x@evil.example"}, "display_name"),
     ({"email": "alice\x00@example.org"}, "email")],
)
async def test_sign_up_with_characters_we_cannot_store_is_a_422_next_to_the_field(client, fields, field):
    response = await sign_up(client, **fields)

    assert response.status_code == 422
    assert field_error(response, field)
    assert await residents() == 0


async def test_sign_in_with_a_nul_in_the_email_is_a_422(client, alice):
    response = await post_form(client, "/signin", {"email": "alice\x00@example.org", "password": PASSWORD})

    assert response.status_code == 422


async def test_asking_for_a_reset_with_a_nul_in_the_email_is_a_422(client):
    response = await ask_for_reset(client, "alice\x00@example.org")

    assert response.status_code == 422
    assert field_error(response, "email")


# ---------------------------------------------------------------- signing in from a form that needed it


async def test_a_form_sent_after_the_session_ended_leads_to_sign_in_and_back_to_its_page(client, alice):
    """Not back to the form's POST-only address, which would be a 405 after signing in."""
    token = await csrf_token(client, "/signin")

    response = await client.post("/account/password", data={"_csrf_token": token, "current_password": PASSWORD,
                                                              "new_password": NEW_PASSWORD},
                                 headers={"Referer": "http://testserver.local/account?tab=password"})

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount%3Ftab%3Dpassword"


async def test_a_form_sent_from_another_site_after_the_session_ended_leads_to_plain_sign_in(client):
    token = await csrf_token(client, "/signin")

    response = await client.post("/account/password", data={"_csrf_token": token},
                                 headers={"Referer": "https://evil.example/account"})

    assert response.status_code == 303
    assert response.headers["location"] == "/signin"


async def test_behind_a_proxy_a_made_up_forwarded_for_does_not_escape_the_ip_limit(settings, monkeypatch):
    monkeypatch.setitem(routes.SIGNUP_IP_LIMIT, "limit", 2)
    async with app_client(settings.with_(trust_proxy=True)) as browser:
        with clock.frozen_at(WINDOW_START):
            statuses = []
            for n in range(3):
                # The client makes up an address; the proxy appends the one it really saw.
                response = await post_form(browser, "/signup", {"display_name": "N", "email": f"n{n}@example.org",
                                                                "password": PASSWORD},
                                           headers={"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.7"})
                statuses.append(response.status_code)
                browser.cookies.clear()

    assert statuses == [303, 303, 429]


async def test_the_answer_to_a_reset_request_does_not_wait_for_the_mail_server(settings, smtp_server, alice):
    """Sending before answering would let anyone time the answer to learn who has an account: the
    page must be answered first and the mail sent after. Driven as raw ASGI to see the order."""
    from streetshare.app import create_app

    mail_settings = settings.with_(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_starttls=False)
    app = create_app(mail_settings, manage_pool=False)
    async with app_client(mail_settings, app=app) as browser:
        token = await csrf_token(browser, "/password/forgot")
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    body = f"email={quote(alice.email)}&_csrf_token={token}".encode()
    mails_when_answered: list[int] = []
    request_sent = False

    async def receive():
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        if message["type"] == "http.response.body" and not message.get("more_body"):
            mails_when_answered.append(len(smtp_server.messages))

    await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
               "path": "/password/forgot", "raw_path": b"/password/forgot", "query_string": b"", "root_path": "",
               "headers": [(b"host", b"testserver.local"), (b"content-type", b"application/x-www-form-urlencoded"),
                           (b"content-length", str(len(body)).encode()), (b"cookie", cookie.encode())],
               "client": ("127.0.0.1", 50000), "server": ("testserver.local", 80)}, receive, send)

    assert mails_when_answered == [0]  # answered before the mail went
    await smtp_server.wait_for(1)  # and the mail still goes
