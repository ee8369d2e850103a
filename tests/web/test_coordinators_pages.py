"""What the coordinator's pages show (and never show), the flyer's QR code, the CSV, the API bodies,
and a resident's report form and "looking out" settings."""

import base64
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from support.cast import (
    api_token, history_ask, history_exchange, history_offer, make_street, place_resident, post_form, sign_in,
)

from streetshare import db
from streetshare.coordinators import service as coordinators
from streetshare.moderation import service as moderation


@pytest.fixture
async def elm(carol, alice, bob):
    street = await make_street("Elm Street", coordinator=carol)
    await place_resident(alice, street)
    await place_resident(bob, street)
    return street


async def busy_street(elm, alice, bob, carol):
    now = datetime.now(UTC)
    await db.execute("UPDATE street SET created_at = $2 WHERE id = $1", elm.id, now - timedelta(days=100))
    ladder = await history_offer(alice, elm, title="Ladder", created_at=now - timedelta(days=40))
    await history_ask(bob, elm, title="Lift to the station", created_at=now - timedelta(days=12))
    await history_ask(alice, elm, title="Jam jars", created_at=now - timedelta(days=9), needed_by=date.today())
    await history_exchange(provider=alice, recipient=bob, offer=ladder, state="handed_over",
                           requested_at=now - timedelta(days=20), due_back=date.today() - timedelta(days=3))
    drill = await history_offer(alice, elm, title="Drill", created_at=now - timedelta(days=30))
    exchange = await history_exchange(provider=alice, recipient=carol, offer=drill, state="completed",
                                      requested_at=now - timedelta(days=20), completed_at=now - timedelta(days=19))
    await moderation.report(acting=carol.id, target_kind="exchange", target_id=exchange, reason="Drill bit missing")


