"""create_app(settings) -> Litestar: the one place that says what the app is made of."""

from __future__ import annotations

import asyncio

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from streetshare import db, worker
from streetshare.accounts import routes as accounts_routes
from streetshare.asks import routes as asks_routes
from streetshare.coordinators import routes as coordinators_routes
from streetshare.exchanges import routes as exchanges_routes
from streetshare.feed import routes as feed_routes
from streetshare.matching import routes as matching_routes
from streetshare.moderation import routes as moderation_routes
from streetshare.notifications import routes as notifications_routes
from streetshare.offers import routes as offers_routes
from streetshare.places import block_routes
from streetshare.places import routes as places_routes
from streetshare.reputation import routes as reputation_routes
from streetshare.paths import STATIC_DIR
from streetshare.photos import routes as photos_routes
from streetshare.status import live as status_live
from streetshare.status import routes as status_routes
from streetshare.settings import Settings
from streetshare.web import health, home
from streetshare.web.auth import AuthMiddleware
from streetshare.web.errors import IdsInRangeMiddleware, exception_handlers, identify_for_error_page
from streetshare.web.openapi import DocumentedJsonRenderPlugin
from streetshare.web.security import SecurityHeadersMiddleware
from streetshare.web.templating import template_config


def create_app(settings: Settings, *, manage_pool: bool = True) -> Litestar:
    """Build the app. With manage_pool, the app opens the database pool on startup and closes it on shutdown."""

    stop_worker = asyncio.Event()
    background: list[asyncio.Task] = []
    status_listener = status_live.StatusListener()  # live status: one dedicated connection, outside the pool

    async def startup() -> None:
        if manage_pool:
            await db.open_pool(settings.db_pool_min, settings.db_pool_max)
        await status_listener.start()
        if settings.embedded_worker:
            background.append(asyncio.create_task(worker.run_forever(stop_worker, settings=settings)))

    async def shutdown() -> None:
        await status_listener.stop()  # ends the open status streams too
        stop_worker.set()
        for task in background:
            await task
        if manage_pool:
            await db.close_pool()

    api = Router(path="/api/v1", route_handlers=[*accounts_routes.api_handlers, *coordinators_routes.api_handlers,
                                                 *moderation_routes.api_handlers, *places_routes.api_handlers,
                                                 *block_routes.api_handlers,
                                                 *notifications_routes.api_handlers,
                                                 *offers_routes.api_handlers, *asks_routes.api_handlers,
                                                 *feed_routes.api_handlers, *exchanges_routes.api_handlers,
                                                 *matching_routes.api_handlers, *reputation_routes.api_handlers,
                                                 *status_routes.api_handlers],
                 tags=["api"])
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True),
        include_in_schema=False,
    )
    app = Litestar(
        route_handlers=[
            *home.handlers,
            health.healthz,
            health.readyz,
            accounts_routes.web_router,
            coordinators_routes.web_router,
            moderation_routes.web_router,
            places_routes.web_router,
            block_routes.web_router,
            notifications_routes.web_router,
            offers_routes.web_router,
            asks_routes.web_router,
            feed_routes.web_router,
            exchanges_routes.web_router,
            matching_routes.web_router,
            reputation_routes.web_router,
            status_routes.web_router,
            photos_routes.media_router,
            api,
            static,
        ],
        on_startup=[startup],
        on_shutdown=[shutdown],
        template_config=template_config(),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="streetshare_csrf",
            cookie_secure=settings.https,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=["^/api/"],  # a regex searched anywhere in the path: anchor it
        ),
        middleware=[IdsInRangeMiddleware(), AuthMiddleware()],
        exception_handlers=exception_handlers(),
        after_exception=[identify_for_error_page],
        compression_config=CompressionConfig(backend="gzip", minimum_size=800, gzip_compress_level=6),
        openapi_config=OpenAPIConfig(
            title="Streetshare API",
            version="1",
            path="/schema",
            render_plugins=[DocumentedJsonRenderPlugin()],  # completed by web/openapi.py
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")},
            ),
            security=[{"bearer": []}],
        ),
        request_max_body_size=12 * 1024 * 1024,
        # Logging is ours (web/logs.py: JSON lines with the request id). Litestar's default config
        # would replace the root handler with its own plain-text one.
        logging_config=None,
        debug=False,
    )
    app.state.settings = settings
    app.state.status_listener = status_listener
    # Around the whole app, not each route, so the router's 404/405 and CSRF refusals get them too.
    # One pooled connection for each request's reads (db.one_connection), not one per query.
    # Status streams stay open for minutes: they go around it (status/live.py).
    handler = app.asgi_handler
    app.asgi_handler = SecurityHeadersMiddleware(settings)(
        status_live.without_shared_connection(handler, db.shared_connection_per_request(handler)))
    return app
