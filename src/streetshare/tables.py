"""Every table of every domain, for the Piccolo app and the schema-drift test."""

from __future__ import annotations

from piccolo.table import Table

# Columns PostgreSQL generates that no Table class declares (tsvector has no Piccolo type).
GENERATED_COLUMNS = {("offer", "search"), ("ask", "search")}


def all_tables() -> list[type[Table]]:
    from streetshare.accounts.tables import AuthToken, PasswordReset, RateLimitHit, Resident, SignInFailure
    from streetshare.asks.tables import Ask
    from streetshare.coordinators.tables import CarePreference, VerifiedNeighbour
    from streetshare.exchanges.tables import Exchange, ExchangeEvent, ExchangeMessage
    from streetshare.feed.tables import FeedVersion, SearchWord
    from streetshare.jobs.tables import Job
    from streetshare.matching.tables import Match
    from streetshare.notifications.tables import Notification, NotificationSettings
    from streetshare.moderation.tables import ModerationLog, Report
    from streetshare.offers.tables import Offer, Photo
    from streetshare.places.tables import (GeocodeCache, ResidentBlock, Street, StreetCoordinator, StreetInvite,
                                           StreetNeighbour)
    from streetshare.reputation.tables import Thanks
    from streetshare.status.tables import StatusIncident, StatusReport

    return [
        Resident, AuthToken, PasswordReset, RateLimitHit, SignInFailure,
        Street, StreetNeighbour, StreetCoordinator, StreetInvite, ResidentBlock, GeocodeCache,
        Offer, Photo, Ask, SearchWord, FeedVersion,
        CarePreference, VerifiedNeighbour, Report, ModerationLog,
        Exchange, ExchangeEvent, ExchangeMessage,
        Job, Notification, NotificationSettings,
        Match,
        Thanks,
        StatusIncident, StatusReport,
    ]
