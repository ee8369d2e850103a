"""What the benchmark loads: each page and API call, where to find it in the app, and whose requests.

A scenario names candidate route patterns ("{}" is a path parameter, "?q" a query parameter the
handler must accept); the first one present in the app's route table is measured, so pages that
other engineers are still building are reported as "not built yet" instead of failing the run.
To measure a new page, add a Scenario to SCENARIOS (and, if it needs new sample data, a field to
Sample and a query in bench/run.py's `sample`).
"""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import cycle
from urllib.parse import quote

from bench.generate import EMAIL_DOMAIN, PASSWORD

Request = tuple[str, str, dict[str, str], str | None]  # method, path, headers, body

GZIP = {"Accept-Encoding": "gzip"}
SEARCH_TERMS = ("ladder", "drill", "gazebo", "hedge trimmer", "pushchair", "tip run")


@dataclass
class User:
    id: int
    street: int
    session: str = ""
    api: str = ""
    csrf: str = ""  # a signed-in browser has been given the CSRF cookie on its first page

    def cookie(self) -> dict[str, str]:
        cookies = f"streetshare_session={self.session}" + (f"; streetshare_csrf={self.csrf}" if self.csrf else "")
        return {"Cookie": cookies, **GZIP}

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api}", "Accept": "application/json", **GZIP}


@dataclass
class Sample:
    """Who asks for what: chosen deterministically from the generated city by bench/run.py."""

    users: list[User] = field(default_factory=list)
    newest_titles: dict[int, set[str]] = field(default_factory=dict)  # street -> its newest offer titles
    offers: list[tuple[int, User]] = field(default_factory=list)  # an offer a user may see
    exchanges: list[tuple[int, User]] = field(default_factory=list)  # an exchange and one of its parties
    coordinators: list[tuple[int, User]] = field(default_factory=list)  # a street and its coordinator
    busiest: tuple[int, User] | None = None  # the street with the most members, and its coordinator
    residents: int = 0  # residents in the city (sign-in uses resident<n>@...)
    csrf: str = ""  # a CSRF cookie/token pair for the sign-in form
    signin_offset: int = 0
    neighbours: float = 0.0  # mean number of streets within a mile of the sampled residents' streets
    newest_at: datetime | None = None  # the newest offer's creation time
    newest_offers: dict[int, int] = field(default_factory=dict)  # street -> its newest active offer


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    group: str  # "web" or "api"
    candidates: tuple[str, ...]
    build: Callable[[Sample, str, int], list[Request]]
    method: str = "GET"
    expected: int = 200
    verify: Callable[[Sample, Request, str], bool] | None = None
    not_built_hint: str = ""
    no_data_hint: str = "nothing in the generated city to ask for"
    # Changes a second written to the sampled residents' streets while the page is loaded (bench/run.py's
    # `churn`): each one is an edit of a street's newest offer, so every feed page kept for that street is old.
    writes_per_s: float = 0.0


def _fill(template: str, value: object) -> str:
    return template.replace("{}", str(value), 1)


def _feed(s: Sample, t: str, _: int) -> list[Request]:
    return [("GET", t, u.cookie(), None) for u in s.users]


def _feed_lists_offers(s: Sample, request: Request, body: str) -> bool:
    """The page shows at least one of the newest offers of the resident's street (not a placeholder)."""
    user = next((u for u in s.users if u.session in request[2].get("Cookie", "")), None)
    titles = s.newest_titles.get(user.street, set()) if user else set()
    return any(html.escape(title) in body or title in body for title in titles)


def _feed_not_kept(s: Sample, t: str, run: int, n: int = 20000) -> list[Request]:
    """A later page ("More") at a cursor no other request of the run or of earlier runs repeats, so
    that the app's feed cache (src/streetshare/feed/cache.py) never holds it: what a feed page
    costs when it must be read from the database (the feed before the cache, plus filling it)."""
    from streetshare.feed.queries import RANK, Cursor

    if not s.users or s.newest_at is None:
        return []
    path = t.partition("?")[0]
    requests = []
    for k in range(run * n, (run + 1) * n):
        at = s.newest_at - timedelta(seconds=7 * k + 1)
        cursor = Cursor(at, RANK["offer"], 2**31 - 1).encode()
        user = s.users[k % len(s.users)]
        requests.append(("GET", f"{path}?cursor={cursor}", user.cookie(), None))
    return requests


