"""Demo data: loaded once (idempotent), so `streetshare demo` shows a lively street."""

from __future__ import annotations

from dataclasses import dataclass

from streetshare import db
from streetshare.accounts import service as accounts
from streetshare.asks.demo import seed_asks
from streetshare.exchanges.demo import seed_exchanges
from streetshare.offers.demo import seed_offers
from streetshare.places.demo import seed_places
from streetshare.reputation.demo import seed_thanks
from streetshare.settings import Settings
from streetshare.coordinators.demo import seed_coordinator_demo
from streetshare.status.demo import seed_status_demo

DEMO_PASSWORD = "streetshare-demo"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: str
    password: str = DEMO_PASSWORD


CAST = [
    DemoAccount("carol@demo.streetshare.local", "Carol", "coordinator of Elm Street"),
    DemoAccount("alice@demo.streetshare.local", "Alice", "lends a ladder and a drill"),
    DemoAccount("bob@demo.streetshare.local", "Bob", "borrows things, does tip runs"),
    DemoAccount("dave@demo.streetshare.local", "Dave", "lives across town"),
]


async def ensure_resident(account: DemoAccount) -> int:
    existing = await db.fetchval("SELECT id FROM resident WHERE email = $1", account.email)
    if existing:
        return existing
    created = await accounts.sign_up(email=account.email, password=account.password, display_name=account.display_name)
    return created.id


async def seed(settings: Settings) -> list[DemoAccount]:
    """Create whatever of the demo world is missing. Safe to run on every start."""
    for account in CAST:
        await ensure_resident(account)
    await seed_places(settings)
    await seed_offers(settings)
    await seed_asks(settings)
    await seed_exchanges()  # after offers and asks: it plays stories about them
    await seed_thanks()  # after exchanges: thanks on the completed ones
    await seed_coordinator_demo(settings)  # backdated history for Carol's dashboard
    await seed_status_demo(settings)  # after the coordinator demo's neighbours: a live power cut on Elm Street
    return CAST


def banner(settings: Settings, accounts: list[DemoAccount]) -> str:
    width = max(len(a.email) for a in accounts)
    lines = [
        "",
        "Streetshare demo",
        f"  Open {settings.base_url} in your browser (Ctrl-C stops it; the data is kept in {settings.data_dir}).",
        f"  Sign in as any of these, password: {DEMO_PASSWORD}",
        *[f"    {a.email.ljust(width)}  {a.display_name}: {a.role}" for a in accounts],
        f"  Emails (password resets...) land in {settings.base_url}/demo/outbox",
        "",
    ]
    return "\n".join(lines)
