"""An id that cannot exist (0, negative, or beyond PostgreSQL's integer: 2,147,483,647) in a path is a 404 on
every route, pages, API and media alike, never a 500. The routes come from the app's own route table, so a
route added later is checked too.
"""

from __future__ import annotations

import re

import pytest
from support.cast import api_token, csrf_token, sign_in

from streetshare.app import create_app

# Just past PostgreSQL's integer; far past a 64-bit one; zero; negative.
BAD_IDS = ["2147483648", "99999999999999999999", "0", "-1"]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def routes_with_int_ids(settings) -> list[tuple[str, str]]:
    """(method, path template) for every route of the app with an int path parameter."""
    app = create_app(settings, manage_pool=False)
    found = []
    for route in app.routes:
        if not any(param.type is int for param in route.path_parameters.values()):
            continue
        for method in sorted(set(route.methods) & set(METHODS)):
            found.append((method, route.path))
    return found


def fill(template: str, bad: str) -> str:
    """Every int parameter gets the bad id; other parameters a harmless word."""
    path = re.sub(r"{[^}:]+:int}", bad, template)
    return re.sub(r"{[^}:]+:[a-z]+}", "x.jpg", path)


async def test_the_route_table_has_the_routes_with_ids(settings):
    routes = routes_with_int_ids(settings)

    # Pages, the API and media: the walk below is not vacuous.
    assert ("GET", "/offers/{offer_id:int}") in routes
    assert ("GET", "/api/v1/exchanges/{exchange_id:int}") in routes
    assert ("GET", "/media/photos/{photo_id:int}/{name:str}") in routes
    assert sum(path.startswith("/api/") for _, path in routes) >= 36


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_an_id_that_cannot_exist_in_any_path_is_404(client, settings, alice, bad):
    headers = await api_token(client, alice)
    await sign_in(client, alice)
    token = await csrf_token(client, "/account")
    wrong = []
    for method, template in routes_with_int_ids(settings):
        path = fill(template, bad)
        if path.startswith("/api/"):
            response = await client.request(method, path, headers=headers,
                                            json={} if method in {"POST", "PUT", "PATCH"} else None)
        elif method == "GET":
            response = await client.get(path)
        else:
            response = await client.request(method, path, data={"_csrf_token": token})
        if response.status_code != 404:
            wrong.append(f"{method} {path}: {response.status_code}")
        elif path.startswith("/api/"):
            assert set(response.json()) == {"detail"}, path
        elif not path.startswith("/media/"):  # media answers a bare 404 (it is an image's address)
            assert "Error 404" in response.text, path
    assert not wrong, "\n".join(wrong)
