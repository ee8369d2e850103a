"""A loan end to end in two real browsers at phone size: Bob asks to borrow Alice's ladder, Alice
lends it and shares where to collect it, they talk, Bob gives it back and Alice confirms. The
emails that matter (the request, the yes) arrive at the local SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import browser_support as support
from browser_support import check_axe, screenshot
from support.cast import ELM_STREET, insert_offer, make_street, place_resident, quick_resident

from streetshare import clock, db, jobs
from streetshare.settings import Settings


async def sign_in(page, base, person):
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email").fill(person.email)
    await page.get_by_label("Password").fill(person.password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def send_queued_emails(live_server) -> int:
    """What the worker would do: send the email jobs, to the live server's SMTP server."""
    import streetshare.notifications.emails  # noqa: F401  (registers the email job handlers)

    settings = Settings(mode="development", base_url=live_server.url, smtp_host=live_server.mail.host,
                        smtp_port=live_server.mail.port, smtp_starttls=False, data_dir=live_server.data_dir,
                        secret_key="e2e-secret-key-that-is-long-enough-0123456789")
    return await jobs.run_ready(jobs.JobContext.of(settings))


async def test_a_borrower_and_a_lender_complete_a_loan_on_their_phones(browser, phone, live_server, live_mail):
    base = live_server.url
    street = await make_street("Elm Street", ELM_STREET)
    alice = await quick_resident("Alice")
    bob = await quick_resident("Bob")
    for person in (alice, bob):
        await place_resident(person, street)
    await db.execute("UPDATE resident SET home_address = '4 Elm Street, Huddersfield' WHERE id = $1", alice.id)
    ladder = await insert_offer(alice, street, kind="lend", title="Ladder, 3 metres", loan_days=7)

    borrower = phone
    lender_context = await browser.new_context(**support.PHONE, locale="en-GB", timezone_id="Europe/London")
    lender_context.set_default_timeout(10_000)
    lender = await lender_context.new_page()
    try:
        # Bob asks to borrow it, with dates and a message.
        await sign_in(borrower, base, bob)
        await borrower.goto(f"{base}/offers/{ladder}/request")
        due = (clock.now().date() + timedelta(days=5)).isoformat()
        await borrower.get_by_label("When would you bring it back?").fill(due)
        await borrower.get_by_label("A short message to Alice").fill("For the gutters, please. Saturday?")
        await screenshot(borrower, "exchanges-01-ask-to-borrow")
        await check_axe(borrower)
        await borrower.get_by_role("button", name="Ask to borrow").click()
        await borrower.wait_for_url(re.compile(r".*/exchanges/\d+\?did=request"))
        exchange_url = borrower.url.split("?")[0]
        assert "Waiting for an answer" in await borrower.locator(".state").inner_text()
        await screenshot(borrower, "exchanges-02-requested")
        await check_axe(borrower)

        # Alice finds it in My exchanges and says yes.
        await sign_in(lender, base, alice)
        await lender.goto(f"{base}/exchanges")
        await screenshot(lender, "exchanges-03-my-exchanges")
        await check_axe(lender)
        await lender.get_by_role("link", name=re.compile("Ladder, 3 metres")).click()
        await lender.wait_for_url(exchange_url)
        assert "For the gutters" in await lender.locator(".request-message").inner_text()
        await screenshot(lender, "exchanges-04-lender-sees-request")
        await check_axe(lender)
        await lender.get_by_role("button", name="Yes, lend it").click()
        await lender.get_by_role("status").wait_for()

        # She shares where to collect it, and hands it over.
        await lender.get_by_role("button", name="Share my address with Bob").click()
        await lender.get_by_role("status").wait_for()
        assert await lender.get_by_label("Due back on").input_value() == due
        await lender.get_by_role("button", name="I've handed it over").click()
        await lender.get_by_role("status").wait_for()
        assert "On loan" in await lender.locator(".state").inner_text()
        await screenshot(lender, "exchanges-05-handed-over")
        await check_axe(lender)

        # Bob sees the pickup address, writes, and gives it back.
        await borrower.goto(exchange_url)
        assert "4 Elm Street, Huddersfield" in await borrower.locator(".pickup-address").inner_text()
        await borrower.get_by_label("Message to Alice").fill("Thanks, all done with it!")
        await borrower.get_by_role("button", name="Send").click()
        await borrower.wait_for_url(re.compile(r".*#messages"))
        await borrower.get_by_role("button", name="I've given it back").click()
        await borrower.get_by_role("status").wait_for()
        await screenshot(borrower, "exchanges-06-given-back")
        await check_axe(borrower)

        # Alice confirms: the loan is complete, and the address is hidden again.
        await lender.goto(exchange_url)
        assert "Thanks, all done with it!" in await lender.locator(".thread").inner_text()
        await lender.get_by_role("button", name="It's back: confirm").click()
        await lender.get_by_role("status").wait_for()
        assert "Completed" in await lender.locator(".state").inner_text()
        assert await lender.locator(".pickup-address").count() == 0
        await screenshot(lender, "exchanges-07-completed")
        await check_axe(lender)
        await borrower.goto(exchange_url)
        assert await borrower.locator(".pickup-address").count() == 0
    finally:
        await lender_context.close()

    states = [r["action"] for r in await db.fetch("SELECT action FROM exchange_event ORDER BY id")]
    assert states == ["request", "accept", "share_pickup_address", "hand_over", "mark_returned", "confirm_return"]

    # The emails that matter arrive: Alice hears about the request, Bob hears the yes.
    assert await send_queued_emails(live_server) >= 2
    messages = await live_mail.wait_for(2)
    to = {(m["To"], m["Subject"]) for m in messages}
    assert any("alice@example.org" in t for t, _ in to), to
    assert any("bob@example.org" in t for t, _ in to), to
    for message in messages:
        body = message.get_body(("plain",)).get_content()
        assert "4 Elm Street" not in body and "@example.org" not in body


async def test_a_giver_chooses_between_three_neighbours_on_a_phone(phone, live_server):
    from streetshare.exchanges import service

    base = live_server.url
    street = await make_street("Elm Street", ELM_STREET)
    carol = await quick_resident("Carol")
    askers = [await quick_resident(name) for name in ("Alice", "Bob", "Joe")]
    for person in (carol, *askers):
        await place_resident(person, street)
    cot = await insert_offer(carol, street, kind="give", title="Baby cot with mattress", category="children")
    notes = ["For my grandson's visits.", "My sister is expecting in March.", ""]
    asked = [(await service.request_offer(cot, acting=p.id, message=m)).id for p, m in zip(askers, notes)]

    await sign_in(phone, base, carol)
    await phone.goto(f"{base}/exchanges/{asked[0]}")
    assert "Others who asked" in await phone.content()
    await screenshot(phone, "exchanges-08-give-away-request")
    await check_axe(phone)
    await phone.goto(f"{base}/offers/{cot}/requests")
    await screenshot(phone, "exchanges-09-choose-who-gets-it")
    await check_axe(phone)
    await phone.get_by_role("button", name="Give it to Bob").click()
    await phone.get_by_role("status").wait_for()
    states = {r["id"]: r["state"] for r in await db.fetch("SELECT id, state FROM exchange")}
    assert states == {asked[0]: "declined", asked[1]: "accepted", asked[2]: "declined"}
    await phone.goto(f"{base}/exchanges")
    await screenshot(phone, "exchanges-10-my-exchanges-after-choosing")
    await check_axe(phone)
