"""Whether the resident said what kind of help an ask needs, or it was inferred from the words.

An ask's `help_kind` used to default to 'borrow' whenever it wasn't given, and matching met a
borrow ask only with lend and give offers: "Could someone mow my lawn?" never met the neighbour
who offers mowing. Now, when the kind isn't given, the ask keeps a guess made from its words
(asks.rules.infer_help_kind) in `help_kind`, for labels and the feed's kind filter, and
`help_kind_stated` is false; matching then weighs every kind of offer, and a stated kind only
ranks. Asks made before this could not say "I don't know" (the web form came with 'To borrow'
already ticked and the API filled in 'borrow'), so they are all marked as not stated.
"""

from streetshare.migration_sql import sql_migration

ID = "2026-12-04T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ask.help_kind_stated: the asker said the kind, or it was a guess"

SQL = """
ALTER TABLE ask ADD COLUMN help_kind_stated boolean NOT NULL DEFAULT false;
"""

BACKWARDS_SQL = """
ALTER TABLE ask DROP COLUMN help_kind_stated;
"""


async def forwards():
    return sql_migration(ID, DESCRIPTION, SQL, BACKWARDS_SQL)
