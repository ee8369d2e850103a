"""Thanks on a phone: after a completed loan Bob thanks Alice from the exchange page, and the note is on
her profile; Alice sees it and thanks him back; Carol, who coordinates Elm Street, sees Bob's private
record on his profile, which Alice does not."""

from __future__ import annotations

import re
from datetime import timedelta

import browser_support as support
from browser_support import check_axe, screenshot
from support.cast import ELM_STREET, insert_offer, make_street, place_resident, quick_resident

from streetshare import clock, db
from streetshare.exchanges import service as exchanges


async def sign_in(page, base, person):
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill(person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def completed_loan(offer, lender, borrower, *, late: bool) -> int:
    start = clock.now() - timedelta(days=12 if late else 6)
    with clock.frozen_at(start):
        ex = (await exchanges.request_offer(offer, acting=borrower.id, message="For the gutters, please")).id
        await exchanges.accept(ex, acting=lender.id)
        await exchanges.hand_over(ex, acting=lender.id, due_back=(start + timedelta(days=2)).date())
    with clock.frozen_at(start + timedelta(days=4 if late else 1)):
        await exchanges.mark_returned(ex, acting=borrower.id)
        await exchanges.confirm_return(ex, acting=lender.id)
    return ex


async def test_a_borrower_thanks_the_lender_and_it_shows_on_her_profile(browser, phone, live_server):
    base = live_server.url
    carol = await quick_resident("Carol")
    street = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    alice = await quick_resident("Alice")
    bob = await quick_resident("Bob")
    for person in (alice, bob):
        await place_resident(person, street)
    ladder = await insert_offer(alice, street, kind="lend", title="Ladder, 3 metres", loan_days=7)
    await completed_loan(ladder, alice, bob, late=True)
    ex = await completed_loan(ladder, alice, bob, late=False)

    # Bob opens the completed loan and says thanks.
    await sign_in(phone, base, bob)
    await phone.goto(f"{base}/exchanges/{ex}")
    await screenshot(phone, "thanks-00-completed-exchange")
    await check_axe(phone)
    await phone.get_by_role("link", name="Say thanks to Alice").click()
    await phone.wait_for_url(f"{base}/exchanges/{ex}/thanks")
    await phone.get_by_label("A few words for Alice").fill("Perfect for the gutters. Thank you, Alice!")
    await screenshot(phone, "thanks-01-form")
    await check_axe(phone)
    await phone.get_by_role("button", name="Say thanks").click()
    await phone.wait_for_url(re.compile(rf".*/residents/{alice.id}\?did=thanks#thanks"))
    assert "Your note is on Alice's profile" in await phone.get_by_role("status").inner_text()
    assert "Perfect for the gutters. Thank you, Alice!" in await phone.locator(".thanks-notes").inner_text()
    await screenshot(phone, "thanks-02-on-alices-profile")
    await check_axe(phone)

    # Alice sees it on her own profile, and thanks Bob back.
    context = await browser.new_context(**support.PHONE, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    lender = await context.new_page()
    try:
        await sign_in(lender, base, alice)
        await lender.goto(f"{base}/residents/{alice.id}")
        assert "Perfect for the gutters" in await lender.locator(".thanks-notes").inner_text()
        figures = await lender.locator(".reputation").inner_text()
        assert re.search(r"Lent, gave or helped\s+2 times", figures), figures
        await lender.goto(f"{base}/exchanges/{ex}/thanks")
        assert "Bob thanked you" in await lender.locator(".thanks-page").inner_text()
        await lender.get_by_label("A few words for Bob").fill("Brought back spotless. Any time, Bob.")
        await lender.get_by_role("button", name="Say thanks").click()
        await lender.wait_for_url(re.compile(rf".*/residents/{bob.id}\?did=thanks#thanks"))
        page = await lender.content()
        assert "returned on time 1 of 2" in page
        assert "late return" not in page and "For coordinators" not in page  # the hint is not for neighbours
        await screenshot(lender, "thanks-03-bobs-profile-for-a-neighbour")
        await check_axe(lender)
    finally:
        await context.close()

    # Carol coordinates Elm Street: she sees Bob's recent record, kindly worded.
    coordinator = await browser.new_context(**support.PHONE, locale="en-GB", timezone_id="Europe/London")
    coordinator.set_default_timeout(10_000)
    page = await coordinator.new_page()
    try:
        await sign_in(page, base, carol)
        await page.goto(f"{base}/residents/{bob.id}")
        hint = await page.locator(".coordinator-only").inner_text()
        assert "1 late return in the last 6 months" in hint
        await screenshot(page, "thanks-04-bobs-profile-for-his-coordinator")
        await check_axe(page)
    finally:
        await coordinator.close()

    assert await db.fetchval("SELECT count(*) FROM thanks WHERE exchange = $1", ex) == 2