async def test_dashboard_shows_the_streets_activity_at_a_glance(client, elm, alice, bob, carol):
    await busy_street(elm, alice, bob, carol)
    await sign_in(client, carol)
    response = await client.get(f"/streets/{elm.id}/dashboard")
    assert response.status_code == 200
    page = response.text
    assert "<svg" in page and 'role="img"' in page and "<desc" in page
    assert "Show the numbers as a table" in page and "<table" in page
    assert "Lift to the station" in page and "Waiting 12 days" in page
    assert "Jam jars" in page
    assert "Ladder" in page and "lent by Alice to Bob" in page
    assert "Drill bit missing" in page
    # the share text for the group chat lists the unmet asks, oldest first
    share = re.search(r'<textarea id="unmet-share"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert share.index("Lift to the station") < share.index("Jam jars")
    assert "(Bob, waiting 12 days)" in share


async def test_dashboard_never_shows_emails_or_home_addresses(client, elm, alice, bob, carol):
    await db.execute("UPDATE resident SET home_address = '12 Secret Lane, HD1 2QA' WHERE id = $1", bob.id)
    await busy_street(elm, alice, bob, carol)
    await coordinators.save_preferences(acting=bob.id, check_on_me=True, check_after_days=2, show_as_sharer=True)
    await db.execute("UPDATE resident SET last_seen_at = now() - interval '10 days', "
                     "created_at = now() - interval '30 days' WHERE id = $1", bob.id)
    await db.execute("UPDATE auth_token SET last_used_at = now() - interval '10 days' WHERE resident = $1", bob.id)
    await sign_in(client, carol)
    for path in ("dashboard", "dashboard?period=all", "members", "reports?status=all", "moderation-log"):
        page = (await client.get(f"/streets/{elm.id}/{path}")).text
        for secret in (alice.email, bob.email, "Secret Lane", str(elm.lat)[:7]):
            assert secret not in page, f"{secret} on {path}"
    page = (await client.get(f"/streets/{elm.id}/dashboard")).text
    assert "Neighbours to check on" in page and "not seen for 10 days" in page


async def test_period_selector_marks_the_chosen_period(client, elm, carol):
    await sign_in(client, carol)
    page = (await client.get(f"/streets/{elm.id}/dashboard?period=12w")).text
    assert re.search(r'href="\?period=12w"[^>]*aria-current="page"', page)
    assert "each week" in page
    nonsense = await client.get(f"/streets/{elm.id}/dashboard?period=forever")
    assert nonsense.status_code == 200 and re.search(r'href="\?period=30d"[^>]*aria-current="page"', nonsense.text)


def decode_svg_qr(data_url: str) -> str:
    """Paint the flyer's SVG (unit squares in a viewBox) into a bitmap and read it like a phone would."""
    svg = base64.b64decode(data_url.split(",", 1)[1]).decode()
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    [found] = zxingcpp.read_barcodes(image)
    return found.text


async def test_flyer_carries_a_working_qr_code_and_the_short_code(client, elm, carol, settings):
    await sign_in(client, carol)
    first = await client.get(f"/streets/{elm.id}/flyer")
    assert "Make a flyer" in first.text  # no invite yet
    made = await post_form(client, f"/streets/{elm.id}/flyer", {}, form_page=f"/streets/{elm.id}/flyer")
    assert made.status_code == 303
    page = (await client.get(made.headers["location"])).text
    code = re.search(r'class="flyer-code">([A-Z0-9]{8})<', page).group(1)
    assert not set(code) & set("0O1IL")
    data_url = re.search(r'class="flyer-qr" src="([^"]+)"', page).group(1)
    assert decode_svg_qr(unquote(data_url)) == f"{settings.base_url}/join/{code}"
    assert "Elm Street" in page
    assert (await client.get("/static/flyer.css")).status_code == 200
    css = (await client.get(re.search(r'href="(/static/flyer.css[^"]*)"', page).group(1))).text
    assert "size: A5" in css


async def test_flyer_for_a_switched_off_invite_asks_for_a_new_one(client, elm, carol):
    invite = await coordinators.create_invite(elm.id, acting=carol.id)
    await coordinators.revoke_invite(elm.id, invite.id, acting=carol.id)
    await sign_in(client, carol)
    page = (await client.get(f"/streets/{elm.id}/flyer?code={invite.code}")).text
    assert "no longer works" in page


async def test_invite_page_makes_a_link_with_share_text(client, elm, carol, settings):
    await sign_in(client, carol)
    response = await post_form(client, f"/streets/{elm.id}/invites", {"days": "7", "max_uses": "3"})
    assert response.status_code == 303
    page = (await client.get(response.headers["location"])).text
    code = re.search(r"\?created=([A-Z0-9]{8})", response.headers["location"]).group(1)
    share = re.search(r'<textarea id="invite-share"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert f"{settings.base_url}/join/{code}" in share and code in share
    assert "Used 0 of 3 times" in page
    assert 'data-share-for="invite-share" hidden' in page  # the button appears only with JavaScript


async def test_invite_form_errors_stand_next_to_their_fields(client, elm, carol):
    await sign_in(client, carol)
    response = await post_form(client, f"/streets/{elm.id}/invites", {"days": "0", "max_uses": "lots"})
    assert response.status_code == 422
    assert 'id="f-days-error"' in response.text and 'id="f-max_uses-error"' in response.text


async def test_csv_export_has_dates_kinds_categories_and_states_but_no_names(client, elm, alice, bob, carol):
    await busy_street(elm, alice, bob, carol)
    await sign_in(client, carol)
    response = await client.get(f"/streets/{elm.id}/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["record"] for r in rows} == {"offer", "ask", "exchange"}
    assert list(rows[0]) == ["record", "created_on", "kind", "category", "state", "finished_on"]
    exchanges = [r for r in rows if r["record"] == "exchange"]
    assert sorted(r["state"] for r in exchanges) == ["completed", "handed_over"]
    for secret in ("Alice", "Bob", "Carol", "example.org", "Ladder", "Lift to the station"):
        assert secret not in response.text


async def test_api_activity_gives_the_figures(client, elm, alice, bob, carol):
    await busy_street(elm, alice, bob, carol)
    headers = await api_token(client, carol)
    body = (await client.get(f"/api/v1/streets/{elm.id}/activity?period=all", headers=headers)).json()
    assert body["members"] == 3
    assert body["offers_by_kind"]["lend"] == 2
    assert body["exchanges_by_state"]["completed"] == 1
    assert body["overdue"] == 1 and body["overdue_loans"][0]["title"] == "Ladder"
    assert [u["title"] for u in body["unmet_asks"]] == ["Lift to the station", "Jam jars"]
    assert body["weekly_series"] and {"starts", "exchanges_started", "new_offers"} <= set(body["weekly_series"][0])
    assert "email" not in str(body)


async def test_api_invite_answers_url_and_expiry(client, elm, carol, settings):
    headers = await api_token(client, carol)
    response = await client.post(f"/api/v1/streets/{elm.id}/invites", json={"days": 10}, headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"{settings.base_url}/join/{body['code']}" and body["expires_at"]
    bad = await client.post(f"/api/v1/streets/{elm.id}/invites", json={"days": 1000}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days"


async def test_api_appoint_refuses_someone_from_elsewhere(client, elm, carol, dave):
    headers = await api_token(client, carol)
    response = await client.post(f"/api/v1/streets/{elm.id}/coordinators", json={"resident_id": dave.id},
                                 headers=headers)
    assert response.status_code == 422


async def test_resident_reports_through_the_api_and_coordinators_see_it(client, elm, alice, bob, carol):
    offer = await history_offer(alice, elm, title="Odd offer")
    bob_headers = await api_token(client, bob)
    created = await client.post("/api/v1/reports", json={"target_kind": "offer", "target_id": offer,
                                                         "reason": "Asks for money"}, headers=bob_headers)
    assert created.status_code == 201 and created.json()["status"] == "open"
    queue = (await client.get(f"/api/v1/streets/{elm.id}/reports", headers=await api_token(client, carol))).json()
    [item] = queue["items"]
    assert (item["target_label"], item["reason"], item["owner"]["display_name"]) == ("Odd offer", "Asks for money", "Alice")
    assert queue["next"] is None


async def test_report_form_sends_a_report(client, elm, alice, bob, carol):
    ask = await history_ask(alice, elm, title="Strange ask")
    await sign_in(client, bob)
    form = f"/report?kind=ask&id={ask}"
    page = await client.get(form)
    assert "Strange ask" in page.text
    empty = await post_form(client, "/report", {"kind": "ask", "id": str(ask), "reason": ""}, form_page=form)
    assert empty.status_code == 422 and 'id="f-reason-error"' in empty.text
    sent = await post_form(client, "/report", {"kind": "ask", "id": str(ask), "reason": "Not a real need"},
                           form_page=form)
    assert sent.status_code == 200 and "has gone to your street's coordinators" in sent.text
    client.cookies.clear()
    await sign_in(client, carol)
    queue = (await client.get(f"/streets/{elm.id}/reports")).text
    assert "Strange ask" in queue and "Not a real need" in queue


async def test_coordinator_hides_a_reported_ask_from_the_queue(client, elm, alice, bob, carol):
    ask = await history_ask(alice, elm, title="Selling a sofa")
    await moderation.report(acting=bob.id, target_kind="ask", target_id=ask, reason="Selling")
    await sign_in(client, carol)
    hide_form = f"/streets/{elm.id}/hide?kind=ask&id={ask}"
    blank = await post_form(client, f"/streets/{elm.id}/hide", {"kind": "ask", "id": str(ask), "reason": ""},
                            form_page=hide_form)
    assert blank.status_code == 422 and 'id="f-reason-error"' in blank.text
    done = await post_form(client, f"/streets/{elm.id}/hide",
                           {"kind": "ask", "id": str(ask), "reason": "No selling here"}, form_page=hide_form)
    assert done.status_code == 303
    assert await db.fetchval("SELECT hidden_reason FROM ask WHERE id = $1", ask) == "No selling here"
    acted = (await client.get(f"/streets/{elm.id}/reports?status=acted_on")).text
    assert "Selling a sofa" in acted and "Hidden: No selling here" in acted
    log = (await client.get(f"/streets/{elm.id}/moderation-log")).text
    assert "Carol" in log and "hid" in log and "No selling here" in log


async def test_acting_on_a_report_without_a_note_shows_the_error_next_to_it(client, elm, alice, bob, carol):
    offer = await history_offer(alice, elm)
    report_id = await moderation.report(acting=bob.id, target_kind="offer", target_id=offer, reason="Hmm")
    await sign_in(client, carol)
    response = await post_form(client, f"/streets/{elm.id}/reports/{report_id}/acted-on", {"note": ""},
                               form_page=f"/streets/{elm.id}/reports")
    assert response.status_code == 422
    assert f'id="note-{report_id}-error"' in response.text


async def test_members_page_shows_badges_and_the_last_coordinator_cannot_step_down(client, elm, alice, carol):
    await coordinators.mark_met_in_person(elm.id, alice.id, acting=carol.id)
    await sign_in(client, carol)
    page = (await client.get(f"/streets/{elm.id}/members")).text
    assert "Met in person" in page and "appoint a neighbour first" in page
    refused = await post_form(client, f"/streets/{elm.id}/step-down", {}, form_page=f"/streets/{elm.id}/members")
    assert refused.status_code == 409


async def test_looking_out_settings_are_off_until_turned_on(client, alice):
    await sign_in(client, alice)
    page = (await client.get("/account/looking-out")).text
    assert "checked" not in page
    saved = await post_form(client, "/account/looking-out",
                            {"check_on_me": "yes", "check_after_days": "5", "show_as_sharer": "yes"})
    assert saved.status_code == 303
    page = (await client.get("/account/looking-out?saved=1")).text
    assert page.count(" checked") == 2 and 'value="5"' in page
    wrong = await post_form(client, "/account/looking-out", {"check_after_days": "400"})
    assert wrong.status_code == 422 and "f-check_after_days-error" in wrong.text


async def test_coordinate_page_takes_a_coordinator_to_their_dashboard(client, elm, carol, alice):
    await sign_in(client, carol)
    response = await client.get("/coordinate", follow_redirects=False)
    assert response.headers["location"] == f"/streets/{elm.id}/dashboard"
    client.cookies.clear()
    await sign_in(client, alice)
    assert "don't coordinate a street" in (await client.get("/coordinate")).text


async def test_api_invite_without_a_body_uses_the_defaults(client, elm, carol):
    response = await client.post(f"/api/v1/streets/{elm.id}/invites", headers=await api_token(client, carol))
    assert response.status_code == 201 and response.json()["max_uses"] is None


async def test_coordinator_endpoints_are_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/api/v1/streets/{street_id}/activity", "/api/v1/streets/{street_id}/reports",
                 "/api/v1/streets/{street_id}/coordinators", "/api/v1/streets/{street_id}/invites", "/api/v1/reports"):
        assert path in paths, path


async def test_a_neighbour_types_the_flyers_code_in_any_case(client):
    assert "Join your street with a code" in (await client.get("/join")).text
    typed = await client.get("/join?code=k7mq-3xpt", follow_redirects=False)
    assert typed.status_code == 303 and typed.headers["location"] == "/join/K7MQ3XPT"
    short = await client.get("/join?code=abc")
    assert short.status_code == 422 and 'id="f-code-error"' in short.text


async def test_a_resident_cannot_flood_the_coordinators_with_reports(client, elm, alice, bob):
    from streetshare.moderation.routes import REPORT_LIMIT

    offers = [await history_offer(alice, elm, title=f"Thing {i}") for i in range(REPORT_LIMIT["limit"] + 1)]
    headers = await api_token(client, bob)
    answers = [
        (await client.post("/api/v1/reports", json={"target_kind": "offer", "target_id": o, "reason": "Spam?"},
                           headers=headers)).status_code
        for o in offers
    ]
    assert answers[:-1] == [201] * REPORT_LIMIT["limit"] and answers[-1] == 429
