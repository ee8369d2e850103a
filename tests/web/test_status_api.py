"""The street status API (shared api.md, "Street status"): read the street's status, answer for my home,
withdraw; gas records nothing; who may read and who may answer.

alice and bob live on Elm Street (two homes), carol coordinates it; olive lives on Oak Road, Elm
Street's neighbour; dave lives in Leeds.
"""

from __future__ import annotations

import pytest
from support.cast import LEEDS, api_token, make_street, place_resident, quick_resident
from support.status import elm, home, oak  # noqa: F401 (fixtures)

from streetshare import db
from streetshare.status import rules


@pytest.fixture
async def olive(oak):
    person = await quick_resident("Olive")
    await place_resident(person, oak, home=home(oak, 1))
    return person


def url(street, topic: str | None = None) -> str:
    return f"/api/v1/streets/{street.id}/status" + (f"/{topic}" if topic else "")


async def rows(table: str) -> int:
    return await db.fetchval(f"SELECT count(*) FROM {table}")


async def test_status_lists_every_topic_in_the_contracts_order_with_counts_and_where_to_report(client, elm, alice):
    answer = await client.get(url(elm), headers=await api_token(client, alice))
    assert answer.status_code == 200
    body = answer.json()
    assert [t["topic"] for t in body["topics"]] == ["power", "water", "broadband", "bins", "street_lights", "gas",
                                                    "other"]
    power = body["topics"][0]
    assert power == {"topic": "power", "label": "Power cut", "state": "clear", "homes_here": 0, "homes_nearby": 0,
                     "nearby_streets": [], "since": None, "last_report_at": None, "mine": None,
                     "official": {"name": "Power cut helpline", "phone": "105", "url": "https://www.powercut105.com"},
                     "advice": None}
    gas = body["topics"][5]
    assert gas["advice"]["phone"] == "0800 111 999" and gas["advice"]["steps"]
    assert body["incidents"] == [] and body["street"] == {"id": elm.id, "name": "Elm Street"}
    assert body["can_report"] is True


async def test_answering_affected_opens_the_incident_and_answers_with_the_topic(client, elm, alice, bob):
    mine = await client.post(url(elm, "power"), json={"affected": True}, headers=await api_token(client, alice))
    assert mine.status_code == 200
    assert (mine.json()["state"], mine.json()["homes_here"], mine.json()["mine"]) == ("reported", 1, "affected")
    assert mine.json()["since"].endswith(("Z", "+00:00"))
    theirs = await client.post(url(elm, "power"), json={"affected": True}, headers=await api_token(client, bob))
    assert (theirs.json()["homes_here"], theirs.json()["mine"]) == (2, "affected")
    listed = (await client.get(url(elm), headers=await api_token(client, alice))).json()
    assert listed["incidents"] == [{"topic": "power", "started_at": listed["topics"][0]["since"], "ended_at": None,
                                    "ended_reason": None, "homes": 2}]


async def test_a_new_answer_replaces_mine(client, elm, alice, bob):
    headers = await api_token(client, alice)
    await client.post(url(elm, "water"), json={"affected": True}, headers=await api_token(client, bob))
    await client.post(url(elm, "water"), json={"affected": True}, headers=headers)
    fine = await client.post(url(elm, "water"), json={"affected": False}, headers=headers)
    assert (fine.json()["homes_here"], fine.json()["mine"]) == (1, "fine")
    assert await rows("status_report") == 2


async def test_fine_with_nothing_open_records_nothing(client, elm, alice):
    answer = await client.post(url(elm, "bins"), json={"affected": False}, headers=await api_token(client, alice))
    assert answer.status_code == 200 and answer.json()["state"] == "clear" and answer.json()["mine"] is None
    assert await rows("status_incident") == 0


async def test_withdrawing_my_only_answer_leaves_no_incident(client, elm, alice):
    headers = await api_token(client, alice)
    await client.post(url(elm, "broadband"), json={"affected": True}, headers=headers)
    gone = await client.delete(url(elm, "broadband"), headers=headers)
    assert gone.status_code == 204 and gone.content == b""
    assert await rows("status_incident") == 0
    again = await client.delete(url(elm, "broadband"), headers=headers)
    assert again.status_code == 204


