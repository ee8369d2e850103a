"""Matching verbs: compute and store the best matches of an ask or an offer, tell people, dismiss.

Matching runs in the worker, never in a request: the offers and asks domains call
`request_matching("ask", id)` (or "offer") when an item is created or changed, which enqueues a
job in their transaction; the job runs `match_ask` / `match_offer`.

A run upserts the top matches (the (ask, offer) pair is unique, so a re-run updates the score and
reasons and keeps what people did: a dismissal stays a dismissal), removes un-dismissed matches of
that item that no longer qualify (an edited ask, a blocked neighbour), and tells each resident on
either side once per run, however many new matches concern them ("3 neighbours could help with
'ladder'"), through notifications.notify ('match_found'; emailed as each resident chose).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from streetshare import clock, db, jobs
from streetshare.errors import NotFound
from streetshare.matching import queries
from streetshare.notifications import service as notifications

log = logging.getLogger(__name__)

MATCH_ASK = "match_ask"
MATCH_OFFER = "match_offer"
KINDS = {"ask": MATCH_ASK, "offer": MATCH_OFFER}


async def request_matching(kind: str, item_id: int) -> None:
    """Ask the worker to match this ask or offer (call it after creating or changing one, in the
    same transaction: the job exists if and only if the change committed)."""
    if kind not in KINDS:
        raise ValueError(f"matching is for 'ask' or 'offer', not {kind!r}")
    await jobs.enqueue(KINDS[kind], {"id": int(item_id)})


@dataclass(frozen=True)
class Stored:
    id: int
    ask: int
    offer: int
    asker: int
    offerer: int
    is_new: bool  # nobody has been told about it yet


async def match_ask(ask_id: int, *, notify: bool = True) -> list[Stored]:
    """Find and store the offers that could meet this ask; tell the people concerned about new ones."""
    async with db.transaction():
        ranking = await queries.rank_offers_for_ask(ask_id)
        stored = await _store(ranking.top)
        if ranking.subject is not None and ranking.subject.live:
            await _forget_stale("ask", ask_id, ranking.qualified)
        if notify:
            await _tell(stored, offerer_kind="ask_matches_offer")  # a new ask: its offerers hear at once
    return stored


async def match_offer(offer_id: int, *, notify: bool = True) -> list[Stored]:
    """Find and store the open asks this offer could meet; tell the people concerned about new ones."""
    async with db.transaction():
        ranking = await queries.rank_asks_for_offer(offer_id)
        stored = await _store(ranking.top)
        if ranking.subject is not None and ranking.subject.live:
            await _forget_stale("offer", offer_id, ranking.qualified)
        if notify:
            await _tell(stored)
    return stored


async def _store(ranked: Sequence[queries.Ranked]) -> list[Stored]:
    if not ranked:
        return []
    rows = await db.fetch(
        """
        INSERT INTO match AS m (ask, offer, score, fit, reasons, created_at, updated_at)
        SELECT t.ask, t.offer, t.score, t.fit, t.reasons::jsonb, $5, $5
        FROM unnest($1::int[], $2::int[], $3::float8[], $4::text[], $6::float8[]) AS t(ask, offer, score, reasons, fit)
        ON CONFLICT (ask, offer) DO UPDATE
            SET score = EXCLUDED.score, fit = EXCLUDED.fit, reasons = EXCLUDED.reasons, updated_at = EXCLUDED.updated_at
        RETURNING m.id, m.ask, m.offer, m.notified_at IS NULL AS is_new
        """,
        [r.ask for r in ranked], [r.offer for r in ranked], [r.score for r in ranked],
        [r.reasons_json() for r in ranked], clock.now(), [r.fit for r in ranked],
    )
    owners = {(r.ask, r.offer): (r.asker, r.offerer) for r in ranked}
    return [
        Stored(row["id"], row["ask"], row["offer"], *owners[(row["ask"], row["offer"])], row["is_new"])
        for row in rows
    ]


async def _forget_stale(kind: str, item_id: int, qualified: frozenset[int]) -> None:
    """Remove this (live) item's matches that no longer qualify, unless someone dismissed them (that is
    kept). A closed or paused item keeps its matches: the lists hide them, and a resumed offer's
    neighbours are not told twice."""
    column, other = ("ask", "offer") if kind == "ask" else ("offer", "ask")
    await db.execute(
        f"""
        DELETE FROM match WHERE {column} = $1 AND NOT ({other} = ANY($2::int[]))
          AND dismissed_by_asker_at IS NULL AND dismissed_by_offerer_at IS NULL
        """,
        item_id, sorted(qualified),
    )


async def _tell(stored: Sequence[Stored], *, offerer_kind: str = "match_found") -> int:
    """One notification per resident for this run's new matches; returns how many were written."""
    fresh = [s for s in stored if s.is_new]
    if not fresh:
        return 0
    state = {
        row["id"]: row
        for row in await db.fetch(
            """
            SELECT m.id, m.dismissed_by_asker_at IS NULL AS asker_cares, m.dismissed_by_offerer_at IS NULL AS offerer_cares,
                   a.title AS ask_title, o.title AS offer_title
            FROM match m JOIN ask a ON a.id = m.ask JOIN offer o ON o.id = m.offer WHERE m.id = ANY($1::int[])
            """,
            [s.id for s in fresh],
        )
    }
    for_asker: dict[int, list[Stored]] = defaultdict(list)
    for_offerer: dict[int, list[Stored]] = defaultdict(list)
    for s in fresh:
        if state[s.id]["asker_cares"]:
            for_asker[s.asker].append(s)
        if state[s.id]["offerer_cares"]:
            for_offerer[s.offerer].append(s)
    written = 0
    for resident, found in sorted(for_asker.items()):
        asks = sorted({s.ask for s in found})
        who = _neighbours(len({s.offerer for s in found}))
        text = (f"{who} could help with “{state[found[0].id]['ask_title']}”" if len(asks) == 1
                else f"{who} could help with {len(asks)} of your asks")
        written += await _notify(resident, text, f"/asks/{asks[0]}/matches")
    for resident, found in sorted(for_offerer.items()):
        offers = sorted({s.offer for s in found})
        askers = len({s.asker for s in found})
        who = "A neighbour needs" if askers == 1 else f"{askers} neighbours need"
        text = (f"{who} something your “{state[found[0].id]['offer_title']}” could help with" if len(offers) == 1
                else f"{who} things you offer")
        written += await _notify(resident, text, f"/offers/{offers[0]}/matches", kind=offerer_kind)
    await db.execute("UPDATE match SET notified_at = $2 WHERE id = ANY($1::int[])", [s.id for s in fresh], clock.now())
    return written


