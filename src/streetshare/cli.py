"""The `streetshare` command: demo, serve, migrate, worker."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from streetshare import db
from streetshare.settings import Settings, SettingsError, load
from streetshare.web.logs import configure_logging


def _database_url(settings: Settings) -> str:
    """DATABASE_URL, or an embedded PostgreSQL under the data directory."""
    if settings.database_url:
        return settings.database_url
    print(f"No DATABASE_URL: starting an embedded PostgreSQL in {settings.pgdata_dir}", flush=True)
    return db.start_embedded(settings.pgdata_dir)


async def _migrate(url: str) -> None:
    db.configure(url)
    await db.migrate()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_migrate(_database_url(settings)))  # its log line says how many ran


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    """The production server: granian with several worker processes (chosen over uvicorn by measuring:
    see docs/performance.md). Each worker imports streetshare.asgi, which reads the environment."""
    url = _database_url(settings)
    os.environ["DATABASE_URL"] = url  # the worker processes read it
    if args.migrate:
        asyncio.run(_migrate(url))
    run_server("streetshare.asgi:app", host=args.host, port=args.port, workers=args.workers or settings.web_workers)


def run_server(target: str, *, host: str, port: int, workers: int) -> None:
    """Serve the ASGI app at `target` ("module:attribute") as production does (the benchmark's floor
    app is served by this too, so that both pay for the same server).

    granian passes the peer's address through as the client and reads no X-Forwarded-For (it would
    only with granian.utils.proxies): the app's client_ip reads that header itself, and only when
    STREETSHARE_TRUST_PROXY says so (tests/integration/test_serve_process.py checks both)."""
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        target,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        respawn_failed_workers=True,
        log_access=False,
        workers_kill_timeout=10,
    ).serve()


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from streetshare import worker

    async def run() -> None:
        db.configure(_database_url(settings))
        await db.open_pool(1, 4)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await worker.run_forever(stop, every_s=args.every, settings=settings, concurrency=args.concurrency,
                                     lease_s=args.lease)
        finally:
            await db.close_pool()

    asyncio.run(run())


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from streetshare import demo
    from streetshare.app import create_app

    base_url = f"http://127.0.0.1:{args.port}" if args.host in {"127.0.0.1", "localhost", "0.0.0.0"} else f"http://{args.host}:{args.port}"
    settings = settings.with_(mode="demo", base_url=base_url, embedded_worker=True)
    url = _database_url(settings)
    db.configure(url)
    db.supervise_embedded()  # brought back if it dies; the pool reconnects

    async def prepare() -> list[demo.DemoAccount]:
        await db.migrate()
        await db.open_pool(1, 2)
        try:
            return await demo.seed(settings)
        finally:
            await db.close_pool()

    print("Preparing the demo street...", flush=True)
    accounts = asyncio.run(prepare())
    # The app reads X-Forwarded-For itself, and only when STREETSHARE_TRUST_PROXY says so
    # (web.pages.client_ip): uvicorn must not rewrite the client address from it (its default
    # trusts any loopback peer, so a proxy on the same host would let clients pick their address).
    config = uvicorn.Config(create_app(settings), host=args.host, port=args.port, access_log=False, log_config=None,
                            proxy_headers=False, timeout_graceful_shutdown=3)

    class DemoServer(uvicorn.Server):
        async def startup(self, sockets: list | None = None) -> None:
            await super().startup(sockets)
            if self.started:  # the banner last, once the address answers
                print(demo.banner(settings, accounts), flush=True)

    DemoServer(config).run()


def _exit_on_sigterm() -> None:
    """SIGTERM (docker stop, systemd) exits like Ctrl-C does: through every `finally`, so that an
    embedded PostgreSQL this process started is stopped. (Servers install their own handler while
    they serve; uvicorn raises the signal again once it has shut down, and this handler takes it.)"""

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="streetshare", description="Neighbourhood sharing, scoped to the street.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the app with a lively demo street (embedded database when no DATABASE_URL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="run the production server (several worker processes)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: WEB_CONCURRENCY or 2)")
    p.add_argument("--migrate", action="store_true", help="run migrations before starting")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="run database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("worker", help="run the background worker")
    p.add_argument("--every", type=float, default=60.0, help="seconds between upkeep runs")
    p.add_argument("--concurrency", type=int, default=2, help="jobs run at the same time")
    p.add_argument("--lease", type=float, default=120.0,
                   help="seconds a job stays claimed; a job whose worker died is retried after this")
    p.set_defaults(func=cmd_worker)

    args = parser.parse_args(argv)
    try:
        settings = load()
    except SettingsError as exc:
        print(f"streetshare: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    # On a terminal the demo shows its banner and warnings, not every INFO line (LOG_LEVEL=DEBUG shows all).
    configure_logging(settings.log_level, quiet_on_terminal=args.command == "demo")
    _exit_on_sigterm()
    try:
        args.func(settings, args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        db.stop_embedded()
