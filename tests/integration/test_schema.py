"""The migrated schema and the Table classes agree: a table changed without a migration fails here."""

from streetshare import db
from streetshare.tables import GENERATED_COLUMNS, all_tables

# Piccolo column type -> information_schema data_type
PG_TYPES = {
    "SERIAL": "integer",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "BIGINT": "bigint",
    "VARCHAR": "character varying",
    "TEXT": "text",
    "BOOLEAN": "boolean",
    "TIMESTAMPTZ": "timestamp with time zone",
    "DATE": "date",
    "DOUBLE PRECISION": "double precision",
    "JSONB": "jsonb",
    "NUMERIC": "numeric",
}


async def _db_columns() -> dict[tuple[str, str], dict]:
    rows = await db.fetch(
        """
        SELECT table_name, column_name, data_type, is_nullable, character_maximum_length
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migration'
        """
    )
    return {(r["table_name"], r["column_name"]): dict(r) for r in rows}


async def test_every_table_class_matches_the_migrated_schema():
    columns = await _db_columns()
    problems = []
    for table in all_tables():
        name = table._meta.tablename
        for column in table._meta.columns:
            key = (name, column._meta.db_column_name)
            found = columns.get(key)
            if found is None:
                problems.append(f"{name}.{key[1]} is declared but no migration creates it")
                continue
            column_type = column.column_type.split("(")[0].upper()
            expected = PG_TYPES.get(column_type)
            if expected and found["data_type"] != expected:
                problems.append(f"{name}.{key[1]}: class says {column_type}, database has {found['data_type']}")
            if column._meta.primary_key:
                continue
            if (found["is_nullable"] == "YES") != bool(column._meta.null):
                problems.append(f"{name}.{key[1]}: nullability differs (database nullable={found['is_nullable']})")
            length = getattr(column, "length", None)
            if column_type == "VARCHAR" and length and found["character_maximum_length"] != length:
                problems.append(f"{name}.{key[1]}: length {length} vs {found['character_maximum_length']}")
    assert not problems, "\n".join(problems)


async def test_every_migrated_table_and_column_has_a_table_class():
    columns = await _db_columns()
    declared = {
        (t._meta.tablename, c._meta.db_column_name) for t in all_tables() for c in t._meta.columns
    }
    undeclared = sorted(set(columns) - declared - GENERATED_COLUMNS)
    assert not undeclared, f"columns with no Table class: {undeclared}"


async def test_the_extensions_the_geo_and_search_queries_need_are_installed():
    names = {r["extname"] for r in await db.fetch("SELECT extname FROM pg_extension")}
    assert {"cube", "earthdistance", "pg_trgm", "btree_gist"} <= names
