"""Notification pages and API: the unread badge on every page, the list, email settings,
one-click unsubscribe from an email, and /api/v1/notifications."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from markupsafe import escape

from streetshare import clock, db
from streetshare.notifications import notify, queries, rules
from support.cast import api_token, post_form, sign_in


# The cast, quickly (quick_resident hashes the password once per run; these tests are not about sign-up).
BADGE = re.compile(r'<span class="badge">([^<]+)<span class="visually-hidden"> unread</span></span>')


def badge(html: str) -> str | None:
    found = BADGE.search(html)
    return found.group(1) if found else None


async def tell(person, text: str, *, kind: str = "message", actor=None, url: str = "/exchanges/7") -> int:
    return await notify(person.id, kind, actor_id=actor.id if actor else None, text=text, url=url)


# ---------------------------------------------------------------- the badge and the list


async def test_unread_count_shows_on_every_page(client, alice, bob):
    await tell(alice, "Bob: hello", actor=bob)
    await tell(alice, "Bob asked to borrow your ladder", kind="request_received", actor=bob)
    await sign_in(client, alice)

    for path in ("/", "/account", "/notifications/settings"):
        response = await client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert badge(response.text) == "2", path
        assert 'href="/notifications"' in response.text


async def test_no_badge_without_unread_notifications(client, alice):
    await sign_in(client, alice)

    response = await client.get("/account")

    assert 'href="/notifications"' in response.text and badge(response.text) is None


async def test_badge_stops_counting_at_99_plus(client, alice):
    await db.execute(
        "INSERT INTO notification (resident, kind, text, created_at) SELECT $1, 'message', 'hi', $2 FROM generate_series(1, 120)",
        alice.id, clock.now(),
    )
    await sign_in(client, alice)

    assert badge((await client.get("/account")).text) == "99+"


async def test_notification_list_shows_mine_newest_first_and_marks_them_read(client, alice, bob):
    base = datetime.now(UTC)
    with clock.frozen_at(base - timedelta(hours=2)):
        await tell(alice, "Bob: older message", actor=bob)
    with clock.frozen_at(base - timedelta(hours=1)):
        await tell(alice, "Bob: newer message", actor=bob)
    await tell(bob, "Alice: for Bob only", actor=alice)
    await sign_in(client, alice)

    response = await client.get("/notifications")

    assert response.status_code == 200
    assert response.text.index("newer message") < response.text.index("older message")
    assert "for Bob only" not in response.text
    assert response.text.count('class="unread"') == 2, "highlighted as new this once"
    assert badge(response.text) is None, "the header no longer counts what the page shows"
    assert 'href="/exchanges/7"' in response.text
    assert await queries.unread_count(alice.id) == 0
    again = await client.get("/notifications")
    assert 'class="unread"' not in again.text


async def test_mark_all_read_clears_the_badge(client, alice, bob):
    for n in range(3):
        await tell(alice, f"Bob: message {n}", actor=bob)
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/read", {}, form_page="/notifications/settings")

    assert response.status_code == 303 and response.headers["location"] == "/notifications"
    assert await queries.unread_count(alice.id) == 0
    assert badge((await client.get("/account")).text) is None


async def test_mark_all_read_needs_the_csrf_token(client, alice, bob):
    await tell(alice, "Bob: hi", actor=bob)
    await sign_in(client, alice)

    response = await client.post("/notifications/read", data={})

    assert response.status_code == 403
    assert await queries.unread_count(alice.id) == 1


async def test_notification_pages_need_signing_in(client):
    for path in ("/notifications", "/notifications/settings"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")


# ---------------------------------------------------------------- email settings


async def test_settings_page_shows_every_kind_with_its_current_choice(client, alice):
    await sign_in(client, alice)

    response = await client.get("/notifications/settings")

    assert response.status_code == 200
    for kind in rules.KINDS:
        assert f'name="{kind.name}"' in response.text
        assert str(escape(kind.label)) in response.text
    assert '<option value="daily" selected>' in response.text
    assert 'name="_csrf_token"' in response.text


async def test_resident_saves_email_choices(client, alice):
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/settings", {"message": "immediate", "request_received": "off"})

    assert response.status_code == 303 and response.headers["location"] == "/notifications/settings?saved=1"
    choices = await queries.email_choices(alice.id)
    assert choices.delivery("message") == rules.IMMEDIATE
    assert choices.delivery("request_received") == rules.OFF
    assert not choices.all_email_off
    page = await client.get("/notifications/settings?saved=1")
    assert "Saved." in page.text


async def test_resident_stops_all_email_from_the_settings_page(client, alice):
    await sign_in(client, alice)

    await post_form(client, "/notifications/settings", {"all_email_off": "on"})

    assert (await queries.email_choices(alice.id)).all_email_off


async def test_settings_form_refuses_an_unknown_choice_next_to_its_field(client, alice):
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/settings", {"message": "hourly"})

    assert response.status_code == 422
    assert 'id="f-message-error"' in response.text
    assert (await queries.email_choices(alice.id)).delivery("message") == rules.DAILY


# ---------------------------------------------------------------- one-click unsubscribe


async def test_unsubscribe_link_shows_a_confirmation_button_and_changes_nothing_yet(client, alice, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "message")

    response = await client.get(f"/unsubscribe/{token}")

    assert response.status_code == 200
    assert f'action="/unsubscribe/{token}"' in response.text and "Stop these emails" in response.text
    assert (await queries.email_choices(alice.id)).delivery("message") == rules.DAILY


async def test_mail_app_one_click_unsubscribe_works_without_a_session_or_csrf_token(client, alice, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "message")

    response = await client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "stopped" in response.text
    assert (await queries.email_choices(alice.id)).delivery("message") == rules.OFF


async def test_stop_all_email_button_on_the_unsubscribe_page(client, alice, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "message")

    response = await client.post(f"/unsubscribe/{token}", data={"everything": "1"})

    assert response.status_code == 200
    assert (await queries.email_choices(alice.id)).all_email_off


async def test_tampered_unsubscribe_link_is_refused(client, alice, bob, settings):
    token = rules.unsubscribe_token(settings.secret_key, alice.id, "message")
    tampered = token.replace(f"{alice.id}.", f"{bob.id}.", 1)

    assert (await client.get(f"/unsubscribe/{tampered}")).status_code == 404
    response = await client.post(f"/unsubscribe/{tampered}", data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 404
    assert (await queries.email_choices(bob.id)).delivery("message") == rules.DAILY


async def test_only_the_unsubscribe_route_is_exempt_from_csrf(client, alice):
    await sign_in(client, alice)

    response = await client.post("/notifications/settings", data={"message": "off"})

    assert response.status_code == 403
    assert (await queries.email_choices(alice.id)).delivery("message") == rules.DAILY


# ---------------------------------------------------------------- API


async def test_api_lists_my_notifications_newest_first_with_read_and_a_cursor(client, alice, bob):
    base = datetime.now(UTC)
    for n in range(3):
        with clock.frozen_at(base - timedelta(minutes=10 - n)):
            await tell(alice, f"Bob: message {n}", actor=bob)
    await tell(bob, "Alice: for Bob", actor=alice)
    headers = await api_token(client, alice)

    first = await client.get("/api/v1/notifications?limit=2", headers=headers)
    body = first.json()
    second = (await client.get(f"/api/v1/notifications?limit=2&cursor={body['next']}", headers=headers)).json()

    assert first.status_code == 200
    assert [i["text"] for i in body["items"]] == ["Bob: message 2", "Bob: message 1"]
    assert [i["text"] for i in second["items"]] == ["Bob: message 0"] and second["next"] is None
    item = body["items"][0]
    assert item["read"] is False and item["kind"] == "message" and item["url"] == "/exchanges/7"
    assert item["actor"] == {"id": bob.id, "display_name": "Bob"}
    assert "email" not in str(body) and bob.email not in first.text
    assert body["unread"] == 3


async def test_api_marks_all_read(client, alice, bob):
    await tell(alice, "Bob: hi", actor=bob)
    headers = await api_token(client, alice)

    response = await client.post("/api/v1/notifications/read", headers=headers)

    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 0}
    listed = (await client.get("/api/v1/notifications", headers=headers)).json()
    assert [i["read"] for i in listed["items"]] == [True]


async def test_api_notifications_need_a_token(client):
    assert (await client.get("/api/v1/notifications")).status_code == 401
    assert (await client.post("/api/v1/notifications/read")).status_code == 401


async def test_api_reads_and_changes_email_choices(client, alice):
    headers = await api_token(client, alice)

    before = (await client.get("/api/v1/notifications/settings", headers=headers)).json()
    response = await client.put("/api/v1/notifications/settings", json={"choices": {"message": "off"}}, headers=headers)
    refused = await client.put("/api/v1/notifications/settings", json={"choices": {"message": "hourly"}},
                               headers=headers)

    assert before["choices"]["message"] == "daily" and before["kinds"]["message"]
    assert response.status_code == 200 and response.json()["choices"]["message"] == "off"
    assert response.json()["choices"]["request_received"] == "immediate"
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "message"


async def test_notification_endpoints_are_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    assert "get" in paths["/api/v1/notifications"]
    assert "post" in paths["/api/v1/notifications/read"]
    assert {"get", "put"} <= set(paths["/api/v1/notifications/settings"])


# ---------------------------------------------------------------- street status prompts (issue 14)


def _selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    found = select and re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return found.group(1) if found else None


async def test_settings_page_asks_about_street_status_prompts_off_by_default_with_quiet_hours(client, alice):
    await sign_in(client, alice)

    html = (await client.get("/notifications/settings")).text

    assert _selected(html, "status_prompt") == "off"
    assert '<option value="app"' in html and "Yes, in the app only" in html
    assert (_selected(html, "quiet_start"), _selected(html, "quiet_end")) == ("22:00", "07:00")
    assert 'for="f-quiet_start"' in html and 'for="f-quiet_end"' in html


async def test_resident_opts_in_to_prompts_in_the_app_only_with_their_own_quiet_hours(client, alice):
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/settings",
                               {"status_prompt": "app", "quiet_start": "23:00", "quiet_end": "06:30"})

    assert response.status_code == 303
    saved = await queries.email_choices(alice.id)
    assert saved.delivery("status_prompt") == rules.APP
    assert saved.quiet == rules.QuietHours(datetime(2026, 1, 1, 23).time(), datetime(2026, 1, 1, 6, 30).time())
    html = (await client.get("/notifications/settings")).text
    assert (_selected(html, "status_prompt"), _selected(html, "quiet_start"), _selected(html, "quiet_end")) == (
        "app", "23:00", "06:30")


async def test_settings_form_refuses_a_made_up_quiet_hour_next_to_its_field(client, alice):
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/settings",
                               {"status_prompt": "immediate", "quiet_start": "25:00", "quiet_end": "07:00"})

    assert response.status_code == 422
    assert 'id="f-quiet_start-error"' in response.text
    assert (await queries.email_choices(alice.id)).delivery("status_prompt") == rules.OFF


async def test_api_reads_and_changes_quiet_hours(client, alice):
    headers = await api_token(client, alice)

    before = (await client.get("/api/v1/notifications/settings", headers=headers)).json()
    response = await client.put("/api/v1/notifications/settings", headers=headers, json={
        "choices": {"status_prompt": "app"}, "quiet_hours": {"start": "21:30", "end": "08:00"}})
    refused = await client.put("/api/v1/notifications/settings", headers=headers,
                               json={"quiet_hours": {"start": "9pm", "end": "08:00"}})

    assert before["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert response.status_code == 200, response.text
    assert response.json()["quiet_hours"] == {"start": "21:30", "end": "08:00"}
    assert response.json()["choices"]["status_prompt"] == "app"
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "quiet_start"
