"""A resident on a phone sees the unread badge, reads their notifications, chooses what is
emailed, and unsubscribes from a link in an email."""

from browser_support import check_axe, screenshot

from streetshare.notifications import notify, rules
from support.cast import quick_resident

E2E_SECRET = "e2e-secret-key-that-is-long-enough-0123456789"  # the live server's SECRET_KEY


async def sign_in(phone, base, person):
    await phone.goto(f"{base}/signin")
    await phone.get_by_label("Email").fill(person.email)
    await phone.get_by_label("Password").fill(person.password)
    await phone.get_by_role("button", name="Sign in").click()
    await phone.wait_for_load_state()


async def test_notifications_badge_list_settings_and_unsubscribe_on_a_phone(phone, live_server):
    base = live_server.url
    alice = await quick_resident("Alice")
    bob = await quick_resident("Bob")
    await notify(alice.id, "request_received", actor_id=bob.id, text="Bob asked to borrow your ladder",
                 url="/notifications/settings")
    await notify(alice.id, "message", actor_id=bob.id, text="Bob: would Saturday morning suit you?",
                 url="/notifications/settings")

    await sign_in(phone, base, alice)
    bell = phone.get_by_role("link", name="Notifications 2 unread")
    assert await bell.is_visible()
    await screenshot(phone, "notifications-01-badge")

    await bell.click()
    await phone.wait_for_url(f"{base}/notifications")
    assert await phone.get_by_role("link", name="New: Bob asked to borrow your ladder").is_visible()
    assert await phone.get_by_role("link", name="Notifications", exact=True).is_visible(), "badge gone once read"
    await screenshot(phone, "notifications-02-list")
    await check_axe(phone)

    await phone.get_by_role("link", name="Email settings").click()
    await phone.get_by_label("A new message in one of your exchanges").select_option("immediate")
    await phone.get_by_label("Someone asks for something you offer, or offers to help").select_option("daily")
    await screenshot(phone, "notifications-03-settings")
    await check_axe(phone)
    await phone.get_by_role("button", name="Save").click()
    await phone.get_by_role("status").wait_for()
    assert await phone.get_by_label("A new message in one of your exchanges").input_value() == "immediate"

    token = rules.unsubscribe_token(E2E_SECRET, alice.id, "message")
    await phone.goto(f"{base}/unsubscribe/{token}")
    await screenshot(phone, "notifications-04-unsubscribe")
    await check_axe(phone)
    await phone.get_by_role("button", name="Stop these emails").click()
    assert "stopped" in await phone.get_by_role("status").inner_text()
    await screenshot(phone, "notifications-05-unsubscribed")
    await phone.goto(f"{base}/notifications/settings")
    assert await phone.get_by_label("A new message in one of your exchanges").input_value() == "off"
