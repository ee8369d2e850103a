"""Helpers for hand-written migrations: they run raw SQL inside Piccolo's migration transaction.

Migrations are SQL so that the schema can say everything PostgreSQL can (extensions, partial
unique indexes that hold the exchange invariants, GiST and GIN indexes, check constraints).
tests/integration/test_schema.py fails when a Table class and the migrated schema disagree.
"""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager


def sql_migration(migration_id: str, description: str, forwards_sql: str, backwards_sql: str = "") -> MigrationManager:
    manager = MigrationManager(migration_id=migration_id, app_name="streetshare", description=description)

    async def forwards() -> None:
        await _execute(forwards_sql)

    async def backwards() -> None:
        if backwards_sql:
            await _execute(backwards_sql)

    manager.add_raw(forwards)
    manager.add_raw_backwards(backwards)
    return manager


async def _execute(sql: str) -> None:
    from streetshare.piccolo_conf import DB

    transaction = DB.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    connection = await DB.get_new_connection()
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
