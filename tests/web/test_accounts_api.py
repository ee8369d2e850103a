"""The account API: sign up, bearer tokens (stored hashed, revocable), /me, and the OpenAPI schema."""

from __future__ import annotations

from datetime import UTC, datetime


from streetshare import clock, db
from streetshare.accounts import routes
from streetshare.accounts.tokens import token_hash
from support.cast import PASSWORD, api_token, app_client, sign_in

WINDOW_START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


async def test_signing_up_through_the_api_creates_the_resident(client):
    response = await client.post("/api/v1/auth/signup", json={"email": "Alice@Example.org", "password": PASSWORD,
                                                               "display_name": "Alice"})

    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "display_name": "Alice"}
    assert await db.fetchval("SELECT email FROM resident WHERE id = $1", body["id"]) == "alice@example.org"


async def test_api_sign_up_with_bad_fields_is_a_422_listing_each_field(client):
    response = await client.post("/api/v1/auth/signup", json={"email": "nope", "password": "short", "display_name": ""})

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"email", "password", "display_name"}
    assert await db.fetchval("SELECT count(*) FROM resident") == 0


async def test_api_sign_up_with_an_email_taken_in_another_case_is_a_422_on_email(client, alice):
    response = await client.post("/api/v1/auth/signup", json={"email": "ALICE@example.org", "password": PASSWORD,
                                                               "display_name": "Alice Two"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]


async def test_the_right_password_gets_a_bearer_token_stored_only_as_its_hash(client, alice):
    response = await client.post("/api/v1/auth/token", json={"email": alice.email, "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40
    stored = await db.fetchval("SELECT token_hash FROM auth_token WHERE kind = 'api'")
    assert stored == token_hash(body["access_token"])


async def test_a_wrong_password_gets_no_token(client, alice):
    response = await client.post("/api/v1/auth/token", json={"email": alice.email, "password": "not my password"})

    assert response.status_code == 422
    assert "reset your password" in response.json()["detail"]
    assert await db.fetchval("SELECT count(*) FROM auth_token") == 0


async def test_me_describes_the_token_holder(client, alice, bob):
    headers = await api_token(client, alice)

    response = await client.get("/api/v1/me", headers=headers)

    assert response.status_code == 200
    me = response.json()
    assert (me["id"], me["display_name"], me["email"]) == (alice.id, "Alice", alice.email)
    assert me["street"] is None
    assert datetime.fromisoformat(me["member_since"]).tzinfo is not None


async def test_the_bearer_scheme_is_case_insensitive(client, alice):
    token = (await api_token(client, alice))["Authorization"].split()[1]

    assert (await client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})).status_code == 200


async def test_a_web_session_token_is_not_accepted_as_a_bearer_token(client, alice):
    await sign_in(client, alice)
    session = client.cookies["streetshare_session"]
    client.cookies.clear()

    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"})

    assert response.status_code == 401


async def test_revoking_a_token_ends_it_and_only_it(client, alice):
    first = await api_token(client, alice)
    second = await api_token(client, alice)

    response = await client.delete("/api/v1/auth/token", headers=first)

    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=first)).status_code == 401
    assert (await client.get("/api/v1/me", headers=second)).status_code == 200


async def test_revoking_without_a_token_is_401(client):
    response = await client.delete("/api/v1/auth/token")

    assert response.status_code == 401
    assert response.json() == {"detail": "Please sign in."}


async def test_revoking_a_token_twice_is_401_the_second_time(client, alice):
    headers = await api_token(client, alice)
    await client.delete("/api/v1/auth/token", headers=headers)

    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 401


async def test_api_sign_up_is_rate_limited_per_ip_across_app_processes(client, settings, monkeypatch):
    monkeypatch.setitem(routes.SIGNUP_IP_LIMIT, "limit", 2)
    async with app_client(settings) as other_process:
        with clock.frozen_at(WINDOW_START):
            for n, c in enumerate([client, other_process]):
                response = await c.post("/api/v1/auth/signup", json={"email": f"n{n}@example.org", "password": PASSWORD,
                                                                      "display_name": f"Neighbour {n}"})
                assert response.status_code == 201

            response = await other_process.post("/api/v1/auth/signup", json={
                "email": "n9@example.org", "password": PASSWORD, "display_name": "One too many"})

    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert await db.fetchval("SELECT count(*) FROM resident") == 2


async def test_the_openapi_schema_describes_the_account_api(client):
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/auth/signup"]
    assert {"post", "delete"} <= set(paths["/api/v1/auth/token"])
    assert "get" in paths["/api/v1/me"]
    assert schema["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


async def test_the_openapi_schema_describes_only_the_api(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    assert [p for p in paths if not p.startswith("/api/v1/")] == []


async def test_asking_for_a_token_with_a_nul_in_the_email_is_the_usual_422(client, alice):
    response = await client.post("/api/v1/auth/token", json={"email": "alice\u0000@example.org", "password": PASSWORD})

    assert response.status_code == 422


async def test_signing_up_with_a_nul_in_the_name_is_a_422_on_that_field(client):
    response = await client.post("/api/v1/auth/signup", json={"email": "alice@example.org", "password": PASSWORD,
                                                               "display_name": "Ali\u0000ce"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["display_name"]


async def test_a_token_label_with_odd_characters_is_cleaned_not_a_500(client, alice):
    response = await client.post("/api/v1/auth/token", json={"email": alice.email, "password": PASSWORD,
                                                              "label": "my\u0000 phone"})

    assert response.status_code == 200
