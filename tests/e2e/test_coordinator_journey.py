"""A coordinator looks after Elm Street, on a phone and on a laptop: the dashboard at a glance, the
unmet asks, a printed flyer whose QR code a phone can read, and a report handled."""

import io
from datetime import UTC, datetime, timedelta

import zxingcpp
from browser_support import check_axe, screenshot
from PIL import Image
from support.cast import history_ask, history_exchange, history_offer, make_resident, make_street, place_resident

from streetshare import db
from streetshare.moderation import service as moderation

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}


async def elm_street_with_history():
    carol = await make_resident("Carol")
    alice = await make_resident("Alice")
    bob = await make_resident("Bob")
    elm = await make_street("Elm Street", coordinator=carol)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    now = datetime.now(UTC)
    await db.execute("UPDATE street SET created_at = $2 WHERE id = $1", elm.id, now - timedelta(weeks=20))
    for week in range(12):
        offer = await history_offer(alice if week % 2 else bob, elm, kind="lend",
                                    title=f"Thing {week}", created_at=now - timedelta(weeks=week, days=2))
        await history_exchange(provider=alice if week % 2 else bob, recipient=bob if week % 2 else alice, offer=offer,
                               state="completed" if week % 3 else "declined",
                               requested_at=now - timedelta(weeks=week, days=1), completed_at=now - timedelta(weeks=week))
    await history_ask(bob, elm, title="Lift to the hospital on Tuesday", created_at=now - timedelta(days=15))
    await history_ask(alice, elm, title="Long-reach loppers", created_at=now - timedelta(days=9))
    sofa = await history_offer(alice, elm, title="Sofa for £50")
    await moderation.report(acting=bob.id, target_kind="offer", target_id=sofa, reason="This one is for sale")
    return carol, elm


async def journey(page, base: str, size: str) -> None:
    carol, elm = await elm_street_with_history()
    await page.goto(f"{base}/signin?next=/coordinate")
    await page.get_by_label("Email").fill(carol.email)
    await page.get_by_label("Password").fill(carol.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/streets/{elm.id}/dashboard")

    # The street at a glance
    assert await page.get_by_role("heading", name="Elm Street", exact=True).is_visible()
    assert await page.get_by_role("img", name="Exchanges started and completed each month").count() == 0
    assert await page.locator("svg.chart").count() == 2
    await screenshot(page, f"coordinator-{size}-01-dashboard")
    await check_axe(page)

    # The unmet asks, oldest first, with a text for the group chat
    unmet = page.locator("section[aria-labelledby=unmet]")
    await unmet.scroll_into_view_if_needed()
    titles = await unmet.locator(".unmet-ask strong").all_inner_texts()
    assert titles == ["Lift to the hospital on Tuesday", "Long-reach loppers"]
    assert "Waiting 2 weeks" in await unmet.inner_text()
    assert "Lift to the hospital" in await page.locator("#unmet-share").input_value()
    await page.get_by_text("Show the numbers as a table").click()
    assert await page.locator("table.data tbody tr").count() >= 4  # the weeks of the last 30 days
    await page.get_by_role("link", name="Last 12 weeks").click()
    await page.wait_for_url("**period=12w")
    await screenshot(page, f"coordinator-{size}-02-dashboard-12-weeks")

    # A flyer with a QR code a phone can read
    await page.get_by_role("link", name="Flyer", exact=True).click()
    await page.get_by_role("button", name="Make a flyer").click()
    await page.wait_for_url("**/flyer?code=*")
    code = (await page.locator(".flyer-code").inner_text()).strip()
    await screenshot(page, f"coordinator-{size}-03-flyer")
    await check_axe(page)
    shot = await page.locator(".flyer-qr").screenshot()
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert found.text == f"{base}/join/{code}"
    await page.emulate_media(media="print")
    await screenshot(page, f"coordinator-{size}-04-flyer-print")
    assert not await page.locator(".site-header").is_visible()
    await page.emulate_media(media="screen")
    await page.goto(f"{base}/join?code={code.lower()}")  # typed by hand from the flyer
    await page.wait_for_url(f"{base}/join/{code}")

    # A report handled: the offer is hidden, with a reason, and the log says who did it
    await page.goto(f"{base}/streets/{elm.id}/reports")
    assert "This one is for sale" in await page.locator(".report").first.inner_text()
    await screenshot(page, f"coordinator-{size}-05-reports")
    await check_axe(page)
    await page.get_by_role("link", name="Hide it").click()
    await page.get_by_label("Reason (the owner sees it)").fill("Streetshare is for free sharing, no selling please")
    await check_axe(page)
    await page.get_by_role("button", name="Hide it").click()
    await page.wait_for_url("**/reports?status=acted_on")
    assert "Hidden: Streetshare is for free sharing" in await page.locator(".report").first.inner_text()
    await screenshot(page, f"coordinator-{size}-06-report-acted-on")
    await page.get_by_role("link", name="Log").click()
    log = " ".join((await page.locator(".log").inner_text()).split())
    assert "Carol hid Sofa for £50" in log and "Carol acted on report" in log
    await screenshot(page, f"coordinator-{size}-07-log")
    await check_axe(page)

    # Growing the street: an invite link with share text
    await page.get_by_role("link", name="Invite", exact=True).click()
    await page.get_by_label("For how many people (optional)").fill("10")
    await page.get_by_role("button", name="Make a link").click()
    await page.wait_for_url("**/invites?created=*")
    assert "/join/" in await page.locator("#invite-share").input_value()
    await screenshot(page, f"coordinator-{size}-08-invites")
    await check_axe(page)

    await page.goto(f"{base}/streets/{elm.id}/members")
    await screenshot(page, f"coordinator-{size}-09-members")
    await check_axe(page)


async def test_coordinator_looks_after_the_street_on_a_phone(phone, live_server):
    await journey(phone, live_server.url, "phone")


async def test_coordinator_looks_after_the_street_on_a_laptop(browser, live_server):
    context = await browser.new_context(**DESKTOP, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    try:
        await journey(page, live_server.url, "desktop")
    except Exception:
        await screenshot(page, "FAILED-coordinator-desktop")
        raise
    finally:
        await context.close()
