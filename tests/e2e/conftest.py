"""Browser tests: headless system Chromium driven by Playwright.

Everything under tests/e2e is marked `e2e` (deselect with `-m "not e2e"`). Without a Chromium
these tests skip, saying how to install one, unless STREETSHARE_E2E_REQUIRED=1 (CI), where
they fail instead. Playwright never downloads a browser: it only launches the system one.

Fixtures: `browser` (one Chromium for the session) and `phone` (a fresh 360x800 touch page in
its own context per test). When a test using `phone` fails, a full-page screenshot is saved
as test-artifacts/screenshots/FAILED-<test>.png and named in the failure report.

Why the async API: Playwright's sync API leaves its own event loop marked as running on the
main thread for as long as the browser is open, so every pytest-asyncio test or fixture that
runs after it (database, services, a live server) fails with "cannot be called from a running
event loop". The async API shares pytest-asyncio's session loop instead, so e2e tests are
`async def` and can use the same async fixtures as the rest of the suite.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402

HERE = Path(__file__).resolve().parent
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def _load_support():
    """Register support.py as `e2e_support`: the name `support` is the tests/support package."""
    if "e2e_support" in sys.modules:
        return sys.modules["e2e_support"]
    spec = importlib.util.spec_from_file_location("e2e_support", HERE / "support.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e2e_support"] = module
    spec.loader.exec_module(module)
    return module


support = _load_support()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    chromium = support.find_chromium()
    if chromium is None or not os.access(chromium, os.X_OK):
        message = (
            f"no Chromium found (CHROMIUM_PATH={os.environ.get('CHROMIUM_PATH', '')!r}, "
            f"looked for {', '.join(support.CHROMIUM_CANDIDATES)}). To run the browser tests: "
            "apt-get install chromium (or set CHROMIUM_PATH to a Chromium binary)"
        )
        if os.environ.get("STREETSHARE_E2E_REQUIRED") == "1":
            pytest.fail(f"STREETSHARE_E2E_REQUIRED=1 but {message}", pytrace=False)
        pytest.skip(message)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=support.CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def phone(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A new page in its own context, sized and behaving like a small touch phone."""
    context = await browser.new_context(**support.PHONE, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    yield page
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed and not page.is_closed():
        try:
            path = await support.screenshot(page, f"FAILED-{request.node.name}")
        except Exception as exc:  # the page may be what broke; never hide the real failure
            report.sections.append(("screenshot", f"could not take one: {exc}"))
        else:
            report.sections.append(("screenshot", str(path)))
    await context.close()
