"""Piccolo configuration: ONE app, one engine.

The engine's DSN is filled in by streetshare.db.configure() before any query runs, because
the embedded PostgreSQL's address is only known once it has started. Piccolo's engine would
otherwise try to connect while this module is imported; ours does not.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine


class Engine(PostgresEngine):
    async def check_version(self) -> None:  # no connection at import time
        return None


DB = Engine(config={}, extensions=(), log_queries=False)

APP_REGISTRY = AppRegistry(apps=["streetshare.piccolo_app"])
