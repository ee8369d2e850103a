"""On a phone: a resident asks to be asked "is yours off too?" (in the app only, with their own
quiet hours), and the street's coordinator reads its outages on the dashboard."""

from datetime import UTC, datetime, timedelta

from browser_support import check_axe, screenshot
from support.cast import make_resident, make_street, place_resident

from streetshare import db
from streetshare.notifications import queries as notifications


async def sign_in(page, base: str, person, next_path: str) -> None:
    await page.goto(f"{base}/signin?next={next_path}")
    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill(person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}{next_path}")


async def test_resident_opts_in_to_street_status_prompts_on_a_phone(phone, live_server):
    alice = await make_resident("Alice")
    await sign_in(phone, live_server.url, alice, "/notifications/settings")

    section = phone.locator("fieldset", has_text="Is it just me?")
    await section.scroll_into_view_if_needed()
    await screenshot(phone, "status-prompts-phone-01-settings")
    await check_axe(phone)
    await phone.get_by_label("Neighbours report a power cut").select_option("app")
    await phone.get_by_label("Quiet from").select_option("23:00")
    await phone.get_by_label("Quiet until").select_option("06:30")
    await phone.get_by_role("button", name="Save").click()
    await phone.wait_for_url("**/notifications/settings?saved=1")

    saved = await notifications.email_choices(alice.id)
    assert saved.delivery("status_prompt") == "app"
    assert (saved.quiet.start.hour, saved.quiet.end.hour, saved.quiet.end.minute) == (23, 6, 30)
    await screenshot(phone, "status-prompts-phone-02-saved")


async def test_coordinator_reads_the_streets_outages_on_a_phone(phone, live_server):
    carol = await make_resident("Carol")
    elm = await make_street("Elm Street", coordinator=carol)
    alice = await make_resident("Alice")
    await place_resident(alice, elm)
    now = datetime.now(UTC)
    for topic, days, minutes, homes in (("power", 11, 98, 9), ("power", 131, 225, 7), ("water", 47, 395, 11),
                                        ("bins", 24, 3 * 24 * 60, 6), ("broadband", 0, None, 4)):
        started = now - timedelta(days=days, hours=1)
        await db.execute(
            "INSERT INTO status_incident (street, topic, started_at, ended_at, ended_reason, homes, last_report_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $3)",
            elm.id, topic, started, started + timedelta(minutes=minutes) if minutes else None,
            ("timeout" if topic == "bins" else "back") if minutes else None, homes,
        )
    await sign_in(phone, live_server.url, carol, f"/streets/{elm.id}/dashboard")

    outages = phone.locator("#incidents-section")
    await outages.scroll_into_view_if_needed()
    text = " ".join((await outages.inner_text()).split())
    assert "Power cut" in text and "twice" in text and "Off now" in text
    await screenshot(phone, "status-prompts-phone-03-dashboard-outages")
    await check_axe(phone)
    async with phone.expect_download() as download:
        await phone.get_by_role("link", name="Download the street status history as CSV").click()
    assert (await download.value).suggested_filename.startswith("streetshare-elm-street-incidents-")
