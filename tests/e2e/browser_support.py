"""Helpers for the browser tests: finding Chromium, screenshots, accessibility checks.

They use Playwright's async API, like the fixtures in conftest.py (see there for why).
pytest puts tests/e2e on sys.path (it holds a conftest.py), so e2e tests import it by name:

    from browser_support import check_axe, screenshot

    await screenshot(phone, "offer-form")
    await check_axe(phone)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

# Debian's package installs /usr/bin/chromium; Ubuntu-style systems use chromium-browser.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Quiet, self-contained and root-friendly (CI runs as root, where the sandbox cannot start).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A small phone held upright: what most residents use.
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 800},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Axe impacts that fail a test; "minor" and "moderate" findings are left to review.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def find_chromium() -> str | None:
    """The Chromium to drive: $CHROMIUM_PATH if set, else the first system install found."""
    configured = os.environ.get("CHROMIUM_PATH", "")
    if configured:
        return configured
    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)


async def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/screenshots/<name>.png and return its path."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "screenshot"
    path = SCREENSHOTS_DIR / (stem if stem.endswith(".png") else f"{stem}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    return path


async def axe_violations(
    page: Page,
    *,
    impacts: Iterable[str] = BLOCKING_IMPACTS,
    skip_rules: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its violations with the given impacts."""
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    skip = list(skip_rules)
    if skip:
        options["rules"] = {rule: {"enabled": False} for rule in skip}
    wanted = set(impacts)
    results = await Axe().run(page, options=options)
    return [v for v in results.response["violations"] if v.get("impact") in wanted]


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:160]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


async def check_axe(page: Page, *, skip_rules: Iterable[str] = ()) -> None:
    """Fail the test if axe-core finds any serious or critical accessibility violation.

    `skip_rules` turns off axe rules by id; say why wherever you use it.
    """
    violations = await axe_violations(page, skip_rules=skip_rules)
    if violations:
        pytest.fail(
            f"{len(violations)} serious or critical accessibility violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )
