"""Is it just me? Two neighbours on phones (360 px): alice reports a power cut in two taps; bob's open
status page counts her home without a reload (server-sent events); bob says "mine's off too" and alice's
page shows 2 homes, live. The picker, status and gas pages are axe-clean at phone size."""

from browser_support import PHONE, check_axe, screenshot
from support.cast import ELM_STREET, make_street, place_resident, quick_resident
from test_notifications_journey import sign_in

from streetshare import db


async def _fits(page, name: str) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name} scrolls sideways at 360 px ({width} px)"


async def _live(page) -> None:
    """Wait until the page's event stream is open (its first event has arrived)."""
    await page.wait_for_selector('#status-live[data-live="open"]', state="attached", timeout=10_000)


async def test_two_neighbours_see_the_power_cut_count_move_live(phone, browser, live_server):
    base = live_server.url
    alice, bob, carol = [await quick_resident(n) for n in ("Alice", "Bob", "Carol")]
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm, home=(elm.lat + 0.0002, elm.lng))
    await place_resident(bob, elm, home=(elm.lat + 0.0004, elm.lng))
    status_url = f"{base}/streets/{elm.id}/status"

    bobs_context = await browser.new_context(**PHONE, locale="en-GB", timezone_id="Europe/London")
    bobs_context.set_default_timeout(10_000)
    bobs = await bobs_context.new_page()
    try:
        await sign_in(bobs, base, bob)
        await bobs.goto(status_url)
        assert await bobs.get_by_role("heading", name="Nothing reported").is_visible()
        await _live(bobs)
        await bobs.evaluate("window.notReloaded = true")
        await screenshot(bobs, "status-01-bob-all-clear")

        # Alice: home page -> "Something off?" -> "Power cut": two taps.
        await sign_in(phone, base, alice)
        await phone.goto(f"{base}/")
        await screenshot(phone, "status-00-alice-home")
        await phone.get_by_role("link", name="Something off?").click()
        await phone.get_by_role("heading", name="Something off?").wait_for()
        await screenshot(phone, "status-02-alice-picker")
        await check_axe(phone)
        await _fits(phone, "the picker")
        await phone.get_by_role("button", name="Power cut").click()
        power = phone.locator("#topic-power")
        await power.get_by_text("Just you so far.").wait_for()
        assert "#topic-power" in phone.url
        await screenshot(phone, "status-03-alice-just-you")
        await check_axe(phone)
        await _fits(phone, "the status page")

        # Bob's page counts her home, without a reload.
        await bobs.locator("#topic-power").get_by_text("1 home on Elm Street has said so.").wait_for()
        assert await bobs.evaluate("window.notReloaded === true")
        await screenshot(bobs, "status-04-bob-sees-one-home")

        # Bob: "Mine's off too". Alice's page moves to 2 homes, live.
        await _live(phone)
        await phone.evaluate("window.notReloaded = true")
        await bobs.locator("#topic-power").get_by_role("button", name="Mine's off too").click()
        await bobs.locator("#topic-power").get_by_text("2 homes on Elm Street: it's not just you.").wait_for()
        await power.get_by_text("2 homes on Elm Street: it's not just you.").wait_for()
        assert await phone.evaluate("window.notReloaded === true")
        await screenshot(phone, "status-05-alice-sees-two-homes")
        await check_axe(phone)

        # Gas: the advice and the number, nothing recorded.
        await phone.get_by_role("link", name="what to do now").click()
        await phone.get_by_role("heading", name="Smell gas? Call 0800 111 999 now").wait_for()
        assert await phone.get_by_role("link", name="Call 0800 111 999").get_attribute("href") == "tel:+448001119999"
        await screenshot(phone, "status-06-gas")
        await check_axe(phone)
        await _fits(phone, "the gas page")
        assert await db.fetchval("SELECT count(*) FROM status_incident") == 1
        assert await db.fetchval("SELECT count(*) FROM status_report") == 2
    finally:
        await bobs_context.close()
