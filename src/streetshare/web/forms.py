"""Small helpers for HTML forms: read fields, keep what was typed, and redirect safely."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request


async def form_data(request: Request) -> dict[str, str]:
    """The submitted fields as plain strings (the first value of each; files are left out)."""
    form = await request.form()
    data: dict[str, str] = {}
    for key, value in form.multi_items():
        if key not in data and isinstance(value, str):
            data[key] = value
    data.pop("_csrf_token", None)
    return data


def safe_next(target: str | None, default: str = "/") -> str:
    """Only our own paths: "/offers/3" yes; "//evil.example", "https://…", "/\\evil" no."""
    if not target or not isinstance(target, str):
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def keep(data: dict[str, Any], *fields: str) -> dict[str, Any]:
    """The values to put back in a re-rendered form (never passwords)."""
    return {f: data.get(f, "") for f in fields}


async def patched_fields(request: Request, data: Any) -> dict[str, Any]:
    """The fields a JSON PATCH body really contains (a msgspec Struct fills the others with defaults)."""
    raw = await request.json()
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in msgspec.structs.asdict(data).items() if k in raw}
