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

import os
import sys
import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from support.smtp import CollectingHandler, SmtpServer, free_port

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402

HERE = Path(__file__).resolve().parent
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


import browser_support as support  # noqa: E402  (tests/e2e is on sys.path: pytest adds conftest folders)


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


@dataclass
class LiveServer:
    """The real app (uvicorn in its own process) on the test database, mail going to `mail`."""

    url: str
    mail: SmtpServer
    data_dir: Path


@pytest.fixture(scope="session")
def mail_catcher() -> Iterator[SmtpServer]:
    """A real SMTP server for the whole session (the live server is started once)."""
    host = "127.0.0.1"
    handler = CollectingHandler()
    controller = Controller(handler, hostname=host, port=free_port(host), ready_timeout=5)
    controller.start()
    try:
        yield SmtpServer(host, controller.port, handler)
    finally:
        controller.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live_server(database: str, mail_catcher: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("live-data")
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "e2e-secret-key-that-is-long-enough-0123456789",
        "BASE_URL": url,
        "STREETSHARE_MODE": "development",
        "STREETSHARE_DATA_DIR": str(data_dir),
        "STREETSHARE_GEOCODER": "fake",
        "SMTP_HOST": mail_catcher.host,
        "SMTP_PORT": str(mail_catcher.port),
        "SMTP_STARTTLS": "false",
        "LOG_LEVEL": "WARNING",
    }
    log_file = open(data_dir / "server.log", "wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "streetshare.asgi:app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-proxy-headers", env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                if process.returncode is not None:
                    break
                try:
                    if (await http.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the live server did not become ready in 20 s")
        if process.returncode is not None:
            raise RuntimeError(f"the live server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        yield LiveServer(url=url, mail=mail_catcher, data_dir=data_dir)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
        log_file.close()


@pytest_asyncio.fixture(loop_scope="session")
async def live_mail(live_server: LiveServer) -> SmtpServer:
    """The live server's mail, emptied for this test."""
    live_server.mail.messages.clear()
    live_server.mail.envelopes.clear()
    return live_server.mail