def _neighbours(n: int) -> str:
    return "A neighbour" if n == 1 else f"{n} neighbours"


async def _notify(resident_id: int, text: str, url: str, *, kind: str = "match_found") -> int:
    return 1 if await notifications.notify(resident_id, kind, text=text, url=url) is not None else 0


async def dismiss(match_id: int, *, acting: int) -> bool:
    """The asker or the offerer says "not this one": it leaves their list (and stays gone when
    matching runs again). True if it was dismissed now, False if it already was. Anyone else: NotFound."""
    async with db.transaction():
        match = await queries.match_parties(match_id, lock=True)
        if match is None or acting not in (match.asker, match.offerer):
            raise NotFound("We couldn't find that match.")
        column = "dismissed_by_asker_at" if acting == match.asker else "dismissed_by_offerer_at"
        if getattr(match, column) is not None:
            return False
        await db.execute(f"UPDATE match SET {column} = $2 WHERE id = $1", match_id, clock.now())
    log.info("match dismissed", extra={"match_id": match_id, "by": "asker" if acting == match.asker else "offerer"})
    return True


# ---------------------------------------------------------------- worker jobs


@jobs.handler(MATCH_ASK)
async def _match_ask_job(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    await match_ask(int(payload["id"]))


@jobs.handler(MATCH_OFFER)
async def _match_offer_job(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    await match_offer(int(payload["id"]))
