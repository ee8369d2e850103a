"""Security on every response: headers, request ids, CSRF on every form, and no secrets in logs."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from litestar import Response, get, post
from litestar.routes import HTTPRoute

from streetshare.app import create_app
from streetshare.web.logs import JsonFormatter, configure_logging
from support.cast import PASSWORD, api_token, app_client, csrf_token, make_ask, make_offer, make_street, post_form, sign_in

# ---------------------------------------------------------------- headers


def assert_security_headers(response) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers["x-request-id"])


@pytest.fixture
async def https_client(settings):
    async with app_client(settings.with_(base_url="https://elm.example")) as c:
        yield c


async def test_pages_carry_the_security_headers(client):
    response = await client.get("/signin")

    assert_security_headers(response)


async def test_api_responses_carry_the_security_headers(client, alice):
    headers = await api_token(client, alice)

    assert_security_headers(await client.get("/api/v1/me", headers=headers))
    assert_security_headers(await client.get("/api/v1/me"))  # a 401 too


async def test_error_pages_carry_the_security_headers(client):
    assert_security_headers(await client.get("/no-such-page"))  # the router's 404
    assert_security_headers(await client.get("/signout"))  # the router's 405
    assert_security_headers(await client.get("/api/v1/no-such-thing"))
    assert_security_headers(await client.post("/signin", data={"email": "a@example.org"}))  # a CSRF refusal


async def test_no_hsts_over_plain_http(client):
    assert "strict-transport-security" not in (await client.get("/")).headers


async def test_hsts_when_the_site_is_served_over_https(https_client):
    for path in ["/", "/api/v1/me", "/no-such-page"]:
        hsts = (await https_client.get(path)).headers["strict-transport-security"]
        assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15552000


async def test_a_well_formed_request_id_from_the_proxy_is_echoed(client):
    response = await client.get("/", headers={"X-Request-ID": "lb-7f3a9c21.elm"})

    assert response.headers["x-request-id"] == "lb-7f3a9c21.elm"


async def test_a_request_id_is_made_up_when_none_is_given(client):
    first = (await client.get("/")).headers["x-request-id"]
    second = (await client.get("/")).headers["x-request-id"]

    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize("given", ["short", "has spaces in it", "x" * 65, "<script>alert(1)</script>", "a\x7fbcdefghij"])
async def test_a_malformed_request_id_is_replaced(client, given):
    response = await client.get("/", headers={"X-Request-ID": given})

    assert response.headers["x-request-id"] != given
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# ---------------------------------------------------------------- caching
# Nothing a signed-in resident sees may be kept by a browser's disk cache or a proxy; only the
# static files, the same for everyone, are cached for a year.


def web_get_routes(app, *, api: bool) -> list[str]:
    """Every GET route of the pages (or of the API), path params filled in with 1 (or x)."""
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/api/") != api or route.path.startswith("/static"):
            continue
        for handler in route.route_handlers:
            if "GET" in handler.http_methods:
                paths.append(PARAM.sub(lambda m: "1" if m.group(2) == "int" else "x", route.path))
    return sorted(set(paths))


@pytest.fixture
async def alices_world(alice):
    """alice coordinates street 1 and has offer 1, ask 1 and a flyer invite, so that /…/1 pages exist."""
    street = await make_street("Elm Street", coordinator=alice)
    await make_offer(alice)
    await make_ask(alice)
    return street


async def test_every_page_a_signed_in_resident_gets_is_not_stored(settings, client, alice, alices_world):
    await sign_in(client, alice)
    paths = web_get_routes(create_app(settings, manage_pool=False), api=False)
    assert {"/", "/account", "/account/export", "/streets/1/flyer", "/streets/1/export.csv", "/offers/1"} <= set(paths)

    for path in paths + ["/no-such-page", "/offers/999999"]:
        response = await client.get(path)

        assert response.headers.get("cache-control") == "no-store", (path, response.status_code)


async def test_every_api_answer_to_a_bearer_token_is_not_stored(settings, client, alice, alices_world):
    headers = await api_token(client, alice)

    for path in web_get_routes(create_app(settings, manage_pool=False), api=True) + ["/api/v1/no-such-thing"]:
        response = await client.get(path, headers=headers)

        assert response.headers.get("cache-control") == "no-store", (path, response.status_code)


async def test_pages_with_a_form_are_not_stored_even_signed_out(client):
    for path in ["/signin", "/signup", "/password/forgot"]:
        response = await client.get(path)

        assert response.status_code == 200 and "_csrf_token" in response.text, path
        assert response.headers["cache-control"] == "no-store", path


async def test_refusals_and_error_pages_are_not_stored(client, alice):
    assert (await client.get("/api/v1/me")).headers["cache-control"] == "no-store"  # a 401
    assert (await client.post("/signin", data={"email": "a@example.org"})).headers["cache-control"] == "no-store"
    await sign_in(client, alice)
    assert (await client.get("/no-such-page")).headers["cache-control"] == "no-store"


async def test_static_files_keep_their_long_public_cache_even_for_a_signed_in_resident(client, alice):
    from streetshare.web.templating import static_url

    await sign_in(client, alice)
    response = await client.get(static_url("style.css"))

    assert response.status_code == 200
    assert set(response.headers["cache-control"].split(", ")) == {"public", "max-age=31536000", "immutable"}


@get("/test-only/cached-for-a-minute", include_in_schema=False)
async def page_that_chooses_its_cache() -> Response:
    return Response("same for everyone", headers={"Cache-Control": "public, max-age=60"})


async def test_a_handlers_own_cache_choice_is_kept_but_never_public_for_a_signed_in_request(settings, alice):
    app = create_app(settings, manage_pool=False)
    app.register(page_that_chooses_its_cache)
    async with app_client(settings, app=app) as c:
        assert (await c.get("/test-only/cached-for-a-minute")).headers["cache-control"] == "public, max-age=60"
        await sign_in(c, alice)
        assert (await c.get("/test-only/cached-for-a-minute")).headers["cache-control"] == "private, max-age=60"


# ---------------------------------------------------------------- CSRF

PARAM = re.compile(r"\{([a-z_]+)(?::([a-z]+))?\}")


def web_post_routes(app) -> list[str]:
    """Every POST route of the web pages (not /api/, not explicitly CSRF-exempt), path params filled in."""
    paths = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            if "POST" in handler.http_methods and not handler.opt.get("exclude_from_csrf"):
                paths.append(PARAM.sub(lambda m: "1" if m.group(2) == "int" else "x", route.path))
    return sorted(set(paths))


async def test_the_route_walk_finds_the_account_forms(settings):
    paths = web_post_routes(create_app(settings, manage_pool=False))

    assert {"/signup", "/signin", "/signout", "/account/password", "/account/signout-everywhere",
            "/password/forgot", "/password/reset"} <= set(paths)


async def test_every_web_form_refuses_a_post_without_the_csrf_token(settings, client, alice):
    await sign_in(client, alice)  # a signed-in browser: it has the session and CSRF cookies
    assert client.cookies.get("streetshare_csrf")

    for path in web_post_routes(create_app(settings, manage_pool=False)):
        response = await client.post(path, data={"email": alice.email, "password": PASSWORD})

        assert response.status_code == 403, path
        assert "Your form expired" in response.text, path
        assert '<header class="site-header">' in response.text, path


async def test_every_web_form_refuses_a_post_with_a_forged_csrf_token(settings, client, alice):
    await sign_in(client, alice)

    for path in web_post_routes(create_app(settings, manage_pool=False)):
        response = await client.post(path, data={"_csrf_token": "forged" * 10}, headers={"X-CSRFToken": "forged"})

        assert response.status_code == 403, path


async def test_a_csrf_token_from_another_browser_is_refused(settings, client, alice):
    async with app_client(settings) as other_browser:
        their_token = await csrf_token(other_browser, "/signin")

    response = await client.post("/signin", data={"email": alice.email, "password": PASSWORD,
                                                   "_csrf_token": their_token})

    assert response.status_code == 403


async def test_a_refused_form_changes_nothing(client, alice):
    await sign_in(client, alice)

    await client.post("/account/signout-everywhere")

    assert (await client.get("/account")).status_code == 200  # still signed in


async def test_the_api_needs_no_csrf_token_it_uses_bearer_tokens(client, alice):
    await client.get("/signin")  # even with a CSRF cookie present
    response = await client.post("/api/v1/auth/token", json={"email": alice.email, "password": alice.password})

    assert response.status_code == 200


async def test_the_api_ignores_the_session_cookie(client, alice):
    """Without CSRF checks, the API must not accept what a browser sends by itself."""
    await sign_in(client, alice)

    response = await client.get("/api/v1/me")

    assert response.status_code == 401


@post("/streets/test-only/api/echo", include_in_schema=False)
async def web_route_with_api_in_its_path() -> str:
    return "changed something"


async def test_only_paths_that_start_with_api_are_exempt_from_csrf(settings):
    app = create_app(settings, manage_pool=False)
    app.register(web_route_with_api_in_its_path)
    async with app_client(settings, app=app) as c:
        await c.get("/signin")

        response = await c.post("/streets/test-only/api/echo", data={"x": "1"})

    assert response.status_code == 403


# ---------------------------------------------------------------- logs


def logged_text(records: list[logging.LogRecord]) -> str:
    """Everything the app's log would carry: each record formatted as the production JSON line.

    The test's own tools are left out: httpx (the test client) and aiosmtpd ("mail.log", the test's
    SMTP server, which logs every line it receives at debug level).
    """
    formatter = JsonFormatter()
    return "\n".join(formatter.format(r) for r in records if r.name.split(".")[0] not in {"httpx", "mail"})


def test_creating_the_app_keeps_our_json_log_lines(settings):
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("INFO", stream=io.StringIO())  # not a terminal, whatever pytest -s gives
        create_app(settings, manage_pool=False)

        assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


async def test_logs_carry_no_password_token_or_email_body(settings, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    mail_settings = settings.with_(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_starttls=False)
    async with app_client(mail_settings) as c:
        await post_form(c, "/signup", {"display_name": "Alice", "email": "alice@example.org",
                                       "password": "first secret words"})
        await c.post("/signout", data={"_csrf_token": await csrf_token(c, "/account")})
        signed_in = await post_form(c, "/signin", {"email": "alice@example.org", "password": "first secret words"})
        session = signed_in.cookies.get("streetshare_session") or c.cookies.get("streetshare_session")
        token = (await c.post("/api/v1/auth/token", json={"email": "alice@example.org",
                                                          "password": "first secret words"})).json()["access_token"]
        await c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        await post_form(c, "/password/forgot", {"email": "alice@example.org"})
        (message,) = await smtp_server.wait_for(1)
        reset_url = re.search(r"https?://\S+/password/reset\?token=(\S+)", message.get_body(("plain",)).get_content())
        reset_token = reset_url.group(1)
        await c.get(f"/password/reset?token={reset_token}")
        await post_form(c, "/password/reset", {"token": reset_token, "new_password": "second secret words"},
                        form_page=f"/password/reset?token={reset_token}")

    text = logged_text(caplog.records)
    assert "resident signed up" in text  # the log did capture the run
    for secret in ["first secret words", "second secret words", session, token, reset_token]:
        assert secret and secret not in text
    assert "Someone asked to reset the password" not in text  # the email body
    assert "alice@example.org" not in text  # the address: only its domain may appear


async def test_request_log_lines_carry_the_request_id_and_the_path_without_the_query(client, caplog):
    caplog.set_level(logging.INFO, logger="streetshare.http")

    response = await client.get("/password/reset?token=s3cret-reset-token", headers={"X-Request-ID": "req-12345678"})

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "streetshare.http"]
    (line,) = [entry for entry in lines if entry["request_id"] == "req-12345678"]
    assert line["path"] == "/password/reset"
    assert line["status"] == response.status_code
    assert line["method"] == "GET"
    assert "s3cret-reset-token" not in json.dumps(lines)


async def test_request_log_records_the_status_of_a_refused_form(client, caplog):
    caplog.set_level(logging.INFO, logger="streetshare.http")

    await client.post("/signin", data={"email": "a@example.org"}, headers={"X-Request-ID": "req-csrf-0001"})

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "streetshare.http"]
    (line,) = [entry for entry in lines if entry["request_id"] == "req-csrf-0001"]
    assert line["status"] == 403
