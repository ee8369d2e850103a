"""Health: /healthz says the process is alive, /readyz that the database answers."""

from __future__ import annotations

from litestar import Response, get

from streetshare import db


@get("/healthz", include_in_schema=False, cache=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False, cache=False)
async def readyz() -> Response[dict[str, str]]:
    if await db.ping():
        return Response({"status": "ok", "database": "ok"})
    return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
