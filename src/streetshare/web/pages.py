"""Shared page helpers: render a template with the app's settings and the signed-in resident."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from streetshare.settings import Settings


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def client_ip(request: Request) -> str:
    """The address rate limits count against.

    Behind our reverse proxy (trust_proxy), the LAST X-Forwarded-For entry is the address the
    proxy saw; earlier entries are whatever the client chose to write, so they are ignored.
    """
    if settings_of(request).trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "")
        entries = [e.strip() for e in forwarded.split(",") if e.strip()]
        if entries:
            return entries[-1]
    return request.client.host if request.client else "unknown"


def page(template: str, *, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=template, context=context, status_code=status_code)


def form_page(template: str, *, errors: dict[str, str], values: dict[str, Any], status_code: int = 422, **context: Any) -> Template:
    """A form re-rendered with each error next to its field (422 by default)."""
    return page(template, status_code=status_code, errors=errors, values=values, **context)
