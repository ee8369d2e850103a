"""The OpenAPI document at /schema/openapi.json says what the API really answers (web/openapi.py)."""

from __future__ import annotations

import re

import pytest

from streetshare.exchanges.states import State
from streetshare.offers import rules as offers_rules
from support.cast import api_token, make_street, place_resident

API = "/api/v1"


@pytest.fixture
async def schema(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operation(schema: dict, method: str, path: str) -> dict:
    return schema["paths"][API + path][method.lower()]


def statuses(schema: dict, method: str, path: str) -> set[int]:
    return {int(s) for s in operation(schema, method, path)["responses"]}


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if path.startswith(API) and method in {"get", "put", "post", "patch", "delete"}:
                yield method.upper(), path, op


async def test_error_answers_are_documented_as_the_detail_and_errors_body_the_app_sends(client, schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}
    assert error["additionalProperties"] is False
    for method, path, op in _operations(schema):
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith(("/Error", "/AddressError")), (method, path, status)
    # What the app sends for invalid fields has exactly that shape.
    sent = (await client.post(f"{API}/auth/signup", json={"email": "x"})).json()
    assert set(sent) == {"detail", "errors"} and set(sent["errors"][0]) == {"field", "message"}


async def test_no_operation_documents_litestars_400_body_which_the_app_never_sends(schema):
    for method, path, op in _operations(schema):
        if "400" in op["responses"]:
            assert op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "400" not in operation(schema, "GET", "/offers/{offer_id}")["responses"]
    assert 400 in statuses(schema, "POST", "/offers")  # malformed JSON


async def test_only_operations_that_need_a_token_list_401_and_the_bearer_scheme(schema):
    for method, path in (("POST", "/auth/signup"), ("POST", "/auth/token")):
        assert 401 not in statuses(schema, method, path)
        assert operation(schema, method, path)["security"] == []
    for method, path in (("GET", "/me"), ("GET", "/feed"), ("POST", "/exchanges/{exchange_id}/accept")):
        assert 401 in statuses(schema, method, path)
        assert "security" not in operation(schema, method, path)  # the app-wide bearer scheme
    answer = operation(schema, "GET", "/me")["responses"]["401"]
    assert "WWW-Authenticate" in answer["headers"]


async def test_404_409_422_429_are_listed_only_where_the_operation_can_give_them(schema):
    assert statuses(schema, "GET", "/me") == {200, 401, 503}
    assert statuses(schema, "GET", "/offers/{offer_id}") == {200, 401, 404, 503}
    assert statuses(schema, "POST", "/exchanges/{exchange_id}/accept") == {200, 401, 404, 409, 503}
    assert statuses(schema, "POST", "/auth/token") == {200, 400, 422, 429, 503}
    assert "Retry-After" in operation(schema, "POST", "/auth/token")["responses"]["429"]["headers"]
    assert 422 in statuses(schema, "GET", "/notifications")  # `limit` is a number
    assert 429 not in statuses(schema, "POST", "/offers")


async def test_categories_kinds_and_states_are_enums_of_the_domains_lists(schema):
    components = schema["components"]["schemas"]
    assert components["OfferIn"]["properties"]["category"]["enum"] == list(offers_rules.CATEGORIES)
    assert components["OfferIn"]["properties"]["kind"]["enum"] == list(offers_rules.KINDS)
    assert components["StateOut"]["properties"]["state"]["enum"] == [s.value for s in State]
    [state] = [p for p in operation(schema, "GET", "/exchanges")["parameters"] if p["name"] == "state"]
    assert [s for s in state["schema"]["oneOf"] if s["type"] == "string"][0]["enum"] == [s.value for s in State]


async def test_the_cursor_format_is_documented_on_every_paged_list(schema):
    for path in ("/feed", "/offers", "/asks", "/notifications", "/streets/{street_id}/reports"):
        [cursor] = [p for p in operation(schema, "GET", path)["parameters"] if p["name"] == "cursor"]
        assert "`next` of the previous page" in cursor["description"]
    assert "null on the last page" in schema["components"]["schemas"]["FeedOut"]["properties"]["next"]["description"]


async def test_operations_that_differ_from_the_contract_say_so(schema):
    assert "Differs from the contract" in operation(schema, "GET", "/streets/nearby")["description"]


# Each documented maxLength is the service's own limit: one character more is refused on that field.
LIMITED = [
    ("/offers", {"kind": "lend", "title": "Ladder", "category": "tools"}, "OfferIn", "title"),
    ("/offers", {"kind": "lend", "title": "Ladder", "category": "tools"}, "OfferIn", "description"),
    ("/asks", {"title": "A drill", "category": "tools"}, "AskIn", "title"),
    ("/asks", {"title": "A drill", "category": "tools"}, "AskIn", "description"),
]


@pytest.mark.parametrize(("path", "body", "component", "field"), LIMITED)
async def test_documented_max_length_is_what_the_api_refuses(client, schema, alice, path, body, component, field):
    await place_resident(alice, await make_street())
    headers = await api_token(client, alice)
    longest = schema["components"]["schemas"][component]["properties"][field]["maxLength"]
    fits = await client.post(API + path, json={**body, field: "x" * longest}, headers=headers)
    assert fits.status_code == 201, fits.text
    too_long = await client.post(API + path, json={**body, field: "x" * (longest + 1)}, headers=headers)
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == [field]


async def test_signup_limits_in_the_schema_are_the_ones_signing_up_enforces(client, schema):
    props = schema["components"]["schemas"]["SignupIn"]["properties"]
    name = props["display_name"]["maxLength"]
    ok = {"email": "new@example.org", "password": "correct horse battery"}
    assert (await client.post(f"{API}/auth/signup", json={**ok, "display_name": "n" * name})).status_code == 201
    refused = await client.post(f"{API}/auth/signup", json={**ok, "email": "other@example.org",
                                                            "display_name": "n" * (name + 1)})
    assert [e["field"] for e in refused.json()["errors"]] == ["display_name"]


async def test_me_documents_its_street_as_a_street_reference(client, schema, alice):
    street = schema["components"]["schemas"]["MeOut"]["properties"]["street"]
    assert {"$ref": "#/components/schemas/StreetRef"} in street["oneOf"]
    await place_resident(alice, await make_street())
    me = (await client.get(f"{API}/me", headers=await api_token(client, alice))).json()
    assert me["street"] == {"id": 1, "name": "Elm Street"}


async def test_the_description_names_contract_operations_the_app_does_not_serve_and_no_others(schema):
    description = schema["info"]["description"]
    assert "`PATCH /me`" in description or "patch" in schema["paths"][f"{API}/me"]
    assert "`GET /feed`" not in description and "`POST /offers`" not in description


async def test_documented_number_ranges_are_what_the_api_refuses(client, schema, alice):
    await place_resident(alice, await make_street())
    headers = await api_token(client, alice)
    [days] = [s for s in schema["components"]["schemas"]["OfferIn"]["properties"]["loan_days"]["oneOf"]
              if s["type"] == "integer"]
    body = {"kind": "lend", "title": "Ladder", "category": "tools"}
    for fits in (days["minimum"], days["maximum"]):
        response = await client.post(f"{API}/offers", json={**body, "loan_days": fits}, headers=headers)
        assert response.status_code == 201, response.text
    for refused in (days["minimum"] - 1, days["maximum"] + 1):
        response = await client.post(f"{API}/offers", json={**body, "loan_days": refused}, headers=headers)
        assert [e["field"] for e in response.json()["errors"]] == ["loan_days"]


async def test_every_operation_that_lists_401_answers_401_without_a_token_and_no_other_does(client, schema):
    for method, path, op in _operations(schema):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = await client.request(method, url, json={} if "requestBody" in op else None)
        assert (response.status_code == 401) == ("401" in op["responses"]), (method, path, response.status_code)
