"""A newcomer on a phone: sign up, sign out, sign in, forget the password and reset it by email."""

import re

from browser_support import check_axe, screenshot


async def test_sign_up_sign_out_sign_in_and_reset_password_on_a_phone(phone, live_server, live_mail):
    base = live_server.url
    await phone.goto(f"{base}/")
    await screenshot(phone, "accounts-01-home-signed-out")
    await check_axe(phone)

    await phone.get_by_role("link", name="Join your street").click()
    await phone.wait_for_url(f"{base}/signup")
    await phone.get_by_label("Your name").fill("Erin")
    await phone.get_by_label("Email").fill("erin@example.org")
    await phone.get_by_label("Password").fill("short")
    await phone.get_by_role("button", name="Create my account").click()
    error = phone.locator("#f-password-error")
    assert "at least 10 characters" in await error.inner_text()
    await screenshot(phone, "accounts-02-signup-error")
    await check_axe(phone)

    await phone.get_by_label("Password").fill("a long enough password")
    await phone.get_by_role("button", name="Create my account").click()
    await phone.wait_for_load_state()
    assert await phone.get_by_role("link", name="Erin").is_visible()
    await screenshot(phone, "accounts-03-signed-in")
    await check_axe(phone)
    # The signed-in header is two rows on a phone: the brand and the bell, then the three links.
    header = await phone.locator(".site-header").bounding_box()
    assert header["height"] < 3 * 44  # three rows of 44 px tap targets would be more

    await phone.get_by_role("link", name="Erin").click()
    await phone.get_by_role("button", name="Sign out", exact=True).click()
    await phone.wait_for_url(f"{base}/")
    await phone.goto(f"{base}/signin")
    await phone.get_by_label("Email").fill("ERIN@example.org")
    await phone.get_by_label("Password").fill("wrong password here")
    await phone.get_by_role("button", name="Sign in").click()
    assert "don't match" in await phone.locator(".alert.error").inner_text()
    await screenshot(phone, "accounts-04-signin-error")
    await check_axe(phone)

    await phone.get_by_role("link", name="Forgotten your password?").click()
    await phone.get_by_label("Email").fill("erin@example.org")
    await phone.get_by_role("button", name="Send me a link").click()
    await phone.get_by_role("status").wait_for()
    await screenshot(phone, "accounts-05-reset-sent")
    await check_axe(phone)

    messages = await live_mail.wait_for(1)
    body = messages[0].get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/password/reset\?token=\S+)", body).group(1)
    await phone.goto(link)
    await phone.get_by_label("New password").fill("my brand new password")
    await screenshot(phone, "accounts-06-reset-form")
    await check_axe(phone)
    await phone.get_by_role("button", name="Save my new password").click()
    await phone.wait_for_url(re.compile(r".*/signin\?reset=1"))

    await phone.get_by_label("Email").fill("erin@example.org")
    await phone.get_by_label("Password").fill("my brand new password")
    await phone.get_by_role("button", name="Sign in").click()
    await phone.wait_for_load_state()
    assert await phone.get_by_role("link", name="Erin").is_visible()

    await phone.goto(link)  # single use
    assert "expired or was already used" in await phone.locator(".alert.error").inner_text()
