"""Jinja2 set-up: one environment for the app, with a few globals that read no request state."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from streetshare.paths import STATIC_DIR, TEMPLATES_DIR


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>: safe to cache for a year, busted when the file changes."""
    file = (STATIC_DIR / path).resolve()
    if not file.is_relative_to(STATIC_DIR) or not file.is_file():
        raise ValueError(f"no static file {path!r}")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


def date_format(value: datetime | None, fmt: str = "%-d %B %Y") -> str:
    return value.strftime(fmt) if value else ""


FEED_CARDS_CACHED = 4096


def feed_card_renderer(env: Environment):
    """templates/_macros/cards.html's item_card, remembered by its arguments.

    A card reads nothing but the item and its distance text (a frozen FeedItem and a str, both
    hashable and compared by value), so the same arguments always give the same HTML. The feed's
    twenty cards were most of its rendering time (about 0.45 ms a page, docs/performance.md);
    a card already drawn costs a dictionary lookup.
    """

    @lru_cache(maxsize=FEED_CARDS_CACHED)
    def feed_card(item, distance: str):
        return env.get_template("_macros/cards.html").module.item_card(item, distance)

    def feed_cards(items, distances: dict) -> Markup:
        return Markup("".join([feed_card(item, distances.get((item.type, item.id), "")) for item in items]))

    return feed_cards


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["static"] = static_url
    env.globals["feed_cards"] = feed_card_renderer(env)
    env.filters["date"] = date_format
    return env


def template_config() -> TemplateConfig:
    env = make_environment()
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
