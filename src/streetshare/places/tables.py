"""Streets, coordinators, invites, blocks and the geocoding cache.

A resident's home point lives on the resident row (accounts.tables.Resident) and is private.
"""

from piccolo.columns import JSONB, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from streetshare.accounts.tables import Resident


class Street(Table, tablename="street"):
    name = Varchar(length=80)
    centre_lat = DoublePrecision()
    centre_lng = DoublePrecision()
    radius_m = Integer(default=800)
    created_by = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    # Set when its last member left (places.service.archive_streets_left_empty): kept for its history,
    # no longer listed nearby or joinable.
    archived_at = Timestamptz(null=True, default=None)


class StreetNeighbour(Table, tablename="street_neighbour"):
    """Streets within a mile of each other, both ways; written by a database trigger when a street
    is created (migrations/streetshare_2026_11_22t03_30_00_000000.py), never by the app."""

    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    neighbour = ForeignKey(references=Street, on_delete=OnDelete.cascade, index=True, null=False)
    distance_m = DoublePrecision()


class StreetCoordinator(Table, tablename="street_coordinator"):
    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, null=False)
    resident = ForeignKey(references=Resident, on_delete=OnDelete.cascade, index=True, null=False)
    appointed_by = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    appointed_at = Timestamptz()


class StreetInvite(Table, tablename="street_invite"):
    street = ForeignKey(references=Street, on_delete=OnDelete.cascade, index=True, null=False)
    code = Varchar(length=16, unique=True)
    created_by = ForeignKey(references=Resident, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    max_uses = Integer(null=True, default=None)
    uses = Integer(default=0)
    revoked_at = Timestamptz(null=True, default=None)


class ResidentBlock(Table, tablename="resident_block"):
    blocker = ForeignKey(references=Resident, on_delete=OnDelete.cascade, null=False)
    blocked = ForeignKey(references=Resident, on_delete=OnDelete.cascade, index=True, null=False)
    created_at = Timestamptz()


class GeocodeCache(Table, tablename="geocode_cache"):
    query_key = Varchar(length=300, unique=True)
    results = JSONB()
    created_at = Timestamptz()
