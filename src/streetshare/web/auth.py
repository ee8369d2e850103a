"""Who is asking: a session cookie (web pages) or a bearer token (the JSON API).

The middleware looks the token up once per request and sets `request.user` to a
CurrentResident or None. Guards turn "nobody" into a sign-in redirect or a 401.
"""

from __future__ import annotations

import re

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from streetshare.accounts.queries import CurrentResident, resident_for_token
from streetshare.settings import Settings

SESSION_COOKIE = "streetshare_session"


def is_api(path: str) -> bool:
    return path.startswith("/api/")


_NO_SESSION = re.compile(r"^/static/|^/healthz$|^/readyz$|^/media/")


def needs_no_session(path: str) -> bool:
    """Paths that never need to know who is asking, not even for an error page: files, media, health."""
    return bool(_NO_SESSION.match(path))


class AuthMiddleware(ASGIMiddleware):
    # By path, not by route: static files and media are served under dynamic paths, which Litestar 3's
    # exclude_path_pattern would not skip.
    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return needs_no_session(scope.get("path", ""))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = await identify(scope)
        scope["auth"] = None
        await next_app(scope, receive, send)


async def identify(scope: Scope) -> CurrentResident | None:
    """Who is asking: the bearer token on the API, the session cookie on pages (None: nobody)."""
    if is_api(scope.get("path", "")):
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    return await resident_for_token(token.strip(), "api")
                return None
        return None
    token = _cookie(scope, SESSION_COOKIE)
    return await resident_for_token(token, "session") if token else None


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == name:
                    return val
    return None


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def requires_resident(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a signed-in resident (web pages redirect to sign-in; the API answers 401)."""
    if connection.user is None:
        raise NotAuthorizedException("Please sign in.")


def current(request: Request) -> CurrentResident:
    """The signed-in resident, for handlers behind requires_resident."""
    resident = request.user
    if resident is None:
        raise NotAuthorizedException("Please sign in.")
    return resident


def set_session_cookie(response: Response, token: str, settings: Settings) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 24 * 3600,
        httponly=True,
        secure=settings.https,
        samesite="lax",
        path="/",
    )
    return response


def clear_session_cookie(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
