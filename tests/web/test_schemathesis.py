"""Every API operation, fuzzed from its own OpenAPI description (schemathesis): no answer is a 5xx, and
every answer to valid input (status, content type, headers, body) is one the schema describes; invalid
input (schemathesis's negative mode) gets a documented status, never a 5xx.

The requests go in-process into the app, on this test's event loop where the asyncpg pool lives:
hypothesis runs in a worker thread and hands each request to the loop (run_coroutine_threadsafe).
The caller is a signed-up resident who coordinates Elm Street, and about half the cases use ids of
things that exist (an offer, an ask, an exchange, the street, a neighbour), so the handlers' real
work is exercised, not only their 404s. Bounded: a few examples per operation, derandomized so CI
sees the same cases every run, and a time budget for the whole run.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from streetshare.exchanges import service as exchanges
from support.cast import ELM_STREET, api_token, make_resident, make_street, place_resident, quick_resident

EXAMPLES_PER_OPERATION = 6
INVALID_EXAMPLES_PER_OPERATION = 3
BUDGET_S = 45.0
BASE_URL = "http://testserver.local"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
INVALID_CHECKS = [not_a_server_error, status_code_conformance]
# Last, in this order, because they change who the caller sees (blocks, how far they look, their home
# or street) or end the caller's access (closing the account, revoking the token every case uses).
LAST = [f"{method} /api/v1{path}" for method, path in (
    ("PUT", "/blocks/{resident_id}"), ("DELETE", "/blocks/{resident_id}"), ("PUT", "/me/looks-at"),
    ("PUT", "/me/location"), ("POST", "/streets/{street_id}/join"), ("POST", "/invites/{code}/join"),
    ("POST", "/streets"), ("POST", "/me/close"), ("DELETE", "/auth/token"))]


async def _world(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """A signed-up caller coordinating Elm Street, a neighbour, offers, an ask and an exchange: their ids by
    parameter."""
    me = await make_resident("Fuzz")
    street = await make_street("Elm Street", ELM_STREET, coordinator=me)
    carol = await quick_resident("Carol")
    await place_resident(carol, street)
    headers = await api_token(client, me)
    carols = await api_token(client, carol)
    offer = await client.post("/api/v1/offers", headers=carols, json={
        "kind": "lend", "title": "Ladder", "category": "tools", "description": "A tall ladder"})
    assert offer.status_code == 201, offer.text
    own_offer = await client.post("/api/v1/offers", headers=headers, json={
        "kind": "give", "title": "Cot", "category": "children"})
    assert own_offer.status_code == 201, own_offer.text
    ask = await client.post("/api/v1/asks", headers=headers, json={"title": "A drill", "category": "tools"})
    assert ask.status_code == 201, ask.text
    exchange = (await exchanges.request_offer(offer.json()["id"], acting=me.id, message="May I?")).id
    ids = {
        "offer_id": [offer.json()["id"], own_offer.json()["id"]],
        "ask_id": [ask.json()["id"]],
        "exchange_id": [exchange],
        "street_id": [street.id],
        "resident_id": [carol.id, me.id],
        "match_id": [1],
        "photo_id": [1],
        "code": ["K7MQ3XPT"],
    }
    return headers, ids


def _request_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """schemathesis's requests-style arguments, as httpx takes them."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    out: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"], "headers": kwargs.get("headers"),
                           "params": kwargs.get("params")}
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    if kwargs.get("files"):
        out["files"] = _files(kwargs["files"])
    data = kwargs.get("data")
    if isinstance(data, dict):
        out["data"] = data
    elif data is not None:
        out["content"] = data
    if kwargs.get("cookies"):
        out["cookies"] = kwargs["cookies"]
    return out


def _files(files: Any) -> list[tuple[str, Any]]:
    """requests takes any value as a part's content; httpx only text, bytes or a file."""
    def content(value: Any) -> Any:
        return value if isinstance(value, (bytes, str)) or hasattr(value, "read") else str(value).encode()

    parts = []
    for name, value in (files.items() if isinstance(files, dict) else files):
        if isinstance(value, tuple):
            parts.append((name, (value[0], content(value[1]), *value[2:])))
        else:
            parts.append((name, content(value)))
    return parts


def _order(operation: Any) -> int:
    key = f"{operation.method.upper()} {operation.path}"
    return LAST.index(key) + 1 if key in LAST else 0


def _fuzz(schema: Any, send: Any, ids: dict[str, list[Any]], headers: dict[str, str]) -> tuple[list[str], int]:
    """Run every operation (in this worker thread); the failures found, and how many operations ran.

    Valid input (as the schema describes it) gets every check; invalid input only "no 5xx, and a
    documented status", since what an invalid request gets back is an error, not the schema's body.
    """
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=_order)
    failures: list[str] = []
    started = time.monotonic()
    for operation in operations:
        for mode, examples, checks in ((GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION, CHECKS),
                                       (GenerationMode.NEGATIVE, INVALID_EXAMPLES_PER_OPERATION, INVALID_CHECKS)):
            if failure := _run(operation, mode, examples, checks, send, ids, headers):
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value} data): {failure}")
        if time.monotonic() - started > BUDGET_S:
            failures.append(f"the time budget ran out after {operations.index(operation) + 1} operations")
            break
    return failures, len(operations)


def _run(operation: Any, mode: GenerationMode, examples: int, checks: list, send: Any, ids: dict[str, list[Any]],
         headers: dict[str, str]) -> str | None:
    """One operation's cases; the first failure's summary, or None."""
    names = [p.name for p in operation.path_parameters]
    strategy = operation.as_strategy(generation_mode=mode)
    if names and all(n in ids for n in names):
        known = st.fixed_dictionaries({n: st.sampled_from(ids[n]) for n in names})
        strategy = st.one_of(strategy, known.flatmap(
            lambda p: operation.as_strategy(generation_mode=mode, path_parameters=p)))

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], print_blob=False, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case: Any) -> None:
        response = send(_request_kwargs(case, headers))
        case.validate_response(response, checks=checks, headers=headers)

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # reported with the others, so one run shows them all
        return _summary(exc)
    return None


def _summary(exc: BaseException) -> str:
    """The failure's headline and the request that reproduces it, without the schema dumps."""
    lines = str(exc).splitlines()
    keep = [line for line in lines if line.strip().startswith(("- ", "curl", "[", "{"))
            or "violates" in line or "Server error" in line or "Undocumented" in line]
    return "\n".join([lines[0] if lines else type(exc).__name__, *keep[:12]])[:2500]


async def test_every_api_operation_answers_without_5xx_and_as_its_schema_says(client):
    headers, ids = await _world(client)
    document = (await client.get("/schema/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    loop = asyncio.get_running_loop()

    async def request(kwargs: dict[str, Any]) -> httpx.Response:
        sent = client.build_request(**kwargs)
        sent.read()  # a multipart body too, so the checks can show what was sent
        return await client.send(sent)

    def send(kwargs: dict[str, Any]) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(request(kwargs), loop).result(timeout=60)

    failures, ran = await asyncio.to_thread(_fuzz, schema, send, ids, headers)
    assert ran >= 60, f"only {ran} operations in the schema"
    assert not failures, "\n\n".join(failures)
