"""Error pages look like the rest of the site and carry the right status; API errors are JSON.

A few tiny routes are registered on a test app (app.register) to raise the domain errors a
service would raise (Conflict, NotAllowed, NotFound, Invalid) and an unexpected exception,
so each mapping is checked through the real middleware and exception handlers.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from litestar import get, post
from litestar.params import FromQuery

from streetshare.app import create_app
from streetshare.errors import Conflict, Invalid, NotAllowed, NotFound
from support.cast import api_token, app_client, csrf_token, post_form, sign_in


@get("/test-only/conflict", include_in_schema=False)
async def raise_conflict() -> None:
    raise Conflict("Bob has already borrowed the ladder.")


@get("/test-only/not-allowed", include_in_schema=False)
async def raise_not_allowed() -> None:
    raise NotAllowed()


@get("/test-only/not-found", include_in_schema=False)
async def raise_not_found() -> None:
    raise NotFound()


@get("/test-only/invalid", include_in_schema=False)
async def raise_invalid() -> None:
    raise Invalid({"title": "Please give it a title."})


@get("/test-only/crash", include_in_schema=False)
async def crash() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@get("/api/v1/test-only/conflict")
async def api_conflict() -> None:
    raise Conflict("Bob has already borrowed the ladder.")


@get("/api/v1/test-only/not-allowed")
async def api_not_allowed() -> None:
    raise NotAllowed()


@get("/api/v1/test-only/not-found")
async def api_not_found() -> None:
    raise NotFound()


@post("/api/v1/test-only/invalid")
async def api_invalid() -> None:
    raise Invalid({"title": "Please give it a title.", "category": "Please pick a category."})


@get("/api/v1/test-only/crash")
async def api_crash() -> None:
    raise RuntimeError("secret internals: password=hunter2")


TEST_ROUTES = [raise_conflict, raise_not_allowed, raise_not_found, raise_invalid, crash,
               api_conflict, api_not_allowed, api_not_found, api_invalid, api_crash]


@pytest.fixture
async def probe(settings):
    """A client into an app that also has the test-only routes above."""
    app = create_app(settings, manage_pool=False)
    for handler in TEST_ROUTES:
        app.register(handler)
    async with app_client(settings, app=app) as c:
        yield c


def assert_site_page(response, status: int, title: str) -> None:
    """A page of the site (base.html: header, main, footer), not a bare error text."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<header class="site-header">' in html and '<main id="main"' in html and 'class="site-footer"' in html
    assert f"Error {status}" in html
    assert title in html
    assert 'href="/"' in html  # a way back


# ---------------------------------------------------------------- web pages


async def test_unknown_page_is_a_404_page_of_the_site(client):
    response = await client.get("/no-such-page")

    assert_site_page(response, 404, "We couldn&#39;t find that")


SIGNED_IN_HEADER = '<a href="/account" class="nav-account">Alice</a>'


async def test_unknown_page_for_a_signed_in_resident_shows_their_header(client, alice):
    await sign_in(client, alice)

    response = await client.get("/no-such-page")

    assert_site_page(response, 404, "We couldn&#39;t find that")
    assert SIGNED_IN_HEADER in response.text
    assert 'href="/signin"' not in response.text


async def test_wrong_method_for_a_signed_in_resident_shows_their_header(client, alice):
    await sign_in(client, alice)

    response = await client.get("/signout")

    assert_site_page(response, 405, "That can&#39;t be done here")
    assert SIGNED_IN_HEADER in response.text


async def test_unknown_page_for_a_visitor_shows_the_signed_out_header(client):
    response = await client.get("/no-such-page")

    assert 'href="/signin"' in response.text and "nav-account" not in response.text


async def test_wrong_method_is_a_405_page_of_the_site(client):
    response = await client.get("/signout")

    assert_site_page(response, 405, "That can&#39;t be done here")


async def test_a_missing_thing_is_a_404_page(probe):
    assert_site_page(await probe.get("/test-only/not-found"), 404, "We couldn&#39;t find that")


async def test_not_allowed_is_a_403_page(probe):
    assert_site_page(await probe.get("/test-only/not-allowed"), 403, "That&#39;s not for you")


async def test_a_change_that_is_no_longer_possible_is_a_409_page_with_the_reason(probe):
    response = await probe.get("/test-only/conflict")

    assert_site_page(response, 409, "That&#39;s no longer possible")
    assert "Bob has already borrowed the ladder." in response.text