def _search(s: Sample, t: str, _: int) -> list[Request]:
    path, _, param = t.partition("?")
    return [("GET", f"{path}?{param}={quote(term)}", u.cookie(), None) for u, term in zip(s.users, cycle(SEARCH_TERMS))]


def _offer(s: Sample, t: str, _: int) -> list[Request]:
    return [("GET", _fill(t, offer), u.cookie(), None) for offer, u in s.offers]


def _exchange(s: Sample, t: str, _: int) -> list[Request]:
    return [("GET", _fill(t, ex), u.cookie(), None) for ex, u in s.exchanges]


def _dashboard(s: Sample, t: str, _: int) -> list[Request]:
    return [("GET", _fill(t, street), u.cookie(), None) for street, u in s.coordinators]


def _busy_dashboard(s: Sample, t: str, _: int) -> list[Request]:
    if s.busiest is None:
        return []
    street, u = s.busiest
    return [("GET", _fill(t, street), u.cookie(), None)]


def _street(s: Sample, t: str, _: int) -> list[Request]:
    return [("GET", _fill(t, u.street), u.cookie(), None) for u in s.users]


def _signin_form(s: Sample, t: str, _: int) -> list[Request]:
    return [("GET", t, dict(GZIP), None)]


def _signin_people(s: Sample, run: int, n: int = 3000):
    """Different residents and client addresses for every request (the sign-in rate limits are per
    email and per address; the app trusts X-Forwarded-For as it would behind a reverse proxy)."""
    start = s.signin_offset + run * n
    for k in range(start, start + n):
        resident = k % s.residents + 1
        address = f"10.{(k >> 16) & 255}.{(k >> 8) & 255}.{k & 255}"
        yield f"resident{resident}@{EMAIL_DOMAIN}", address


def _signin(s: Sample, t: str, run: int) -> list[Request]:
    requests = []
    for email, address in _signin_people(s, run):
        body = f"_csrf_token={quote(s.csrf)}&email={quote(email)}&password={quote(PASSWORD)}&next=%2F"
        headers = {
            "Cookie": f"streetshare_csrf={s.csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": address,
            **GZIP,
        }
        requests.append(("POST", t, headers, body))
    return requests


def _api_token(s: Sample, t: str, run: int) -> list[Request]:
    requests = []
    for email, address in _signin_people(s, run):
        body = f'{{"email": "{email}", "password": "{PASSWORD}", "label": "bench"}}'
        headers = {"Content-Type": "application/json", "Accept": "application/json", "X-Forwarded-For": address, **GZIP}
        requests.append(("POST", t, headers, body))
    return requests


def _api(builder: Callable[[Sample, str, int], list[Request]]):
    """The same requests with the bearer token instead of the cookie."""

    def build(s: Sample, t: str, run: int) -> list[Request]:
        by_cookie = {u.cookie()["Cookie"]: u for u in _everyone(s)}
        return [(m, p, by_cookie[h["Cookie"]].bearer(), b) for m, p, h, b in builder(s, t, run)]

    return build


def _everyone(s: Sample) -> list[User]:
    people = list(s.users) + [u for _, u in s.offers + s.exchanges + s.coordinators]
    if s.busiest:
        people.append(s.busiest[1])
    return people


def _api_items(s: Sample, request: Request, body: str) -> bool:
    return '"items"' in body and '"items":[]' not in body.replace(" ", "")


