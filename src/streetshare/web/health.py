"""Health: /healthz says the process is alive, /readyz that the database answers."""

from __future__ import annotations

import asyncio
import logging

from litestar import Response, get

from streetshare import db

log = logging.getLogger(__name__)

# A load balancer asks often; a database that takes longer than this to say "1" is not ready.
READY_TIMEOUT_S = 3.0


@get("/healthz", include_in_schema=False, cache=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False, cache=False)
async def readyz() -> Response[dict[str, str]]:
    try:
        ready = await asyncio.wait_for(db.ping(), timeout=READY_TIMEOUT_S)
    except Exception as exc:  # whatever the way the database fails, the answer is "not ready", never a 500
        log.warning("database not ready: %s", type(exc).__name__)
        ready = False
    if ready:
        return Response({"status": "ok", "database": "ok"})
    return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