async def test_invalid_input_outside_a_form_is_a_422_page(probe):
    assert_site_page(await probe.get("/test-only/invalid"), 422, "Please check what you entered")


async def test_an_unexpected_error_is_a_500_page_that_hides_the_details(probe, caplog):
    response = await probe.get("/test-only/crash")

    assert_site_page(response, 500, "Something went wrong on our side")
    assert "hunter2" not in response.text and "Traceback" not in response.text
    # The operator gets the details in the log.
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


async def test_a_form_with_bad_input_is_a_422_page_of_the_site(client):
    response = await post_form(client, "/signup", {"display_name": "", "email": "x", "password": "short"}, form_page="/signup")

    assert response.status_code == 422
    assert '<header class="site-header">' in response.text


async def test_pages_that_need_a_resident_send_visitors_to_sign_in_and_back(client):
    response = await client.get("/account?tab=devices")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount%3Ftab%3Ddevices"


# ---------------------------------------------------------------- API


async def test_api_unknown_path_is_json_404(client):
    response = await client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert set(response.json()) == {"detail"}


async def test_api_not_found_is_json_404(probe):
    response = await probe.get("/api/v1/test-only/not-found")

    assert response.status_code == 404
    assert response.json() == {"detail": "We couldn't find that."}


async def test_api_not_allowed_is_json_403(probe):
    response = await probe.get("/api/v1/test-only/not-allowed")

    assert response.status_code == 403
    assert response.json() == {"detail": "You're not allowed to do that."}


async def test_api_conflict_is_json_409_with_the_reason(probe):
    response = await probe.get("/api/v1/test-only/conflict")

    assert response.status_code == 409
    assert response.json() == {"detail": "Bob has already borrowed the ladder."}


async def test_api_invalid_fields_are_json_422_with_each_field_and_its_message(probe):
    response = await probe.post("/api/v1/test-only/invalid")

    assert response.status_code == 422
    body = response.json()
    assert body["detail"]
    assert body["errors"] == [
        {"field": "title", "message": "Please give it a title."},
        {"field": "category", "message": "Please pick a category."},
    ]


async def test_api_unexpected_error_is_json_500_without_details(probe):
    response = await probe.get("/api/v1/test-only/crash")

    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side"}


