"""A newcomer on a phone finds their street: by postcode, or by "use my location"; then joins or starts one."""

from __future__ import annotations

import re

import browser_support as support
from browser_support import check_axe, screenshot
from support.cast import ELM_STREET, OAK_ROAD, make_street

from streetshare import clock, db

# Huddersfield Railway Station: about 300 m north of Elm Street's centre.
STATION = {"latitude": 53.6486, "longitude": -1.7848}


async def _sign_up(page, base: str, name: str, email: str) -> None:
    await page.goto(f"{base}/signup")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("a long enough password")
    await page.get_by_role("button", name="Create my account").click()


async def test_newcomer_uses_a_postcode_joins_a_street_and_sees_it(phone, live_server):
    base = live_server.url
    await make_street("Elm Street", ELM_STREET)
    await make_street("Oak Road", OAK_ROAD)

    await _sign_up(phone, base, "Erin", "erin@example.org")
    await phone.wait_for_url(f"{base}/places/home")
    assert await phone.get_by_role("heading", name="Where do you live?").is_visible()
    assert await phone.get_by_role("button", name="Use my location").is_visible()  # location.js showed it
    await screenshot(phone, "places-01-where-do-you-live")
    await check_axe(phone)

    await phone.get_by_label("Postcode or address").fill("Nowhere Lane ZZ9")
    await phone.get_by_role("button", name="Find my street").click()
    await phone.locator("#f-address-error").wait_for()
    assert "couldn't find that address" in await phone.locator("#f-address-error").inner_text()
    assert "use your location" in (await phone.locator("#address").inner_text()).lower()
    await screenshot(phone, "places-02-address-not-found")
    await check_axe(phone)

    await phone.get_by_label("Postcode or address").fill("HD1 2QA")
    await phone.get_by_role("button", name="Find my street").click()
    await phone.wait_for_url(f"{base}/streets/nearby?home=set")
    rows = phone.locator(".street-row")
    assert await rows.count() == 2
    assert "Elm Street" in await rows.nth(0).inner_text()
    assert "about 100 m away" in await rows.nth(0).inner_text()
    await screenshot(phone, "places-03-streets-near-you")
    await check_axe(phone)

    await phone.get_by_role("button", name="Join Elm Street").click()
    await phone.wait_for_url(re.compile(r".*/streets/\d+\?joined=1"))
    assert await phone.get_by_role("heading", name="Elm Street").is_visible()
    assert "Welcome to Elm Street!" in await phone.get_by_role("status").inner_text()
    await screenshot(phone, "places-04-my-street")
    await check_axe(phone)

    await phone.goto(f"{base}/")
    assert "Elm Street" in await phone.locator("main").inner_text()
    await screenshot(phone, "places-05-home-with-my-street")
    await phone.get_by_role("link", name="My street").click()
    await phone.wait_for_url(re.compile(r".*/streets/\d+$"))
    await phone.get_by_label("My street only").check()
    await phone.get_by_role("button", name="Save").click()
    await phone.wait_for_url(re.compile(r".*/streets/\d+\?saved=1"))
    assert await phone.get_by_label("My street only").is_checked()


async def test_newcomer_uses_their_location_and_starts_a_street(browser, live_server):
    base = live_server.url
    await make_street("Elm Street", ELM_STREET)
    context = await browser.new_context(**support.PHONE, locale="en-GB", timezone_id="Europe/London",
                                        geolocation=STATION, permissions=["geolocation"])
    context.set_default_timeout(10_000)
    phone = await context.new_page()
    try:
        await _sign_up(phone, base, "Femi", "femi@example.org")
        await phone.wait_for_url(f"{base}/places/home")
        await phone.get_by_role("button", name="Use my location").click()
        await phone.wait_for_url(f"{base}/streets/nearby?home=set")
        assert "about 300 m away" in await phone.locator(".street-row").first.inner_text()
        home = await db.fetchrow("SELECT home_lat, home_lng, home_address FROM resident WHERE email = 'femi@example.org'")
        assert (home["home_lat"], home["home_lng"], home["home_address"]) == (53.6486, -1.7848, None)
        await screenshot(phone, "places-06-located")

        await phone.get_by_role("link", name="Start a new street").click()
        await phone.wait_for_url(f"{base}/streets/new")
        await screenshot(phone, "places-07-new-street")
        await check_axe(phone)
        await phone.get_by_label("Street name").fill("Station Terrace")
        await phone.get_by_label("How far it reaches, in metres").fill("150")
        await phone.get_by_role("button", name="Start this street").click()
        await phone.locator("#f-radius_m-error").wait_for()
        assert "between 200 m and 2 km" in await phone.locator("#f-radius_m-error").inner_text()
        await screenshot(phone, "places-08-new-street-error")
        await check_axe(phone)

        await phone.get_by_label("How far it reaches, in metres").fill("500")
        await phone.get_by_role("button", name="Start this street").click()
        await phone.wait_for_url(re.compile(r".*/streets/\d+\?created=1"))
        assert await phone.get_by_text("You coordinate this street").is_visible()
        await screenshot(phone, "places-09-new-street-created")
        await check_axe(phone)
    finally:
        await context.close()


async def test_location_refused_points_to_the_postcode(browser, live_server):
    base = live_server.url
    context = await browser.new_context(**support.PHONE, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    phone = await context.new_page()
    try:
        await _sign_up(phone, base, "Gus", "gus@example.org")
        await phone.wait_for_url(f"{base}/places/home")
        await phone.get_by_role("button", name="Use my location").click()  # no permission: the browser says no
        status = phone.locator("#locate-status.error")
        await status.wait_for()
        assert "Type your postcode" in await status.inner_text()
        await screenshot(phone, "places-10-location-refused")
        await check_axe(phone)
    finally:
        await context.close()


async def test_ambiguous_address_and_an_invite_link(phone, live_server):
    base = live_server.url
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("INSERT INTO street_invite (street, code, created_at) VALUES ($1, 'elm-e2e', $2)", elm.id,
                     clock.now())

    await phone.goto(f"{base}/join/elm-e2e")
    assert await phone.get_by_role("heading", name="You're invited to Elm Street").is_visible()
    await screenshot(phone, "places-11-invite-signed-out")
    await check_axe(phone)
    await phone.get_by_role("link", name="Create my account").click()
    await phone.get_by_label("Your name").fill("Hal")
    await phone.get_by_label("Email").fill("hal@example.org")
    await phone.get_by_label("Password").fill("a long enough password")
    await phone.get_by_role("button", name="Create my account").click()
    await phone.wait_for_url(f"{base}/join/elm-e2e")
    await phone.get_by_role("button", name="Join Elm Street").click()
    await phone.wait_for_url(re.compile(r".*/streets/\d+\?joined=1"))
    await screenshot(phone, "places-12-joined-by-invite")
    await check_axe(phone)

    await phone.get_by_role("link", name="Set where I live").click()
    await phone.get_by_label("Postcode or address").fill("High Street")
    await phone.get_by_role("button", name="Find my street").click()
    await phone.get_by_text("Which one is yours?").wait_for()
    await screenshot(phone, "places-13-pick-your-place")
    await check_axe(phone)
    await phone.get_by_label("High Street, Huddersfield HD1 2LS").check()
    await phone.get_by_role("button", name="This is where I live").click()
    await phone.wait_for_url(re.compile(r".*/streets/\d+$"))
