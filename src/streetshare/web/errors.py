"""Domain errors and HTTP errors mapped to pages (web) and JSON (API), in one place.

Also what the request did not cause: the database out of reach is a 503 with Retry-After. And what it
did: an id that cannot exist is a 404 before any handler (IdsInRangeMiddleware), a value the database
cannot take or a body too deeply nested is a 400. Error pages know who is signed in (identify_for_error_page).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Receive, Scope, Send

from streetshare.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, TooManyAttempts
from streetshare.web.auth import identify, is_api, needs_no_session
from streetshare.web.forms import safe_next

log = logging.getLogger(__name__)

STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, TooManyAttempts: 429, Invalid: 422}

TITLES = {
    400: "That request didn't make sense",
    401: "Please sign in",
    403: "That's not for you",
    404: "We couldn't find that",
    405: "That can't be done here",
    409: "That's no longer possible",
    413: "That's too big",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "We'll be back in a moment",
}
MESSAGES = {
    400: "Something in that request was malformed. Please go back and try again.",
    403: "You don't have permission to see or change this.",
    404: "It may have been removed, or it may not be visible from your street.",
    409: "Someone may have got there first, or it has already happened.",
    500: "Sorry: we've logged the problem. Please try again in a moment.",
    503: "Streetshare is having trouble just now. Nothing you did caused this: please try again in a minute.",
}

# Ids are PostgreSQL integers (serial): none is below 1 or above 2**31 - 1.
LARGEST_ID = 2**31 - 1
# How long a client should wait before trying again when the database is out of reach.
RETRY_AFTER_S = 30

_MISSING = re.compile(r"missing required field `([^`]+)`")
_AT = re.compile(r"at `\$\.([A-Za-z0-9_]+)`")


def _status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _page(request: Request, status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    # Normally identify_for_error_page has found who is asking; if even that failed (the database is
    # gone), the page is shown as to a visitor rather than failing on request.user.
    request.scope.setdefault("user", None)
    return Template(
        template_name="errors/error.html",
        context={
            "status": status,
            "title": TITLES.get(status, "Something went wrong"),
            "message": message or MESSAGES.get(status, ""),
        },
        status_code=status,
        headers=headers or {},
    )


def json_error(status: int, detail: str, errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers or {})


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    status = _status(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    if is_api(request.url.path):
        errors = [{"field": f, "message": m} for f, m in exc.errors.items()] if isinstance(exc, Invalid) else None
        return json_error(status, exc.message, errors, headers)
    return _page(request, status, exc.message, headers)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    api = is_api(request.url.path)
    if isinstance(exc, NotAuthorizedException) and not api:
        target = _page_to_come_back_to(request)
        return Redirect(path=f"/signin?next={quote(target, safe='')}" if target else "/signin", status_code=303)
    if isinstance(exc, NotAuthorizedException) and api:
        return json_error(status, exc.detail, headers={"WWW-Authenticate": 'Bearer realm="streetshare"'})
    if isinstance(exc, ValidationException) and api:
        return _api_validation(exc)
    if status >= 500:
        log.error("http error %s", status, exc_info=exc)
    detail = exc.detail if status < 500 else TITLES[500]
    if api:
        return json_error(status, detail, headers=exc.headers)
    # CSRF failures and malformed requests get the friendly page, not Litestar's text.
    message = "Your form expired. Please go back, reload the page and try again." if "CSRF" in str(exc.detail) else None
    return _page(request, status, message, exc.headers)


def _page_to_come_back_to(request: Request) -> str:
    """Where to go after signing in: the page itself for a GET; for a form (POST...), the page the
    form was on (its address only answers POST, so going back to it would be a 405), if it is ours."""
    if request.method in {"GET", "HEAD"}:
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return ""
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), "")


def _api_validation(exc: ValidationException) -> Response:
    """Malformed JSON is a 400; a body that parses but has missing or wrong-typed fields is a 422."""
    text = str(exc.detail) + " " + " ".join(str(e.get("message", "")) for e in (exc.extra or []) if isinstance(e, dict))
    if "malformed" in text.lower() or "json is malformed" in text.lower() or "decode" in text.lower():
        return json_error(400, "The request body is not valid JSON.")
    errors: list[dict[str, str]] = []
    for item in exc.extra or []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        key = str(item.get("key", ""))
        if m := _MISSING.search(message):
            errors.append({"field": m.group(1), "message": "This field is required."})
        elif m := _AT.search(message):
            errors.append({"field": m.group(1), "message": message.split(" - at")[0]})
        elif key and key != "data":
            errors.append({"field": key, "message": message})
    if not errors:
        return json_error(400, "The request body could not be read: " + str(exc.detail))
    return json_error(422, "Some fields are missing or invalid.", errors)


def _answer(request: Request, status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """The same refusal as JSON for the API and as a page for the web."""
    if is_api(request.url.path):
        return json_error(status, message or TITLES.get(status, ""), headers=headers)
    return _page(request, status, message, headers)


def unstorable_text_handler(request: Request, exc: asyncpg.exceptions.DataError) -> Response:
    """Text PostgreSQL cannot store (a NUL character) that got past validation: the request's fault, not ours."""
    log.warning("request with text the database cannot store: %s", type(exc).__name__)
    return _answer(request, 400, "Some text contained a character we can't store (such as a NUL character). "
                   "Please remove it.")


