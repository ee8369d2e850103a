"""A resident on a phone opts in to the evening round-up of new offers and asks on their street,
and later finds it in their notifications with a link to each new post."""

from browser_support import check_axe, screenshot

from streetshare.notifications import notify
from support.cast import quick_resident

from test_notifications_journey import sign_in


async def test_street_roundup_opt_in_and_the_roundup_in_the_list_on_a_phone(phone, live_server):
    base = live_server.url
    alice = await quick_resident("Alice")

    await sign_in(phone, base, alice)
    await phone.goto(f"{base}/notifications/settings")
    roundup = phone.get_by_label("A round-up of new offers and asks on your street, once a day")
    assert await roundup.input_value() == "off", "opt-in"
    await roundup.select_option("daily")
    await screenshot(phone, "notifications-news-01-settings")
    await check_axe(phone)
    await phone.get_by_role("button", name="Save").click()
    await phone.get_by_role("status").wait_for()
    assert await roundup.input_value() == "daily"

    await notify(alice.id, "street_news", text="New on your street: 1 offer and 1 ask", url="/", details=[
        {"type": "offer", "title": "Step ladder, 6 treads", "url": "/notifications/settings"},
        {"type": "ask", "title": "Could someone mow my lawn while I'm away?", "url": "/notifications/settings"},
    ])
    await phone.goto(f"{base}/notifications")
    assert await phone.get_by_role("link", name="Step ladder, 6 treads").is_visible()
    await screenshot(phone, "notifications-news-02-list")
    await check_axe(phone)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