async def test_api_malformed_json_is_400(client):
    response = await client.post("/api/v1/auth/token", content=b'{"email": "alice@example.org",',
                                 headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


async def test_api_body_that_is_not_an_object_is_400_or_422_never_500(client):
    response = await client.post("/api/v1/auth/token", json=["alice@example.org"])

    assert response.status_code in {400, 422}
    assert "detail" in response.json()


async def test_api_deeply_nested_json_is_400(client, alice):
    headers = await api_token(client, alice)
    for body in (b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        for path in ("/api/v1/auth/token", "/api/v1/reports"):
            response = await client.post(path, content=body, headers={**headers, "content-type": "application/json"})

            assert response.status_code == 400, path
            assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("body", [
    b'{"email": "alice@example.org", "password": 1' + b"0" * 5000 + b"}",  # a number with 5,000 digits
    b'{"email": "alice@example.org", "password": 1e999999}',
    b'{"target_kind": "offer", "target_id": 99999999999999999999999, "reason": "x"}',
    b'{"target_kind": "offer", "target_id": 2147483648, "reason": "Not right"}',
    b'{"email": "\xff\xfe", "password": "x"}',
    rb'{"email": "\ud800", "password": "x"}',
    '{"email": "ali\u0000ce@example.org", "password": "x"}'.encode(),
])
async def test_api_unreadable_bodies_are_4xx_with_a_detail(client, alice, body):
    headers = await api_token(client, alice)
    for path in ("/api/v1/auth/token", "/api/v1/reports"):
        response = await client.post(path, content=body, headers={**headers, "content-type": "application/json"})

        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert "detail" in response.json()


async def test_api_invalid_utf8_is_400(client, alice):
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/reports", content=b'{"target_kind": "offer", "reason": "\xff\xfe"}',
                                 headers={**headers, "content-type": "application/json"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/xml", ""])
async def test_api_body_of_the_wrong_content_type_is_4xx(client, alice, content_type):
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/reports", content=b'{"target_kind": "offer", "target_id": 1, "reason": "x"}',
                                 headers={**headers, "content-type": content_type})

    assert 400 <= response.status_code < 500, response.status_code


async def test_a_form_with_invalid_utf8_or_a_huge_number_is_never_a_500(client, alice):
    await sign_in(client, alice)
    token = await csrf_token(client, "/account")
    for body in (b"kind=offer&id=\xff&reason=x", b"kind=offer&id=%ff%fe&reason=%ff", b"kind=offer&id=" + b"9" * 5000):
        response = await client.post("/report", content=body + b"&_csrf_token=" + token.encode(),
                                     headers={"content-type": "application/x-www-form-urlencoded"})

        assert 400 <= response.status_code < 500, body[:40]


async def test_api_missing_field_is_422_naming_the_field(client):
    response = await client.post("/api/v1/auth/token", json={"email": "alice@example.org"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "password", "message": "This field is required."}]


async def test_api_wrong_type_is_422_naming_the_field(client):
    response = await client.post("/api/v1/auth/signup", json={"email": 7, "password": "correct horse battery",
                                                               "display_name": "Alice"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]


async def test_api_without_a_token_is_json_401(client):
    response = await client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "Please sign in."}


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Bearer ", "Basic YWxpY2U6cGFzcw==", "not-a-scheme"])
async def test_api_with_a_bad_token_is_json_401(client, alice, header):
    await api_token(client, alice)  # a real token exists, but is not the one sent

    response = await client.get("/api/v1/me", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json() == {"detail": "Please sign in."}


async def test_api_401_says_how_to_authenticate(client):
    response = await client.get("/api/v1/me")

    assert response.headers["www-authenticate"] == 'Bearer realm="streetshare"'


# ---------------------------------------------------------------- text PostgreSQL cannot store


@get("/test-only/store-text", include_in_schema=False)
async def store_text() -> str:
    from streetshare import db

    return await db.fetchval("SELECT $1::text", "a\x00b")


@get("/api/v1/test-only/store-text")
async def api_store_text() -> str:
    from streetshare import db

    return await db.fetchval("SELECT $1::text", "a\x00b")


@pytest.fixture
async def storing(settings):
    app = create_app(settings, manage_pool=False)
    app.register(store_text)
    app.register(api_store_text)
    async with app_client(settings, app=app) as c:
        yield c


async def test_text_with_a_nul_character_that_reaches_the_database_is_a_400_page_not_a_500(storing):
    response = await storing.get("/test-only/store-text")

    assert_site_page(response, 400, "That request didn&#39;t make sense")


async def test_text_with_a_nul_character_that_reaches_the_database_is_a_json_400(storing):
    response = await storing.get("/api/v1/test-only/store-text")

    assert response.status_code == 400
    assert "character" in response.json()["detail"]


# ---------------------------------------------------------------- connections and timeouts of our own


async def _connect_to_a_closed_port() -> None:
    """What an SMTP server or a geocoder refusing the connection does to code of ours: ConnectionRefusedError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    await asyncio.open_connection("127.0.0.1", port)


async def _wait_too_long() -> None:
    await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)  # TimeoutError


FAULTS = {"refused": _connect_to_a_closed_port, "timeout": _wait_too_long}


@get("/test-only/outside-the-database", include_in_schema=False)
async def fail_outside_the_database(fault: FromQuery[str]) -> None:
    await FAULTS[fault]()


@get("/api/v1/test-only/outside-the-database")
async def api_fail_outside_the_database(fault: FromQuery[str]) -> None:
    await FAULTS[fault]()


@pytest.fixture
async def outside(settings):
    app = create_app(settings, manage_pool=False)
    app.register(fail_outside_the_database)
    app.register(api_fail_outside_the_database)
    async with app_client(settings, app=app) as c:
        yield c


def assert_logged_as_our_error(caplog) -> None:
    messages = [r.getMessage() for r in caplog.records]
    assert "unhandled error" in messages, messages
    assert not any(m.startswith("database unavailable") for m in messages), messages


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_refused_connection_or_timeout_outside_the_database_is_a_500_page_not_a_503(outside, caplog, fault):
    response = await outside.get(f"/test-only/outside-the-database?fault={fault}")

    assert_site_page(response, 500, "Something went wrong on our side")
    assert "retry-after" not in response.headers
    assert_logged_as_our_error(caplog)


@pytest.mark.parametrize("fault", FAULTS)
async def test_api_refused_connection_or_timeout_outside_the_database_is_json_500_not_503(outside, caplog, fault):
    response = await outside.get(f"/api/v1/test-only/outside-the-database?fault={fault}")

    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side"}
    assert_logged_as_our_error(caplog)
