"""The floor: the least a Litestar page can cost on this machine, to measure the real app against.

One handler, one indexed query (a street's newest 20 active offers, through the offer_feed index),
one Jinja2 page about the size of the real feed page (BENCH_FLOOR_PAGE_BYTES), gzip as the app
does it, served by the same server (granian), settings and worker count as `streetshare serve`. No sessions,
no CSRF, no middleware: whatever the real app costs above this is ours to explain.

    DATABASE_URL=... python -m bench.floor_app --port 8001 --workers 2
    curl 'http://127.0.0.1:8001/?street=1'
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import asyncpg
from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.params import FromQuery
from litestar.response import Template
from litestar.template.config import TemplateConfig

from streetshare.db import PooledConnection

NEWEST_OFFERS = """
    SELECT id, title, kind, category, description, created_at
    FROM offer
    WHERE street = $1 AND status = 'active' AND hidden_at IS NULL
    ORDER BY created_at DESC, id DESC
    LIMIT 20
"""
PAGE_BYTES = int(os.environ.get("BENCH_FLOOR_PAGE_BYTES", "0") or 0)
BASE_BYTES = 1100  # the template without offers
OFFER_BYTES = 190  # markup around one offer
PAD_BYTES = 92  # one padding line with its markup


def _padding_lines(n: int = 400) -> list[str]:
    """Varied sentences (a repeated line would gzip to nothing and flatter the floor)."""
    from itertools import cycle, islice

    from bench import words

    items = [item for pairs in words.ITEMS.values() for item, _ in pairs]
    names, stems, conditions = cycle(words.FIRST_NAMES), cycle(words.STREET_STEMS), cycle(words.CONDITIONS)
    return [f"{next(names)} on {next(stems)} Road shared the {item.lower()}, {next(conditions)}."
            for item in islice(cycle(items), n)]


PADDING = _padding_lines()

pool: asyncpg.Pool | None = None


async def open_pool() -> None:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"],
        min_size=int(os.environ.get("DB_POOL_MIN", "1")),
        max_size=int(os.environ.get("DB_POOL_MAX", "10")),
        connection_class=PooledConnection,  # released as the app's are
    )


async def close_pool() -> None:
    if pool is not None:
        await pool.close()


@get("/")
async def floor(street: FromQuery[int] = 1) -> Template:
    assert pool is not None
    offers = await pool.fetch(NEWEST_OFFERS, street)
    size = BASE_BYTES + sum(OFFER_BYTES + len(o["title"]) * 2 + len(o["description"]) for o in offers)
    lines = max(0, (PAGE_BYTES - size) // PAD_BYTES)
    return Template(template_name="floor.html", context={"offers": offers, "padding": PADDING[:lines]})


app = Litestar(
    route_handlers=[floor],
    on_startup=[open_pool],
    on_shutdown=[close_pool],
    template_config=TemplateConfig(directory=Path(__file__).parent / "templates", engine=JinjaTemplateEngine),
    compression_config=CompressionConfig(backend="gzip", minimum_size=800, gzip_compress_level=6),
    openapi_config=None,
    debug=False,
)


def main() -> None:
    from streetshare.cli import run_server

    parser = argparse.ArgumentParser(prog="python -m bench.floor_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    run_server("bench.floor_app:app", host=args.host, port=args.port, workers=args.workers)  # as `streetshare serve`


if __name__ == "__main__":
    main()
