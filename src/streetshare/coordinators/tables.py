"""Coordinators: residents' opt-ins their coordinators see, and the "met in person" badge."""

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident
from streetshare.places.tables import Street


class CarePreference(Table, tablename="care_preference"):
    """Opt-ins, both off until the resident turns them on."""

    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, unique=True, null=False)
    # "Check on me": my coordinators see me on the dashboard when I haven't been seen for a while.
    check_on_me = Boolean(default=False)
    check_after_days = Integer(default=7)
    # "Show me among the top sharers" on my street's dashboard.
    show_as_sharer = Boolean(default=False)
    updated_at = Timestamptz()


class VerifiedNeighbour(Table, tablename="verified_neighbour"):
    """A coordinator met this resident in person (a badge next to their name on their street)."""

    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, index=True, null=False)
    verified_by = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    verified_at = Timestamptz()