async def test_gas_answers_with_the_emergency_advice_and_records_nothing(client, elm, alice):
    answer = await client.post(url(elm, "gas"), json={"affected": True}, headers=await api_token(client, alice))
    assert answer.status_code == 200
    body = answer.json()
    assert body["topic"] == "gas" and body["state"] == "clear" and body["homes_here"] == 0
    assert body["advice"] == {"name": rules.GAS_ADVICE.name, "phone": "0800 111 999", "tel": "+448001119999",
                              "summary": rules.GAS_ADVICE.summary, "steps": list(rules.GAS_ADVICE.steps)}
    assert await rows("status_incident") == 0 and await rows("status_report") == 0


async def test_unknown_topic_is_a_404(client, elm, alice):
    headers = await api_token(client, alice)
    assert (await client.post(url(elm, "volcano"), json={"affected": True}, headers=headers)).status_code == 404
    assert (await client.delete(url(elm, "volcano"), headers=headers)).status_code == 404


@pytest.mark.parametrize(("body", "field"), [({}, "affected"), ({"affected": "yes"}, "affected"),
                                             ({"affected": None}, "affected")])
async def test_a_body_without_a_true_or_false_affected_is_a_422_on_that_field(client, elm, alice, body, field):
    answer = await client.post(url(elm, "power"), json=body, headers=await api_token(client, alice))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert await rows("status_incident") == 0


async def test_a_neighbouring_streets_resident_may_read_but_not_answer(client, elm, alice, olive):
    await client.post(url(elm, "power"), json={"affected": True}, headers=await api_token(client, alice))
    headers = await api_token(client, olive)
    read = await client.get(url(elm), headers=headers)
    assert read.status_code == 200 and read.json()["can_report"] is False
    assert read.json()["topics"][0]["homes_here"] == 1
    refused = await client.post(url(elm, "power"), json={"affected": True}, headers=headers)
    assert refused.status_code == 403 and "live on this street" in refused.json()["detail"]
    assert (await client.delete(url(elm, "power"), headers=headers)).status_code == 403
    assert await rows("status_report") == 1


async def test_nearby_streets_are_named_only_with_two_homes_or_more(client, elm, oak, alice, bob, olive):
    await client.post(url(elm, "power"), json={"affected": True}, headers=await api_token(client, alice))
    seen = (await client.get(url(oak), headers=await api_token(client, olive))).json()["topics"][0]
    assert (seen["homes_here"], seen["homes_nearby"], seen["nearby_streets"]) == (0, 1, [])
    await client.post(url(elm, "power"), json={"affected": True}, headers=await api_token(client, bob))
    seen = (await client.get(url(oak), headers=await api_token(client, olive))).json()["topics"][0]
    assert seen["nearby_streets"] == [{"id": elm.id, "name": "Elm Street", "homes": 2}]


async def test_a_resident_of_another_street_gets_404_for_everything(client, elm, alice, dave):
    await make_street("Leeds Road", LEEDS, coordinator=dave)
    await client.post(url(elm, "power"), json={"affected": True}, headers=await api_token(client, alice))
    headers = await api_token(client, dave)
    for method, path, body in (("GET", url(elm), None), ("POST", url(elm, "power"), {"affected": True}),
                               ("DELETE", url(elm, "power"), None), ("POST", url(elm, "gas"), {"affected": True})):
        answer = await client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 404, (method, path)
        assert "Elm Street" not in answer.text
    assert await rows("status_report") == 1


async def test_without_a_token_it_is_a_401(client, elm):
    assert (await client.get(url(elm))).status_code == 401
    assert (await client.post(url(elm, "power"), json={"affected": True})).status_code == 401


async def test_the_schema_describes_the_status_answers_and_their_errors(client):
    schema = (await client.get("/schema/openapi.json")).json()
    path = schema["paths"]["/api/v1/streets/{street_id}/status/{topic}"]
    assert set(path["post"]["responses"]) == {"200", "400", "401", "403", "404", "422", "429", "503"}
    assert set(path["delete"]["responses"]) == {"204", "401", "403", "404", "429", "503"}
    topic = next(p for p in path["post"]["parameters"] if p["name"] == "topic")
    assert topic["schema"]["enum"] == [t.name for t in rules.TOPICS]
    components = schema["components"]["schemas"]
    assert components["TopicOut"]["properties"]["state"]["enum"] == ["clear", "reported"]
    assert set(components["TopicOut"]["properties"]["mine"]["oneOf"][0]["enum"]) == {"affected", "fine"}
    assert set(schema["paths"]["/api/v1/streets/{street_id}/status"]["get"]["responses"]) == {"200", "401", "404",
                                                                                              "503"}
