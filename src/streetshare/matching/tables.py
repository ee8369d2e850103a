"""The match table: an ask paired with an offer that could meet it (schema: the 00:50 migration)."""

from piccolo.columns import JSONB, DoublePrecision, ForeignKey, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.asks.tables import Ask
from streetshare.offers.tables import Offer


class Match(Table, tablename="match"):
    ask = ForeignKey(references=Ask, on_delete=OnDelete.cascade, null=False)
    offer = ForeignKey(references=Offer, on_delete=OnDelete.cascade, null=False)
    score = DoublePrecision()  # the order of matches: fit blended with distance, freshness and record
    fit = DoublePrecision(null=True, default=None)  # how well the offer meets the need (NULL: made before; use score)
    reasons = JSONB(default=[])
    created_at = Timestamptz()
    updated_at = Timestamptz()
    dismissed_by_asker_at = Timestamptz(null=True, default=None)
    dismissed_by_offerer_at = Timestamptz(null=True, default=None)
    notified_at = Timestamptz(null=True, default=None)