def database_unavailable_handler(request: Request, exc: Exception) -> Response:
    """PostgreSQL is out of reach (stopped, restarting, its connections cut, too many clients): a 503
    that says when to try again, not a 500. /readyz says the same to the load balancer."""
    log.error("database unavailable: %s: %s", type(exc).__name__, exc)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if is_api(request.url.path):
        return json_error(503, "The service is briefly unavailable. Please try again shortly.", headers=headers)
    return _page(request, 503, headers=headers)


def maybe_unavailable_handler(request: Request, exc: Exception) -> Response:
    """An OSError (ConnectionError, TimeoutError...) or an asyncpg InterfaceError: a 503 when it says the
    database is out of reach, else a 500."""
    if database_unreachable(exc):
        return database_unavailable_handler(request, exc)
    return server_error_handler(request, exc)


def query_argument_handler(request: Request, exc: asyncpg.exceptions.DataError) -> Response:
    """A value asyncpg cannot even send (a number beyond its column's integer, from a query string or a JSON
    body) is the request's fault: a 400. Path ids never get here (IdsInRangeMiddleware)."""
    text = str(exc)
    if not text.startswith("invalid input for query argument"):
        return server_error_handler(request, exc)
    log.warning("request with a value out of range: %s", text.split(":", 1)[0])
    return _answer(request, 400, "A number in that request is too large.")


def recursion_handler(request: Request, exc: RecursionError) -> Response:
    """A JSON body nested deeper than the parser goes (100,000 brackets) is malformed input, not our fault."""
    if "deserializing" in str(exc):  # msgspec's message: the body's decoding, nothing else
        log.warning("request body nested too deeply")
        return _answer(request, 400, "The request body is nested too deeply.")
    return server_error_handler(request, exc)


def server_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    if is_api(request.url.path):
        return json_error(HTTP_500_INTERNAL_SERVER_ERROR, TITLES[500])
    return _page(request, 500)


# The ways "the database is out of reach" shows, whoever raised it: PostgreSQL shutting down or starting
# up (57P01-57P03), a connection lost mid-query (08xxx), too many clients. And (database_unreachable)
# a refused or reset connection, a timeout or another OSError raised inside asyncpg (connecting, or
# waiting for the pool), and some InterfaceErrors. A ConnectionError or TimeoutError from anything else
# (an SMTP server, the geocoder, an asyncio.wait_for of ours) is our own error: a 500, logged as one.
DATABASE_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


# asyncpg's InterfaceErrors that mean the same: the connection closed under us, the pool closing (a
# request caught by the server's shutdown). Any other misuse of asyncpg is our bug.
_CLOSED = ("connection is closed", "pool is closing", "pool is closed")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database is out of reach, rather than a bug of ours. An OSError (so also a
    ConnectionError or TimeoutError) counts only when raised inside asyncpg: a refused connection, a
    connect timeout, a stopped embedded PostgreSQL taking its Unix socket with it (FileNotFoundError)."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return str(exc).startswith(_CLOSED)
    return isinstance(exc, OSError) and _raised_in_asyncpg(exc)


def _raised_in_asyncpg(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("asyncpg."):
            return True
        tb = tb.tb_next
    return False


def exception_handlers() -> dict:
    return {
        DomainError: domain_error_handler,
        HTTPException: http_error_handler,
        asyncpg.exceptions.CharacterNotInRepertoireError: unstorable_text_handler,
        asyncpg.exceptions.UntranslatableCharacterError: unstorable_text_handler,
        asyncpg.exceptions.DataError: query_argument_handler,
        asyncpg.InterfaceError: maybe_unavailable_handler,
        **{cls: database_unavailable_handler for cls in DATABASE_UNAVAILABLE},
        OSError: maybe_unavailable_handler,  # ConnectionError and TimeoutError included
        RecursionError: recursion_handler,
        Exception: server_error_handler,
    }


async def identify_for_error_page(exc: Exception, scope: Scope) -> None:
    """An after_exception hook: the router's own 404 and 405 (an unknown path, a wrong method) are raised
    before any route middleware ran, so nobody was identified; identify the resident here, so that the
    error page shows their header, as every other page does. Never raises: an error page must render."""
    path = scope.get("path", "")
    if "user" in scope or scope.get("type") != "http" or is_api(path) or needs_no_session(path):
        return
    if database_unreachable(exc):  # asking it again would only wait again
        scope["user"] = None
        return
    try:
        scope["user"] = await identify(scope)
    except Exception as failure:  # noqa: BLE001 (the database may be the very thing that failed)
        log.warning("could not identify the resident for an error page: %s", type(failure).__name__)
        scope["user"] = None


class IdsInRangeMiddleware(ASGIMiddleware):
    """Every int path parameter is an id. One below 1 or above LARGEST_ID names nothing (and PostgreSQL could
    not even be asked: asyncpg refuses it), so the answer is a 404, before any handler, on every route,
    pages, API and media alike, including routes added later."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        for value in scope.get("path_params", {}).values():
            if type(value) is int and not 0 < value <= LARGEST_ID:
                raise NotFound()
        await next_app(scope, receive, send)
