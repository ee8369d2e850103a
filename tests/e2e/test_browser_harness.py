"""The browser harness itself: Chromium starts, the phone is a phone, screenshots are written,
and axe-core passes an accessible page and reports an inaccessible one.

Uses page.set_content, so it needs no running app.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from browser_support import axe_violations, check_axe, screenshot
from playwright.async_api import Page

PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


def html(body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Harness check</title>
</head>
<body>
  <main>{body}</main>
</body>
</html>"""


ACCESSIBLE = html(
    f"""<h1>Ladder to lend</h1>
    <img src="{PIXEL}" alt="An aluminium ladder" width="120" height="120">
    <p>Three metres, fine for gutters.</p>
    <button type="button">Ask to borrow</button>"""
)
INACCESSIBLE = html(
    f"""<h1>Ladder to lend</h1>
    <img src="{PIXEL}" width="120" height="120">
    <button type="button"></button>"""
)


def test_everything_here_is_marked_e2e(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("e2e") is not None


async def test_phone_is_a_small_touch_screen(phone: Page) -> None:
    await phone.set_content(ACCESSIBLE)
    width, ratio, touch = await phone.evaluate("[innerWidth, devicePixelRatio, navigator.maxTouchPoints > 0]")
    assert (width, ratio, touch) == (360, 2, True)


async def test_screenshot_is_a_full_page_png(phone: Page) -> None:
    await phone.set_content(ACCESSIBLE + '<div style="height: 2000px"></div>')
    path = await screenshot(phone, "harness/accessible page")
    data = path.read_bytes()
    assert path.name == "harness-accessible-page.png"
    assert path.parent.name == "screenshots" and path.parent.parent.name == "test-artifacts"
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 360 * 2
    assert height > 800 * 2  # the whole page, not just the viewport


async def test_accessible_page_passes_axe(phone: Page) -> None:
    await phone.set_content(ACCESSIBLE)
    await check_axe(phone)


async def test_inaccessible_page_fails_axe_naming_each_problem(phone: Page) -> None:
    await phone.set_content(INACCESSIBLE)
    assert {v["id"] for v in await axe_violations(phone)} >= {"image-alt", "button-name"}
    with pytest.raises(pytest.fail.Exception) as failure:
        await check_axe(phone)
    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "button-name (critical)" in message
    assert "<img" in message and "<button" in message


async def test_axe_rules_can_be_skipped_by_id(phone: Page) -> None:
    await phone.set_content(INACCESSIBLE)
    await check_axe(phone, skip_rules=["image-alt", "button-name"])


def test_the_open_browser_leaves_no_event_loop_running_for_other_tests(request: pytest.FixtureRequest) -> None:
    # Runs after the tests above, with the session's browser still open: sync tests and
    # pytest-asyncio tests elsewhere in the suite must still be able to run their own loops.
    request.getfixturevalue("browser")
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    assert asyncio.run(asyncio.sleep(0, result="ran")) == "ran"
