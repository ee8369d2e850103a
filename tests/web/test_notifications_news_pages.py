"""Hearing about new things, on the pages: opting in to the street round-up on the settings page,
and the round-up's posts in the notifications list."""

from __future__ import annotations

import re

from streetshare.notifications import notify, queries, rules
from support.cast import post_form, sign_in


def options_of(html: str, name: str) -> list[str]:
    select = re.search(rf'<select id="f-{name}" name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="(\w+)"', select.group(1))


async def test_settings_page_offers_the_street_roundup_first_as_daily_or_off(client, alice):
    await sign_in(client, alice)

    html = (await client.get("/notifications/settings")).text

    assert options_of(html, "street_news") == ["daily", "off"]
    assert options_of(html, "ask_matches_offer") == ["immediate", "daily", "off"]
    assert options_of(html, "message") == ["immediate", "daily", "off"]
    assert html.index('name="street_news"') < html.index('name="request_received"')
    off = r'<select id="f-street_news"[^>]*>.*?<option value="off" selected>No round-up<'
    assert re.search(off, html, re.S), "the round-up is opt-in"


async def test_resident_opts_in_to_the_street_roundup_and_out_again(client, alice):
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/settings", {"street_news": "daily"})
    assert response.status_code == 303
    assert (await queries.email_choices(alice.id)).delivery("street_news") == rules.DAILY
    html = (await client.get("/notifications/settings?saved=1")).text
    assert re.search(r'<select id="f-street_news"[^>]*>.*?<option value="daily" selected>', html, re.S)

    await post_form(client, "/notifications/settings", {"street_news": "off"})
    assert (await queries.email_choices(alice.id)).delivery("street_news") == rules.OFF


async def test_settings_form_refuses_a_street_roundup_email_per_post(client, alice):
    await sign_in(client, alice)

    response = await post_form(client, "/notifications/settings", {"street_news": "immediate"})

    assert response.status_code == 422
    assert 'id="f-street_news-error"' in response.text
    assert (await queries.email_choices(alice.id)).delivery("street_news") == rules.OFF


async def test_roundup_in_the_list_links_each_new_post(client, alice):
    await notify(alice.id, "street_news", text="New on your street: 1 offer and 1 ask", url="/", details=[
        {"type": "offer", "title": "Step <ladder>", "url": "/offers/3"},
        {"type": "ask", "title": "Anyone got a drill?", "url": "/asks/4"},
    ])
    await sign_in(client, alice)

    html = (await client.get("/notifications")).text

    assert "New on your street: 1 offer and 1 ask" in html
    assert '<a href="/offers/3">Step &lt;ladder&gt;</a>' in html and '<a href="/asks/4">Anyone got a drill?</a>' in html
