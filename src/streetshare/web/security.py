"""Security headers, request ids and cache rules, on every response."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from streetshare.settings import Settings
from streetshare.web.auth import SESSION_COOKIE

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("streetshare.http")

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'; manifest-src 'self'"
)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_PUBLIC = re.compile(r"\bpublic\b", re.IGNORECASE)
_SESSION = re.compile(rf"(?:^|;)\s*{SESSION_COOKIE}=")


def _carries_credentials(scope: Scope) -> bool:
    """A session cookie or an Authorization header: the answer may be about someone."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and _SESSION.search(value.decode("latin-1"))):
            return True
    return False


def cache_control(chosen: str | None, *, path: str, credentials: bool) -> str | None:
    """The Cache-Control a response goes out with (None: leave it as the handler set it).

    Only static files are the same for everyone: they keep their year-long public cache. Anything
    else is a page, an API answer, a download or an error that may be about the one who asked, or
    carry a CSRF token or a cookie: `no-store`, unless its handler chose otherwise (a photo is
    `private`). A request with credentials never gets a `public` answer outside /static/.
    """
    if chosen is None:
        return "no-store"
    if credentials and not path.startswith("/static/") and _PUBLIC.search(chosen):
        return _PUBLIC.sub("private", chosen)
    return None


class SecurityHeadersMiddleware:
    """Request id, security headers, the cache rule (`cache_control`) and one log line per request.

    It wraps the whole app (create_app puts it around app.asgi_handler), not each route: Litestar
    runs route middleware only for a matched route, and errors raised around a route (a CSRF
    refusal) are answered outside it. Wrapping everything covers the router's own 404 and 405
    and those refusals too.
    """

    def __init__(self, settings: Settings) -> None:
        self.https = settings.https

    def __call__(self, app: ASGIApp) -> ASGIApp:
        https = self.https

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            incoming = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
            request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
            token = request_id_var.set(request_id)
            credentials = _carries_credentials(scope)
            started = time.perf_counter()
            status = 500

            async def send_with_headers(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = MutableScopeHeaders.from_message(message)
                    headers["X-Request-ID"] = request_id
                    headers["X-Content-Type-Options"] = "nosniff"
                    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                    headers["X-Frame-Options"] = "DENY"
                    headers["Cross-Origin-Opener-Policy"] = "same-origin"
                    headers["Permissions-Policy"] = "geolocation=(self), camera=(self), microphone=()"
                    if "content-security-policy" not in headers:
                        headers["Content-Security-Policy"] = CSP
                    if https:
                        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                    cache = cache_control(headers.get("cache-control"), path=scope.get("path", ""),
                                          credentials=credentials)
                    if cache is not None:
                        headers["Cache-Control"] = cache
                await send(message)

            try:
                await app(scope, receive, send_with_headers)
            finally:
                # The path only: query strings can carry tokens (password reset links).
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
                request_id_var.reset(token)

        return middleware