DASHBOARDS = (
    "/streets/{}/dashboard", "/streets/{}/coordinate", "/streets/{}/coordinator", "/streets/{}/coordinators",
    "/streets/{}/activity", "/coordinate/{}", "/coordinator/{}", "/coordinators/{}", "/dashboard/{}",
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("feed", "Street feed (signed in)", "web", ("/feed", "/"), _feed, verify=_feed_lists_offers,
             not_built_hint="the home page does not list the street's offers yet"),
    Scenario("feed_churn", "Street feed while neighbours edit (5 changes a second)", "web", ("/feed", "/"), _feed,
             verify=_feed_lists_offers, writes_per_s=5.0),
    Scenario("feed_not_kept", "Street feed, a page not kept (each a new cursor)", "web", ("/?cursor",),
             _feed_not_kept, not_built_hint="the feed has no cursor"),
    Scenario("search", "Search", "web", ("/search?q", "/?q", "/feed?q"), _search),
    Scenario("offer", "Offer page", "web", ("/offers/{}",), _offer),
    Scenario("exchange", "Exchange page", "web", ("/exchanges/{}",), _exchange),
    Scenario("dashboard", "Coordinator dashboard", "web", DASHBOARDS, _dashboard),
    Scenario("dashboard_busiest", "Coordinator dashboard, busiest street", "web", DASHBOARDS, _busy_dashboard,
             no_data_hint="city size only (its oldest street has 2,000 residents and 50,000 exchanges)"),
    Scenario("street", "Street page", "web", ("/streets/{}",), _street),
    Scenario("status", "Street status page (issue 14)", "web", ("/streets/{}/status",), _street),
    Scenario("notifications", "Notifications", "web", ("/notifications",), _feed),
    Scenario("signin_form", "Sign-in form (GET)", "web", ("/signin",), _signin_form),
    Scenario("signin", "Sign in (POST, argon2)", "web", ("/signin",), _signin, method="POST", expected=303),
    Scenario("api_feed", "API feed", "api", ("/api/v1/feed",), _api(_feed), verify=_api_items),
    Scenario("api_search", "API search", "api", ("/api/v1/feed?q",), _api(_search)),
    Scenario("api_offer", "API offer", "api", ("/api/v1/offers/{}",), _api(_offer)),
    Scenario("api_exchange", "API exchange", "api", ("/api/v1/exchanges/{}",), _api(_exchange)),
    Scenario("api_activity", "API street activity", "api", ("/api/v1/streets/{}/activity",), _api(_dashboard)),
    Scenario("api_street", "API street", "api", ("/api/v1/streets/{}",), _api(_street)),
    Scenario("api_status", "API street status", "api", ("/api/v1/streets/{}/status",), _api(_street)),
    Scenario("api_me", "API me", "api", ("/api/v1/me",), _api(_feed)),
    Scenario("api_token", "API token (POST, argon2)", "api", ("/api/v1/auth/token",), _api_token, method="POST"),
)


# ---------------------------------------------------------------- the app's route table


@dataclass(frozen=True)
class Route:
    pattern: str  # path parameters as "{}"
    path: str  # as the app declares it
    methods: frozenset[str]
    parameters: frozenset[str]


def route_table() -> list[Route]:
    """Every route of the app as it is in this working tree."""
    from streetshare.app import create_app
    from streetshare.settings import Settings

    app = create_app(Settings(), manage_pool=False)
    routes = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = frozenset(getattr(handler, "http_methods", None) or ())
            try:
                parameters = frozenset(inspect.signature(handler.fn).parameters)
            except (TypeError, ValueError):
                parameters = frozenset()
            routes.append(Route(re.sub(r"\{[^}]*\}", "{}", route.path), route.path, methods, parameters))
    return routes


def resolve(scenario: Scenario, routes: list[Route]) -> str | None:
    """The first candidate the app serves, as a path template ("{}" for the id, "?q" kept), or None."""
    for candidate in scenario.candidates:
        pattern, _, param = candidate.partition("?")
        for route in routes:
            if route.pattern != pattern or scenario.method not in route.methods:
                continue
            if param and param not in route.parameters:
                continue
            return candidate
    return None
