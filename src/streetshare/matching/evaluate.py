"""How good is matching? Precision at 3, recall at 5 and false matches on the labelled set in tests/data.

    uv run python -m streetshare.matching.evaluate            # the app's database (embedded or DATABASE_URL)
    uv run python -m streetshare.matching.evaluate --verbose  # and each tuning ask's top 5, marked right or wrong

The labelled set (tests/data/matching_pairs.json) holds everyday offers and asks. All offers are
put on one test street, each with its own owner a few hundred metres from the asker; each ask is
then matched against all of them with the real candidate queries and scoring
(queries.rank_offers_for_ask), and its top 5 compared with the labels. An ask is checked as the
app checks one (asks.rules.check_ask): without a `help_kind` the kind is guessed from its words.
Everything is written in one transaction that is rolled back at the end, so the database is left
as it was.

- precision@3: of the matches shown in the first three places (over all asks), the share that
  meet the need. Asks where nothing fits count too: anything shown for them is wrong.
- recall@5: of the offers that meet each ask's need, the share found in its first five places.
- false matches: of the asks nothing on the street meets (no relevant offer), the share shown any match.

The set is split once, in the file ('set': tuning or held_out). Tune on the tuning part only
(--verbose shows it; --verbose --set held_out exists for the final report, not for tuning); the
targets are checked on the held-out part in tests/integration/test_matching_quality.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from streetshare import clock, db
from streetshare.asks.rules import check_ask
from streetshare.matching import queries
from streetshare.paths import PROJECT_DIR

DATA = PROJECT_DIR / "tests" / "data" / "matching_pairs.json"
TEST_STREET = (53.6458, -1.7850)  # Huddersfield


@dataclass
class AskResult:
    key: str
    title: str
    relevant: set[str]
    shown: list[str]  # offer keys, best first (top 5)
    held_out: bool = False
    fits: list[float] = field(default_factory=list)  # how well each shown offer meets the need (rules.fit)

    @property
    def hits_at_3(self) -> int:
        return sum(1 for key in self.shown[:3] if key in self.relevant)

    @property
    def found_at_5(self) -> int:
        return sum(1 for key in self.shown[:5] if key in self.relevant)

    @property
    def negative(self) -> bool:
        """Nothing on the street meets this ask."""
        return not self.relevant


@dataclass
class Report:
    asks: list[AskResult] = field(default_factory=list)
    labelled_pairs: int = 0
    offers: int = 0

    @property
    def precision_at_3(self) -> float:
        return precision_at_3(self.asks)

    @property
    def recall_at_5(self) -> float:
        return recall_at_5(self.asks)

    @property
    def held_out(self) -> list[AskResult]:
        return [a for a in self.asks if a.held_out]

    @property
    def tuning(self) -> list[AskResult]:
        return [a for a in self.asks if not a.held_out]

    def summary(self) -> str:
        return (f"matching quality on {len(self.asks)} asks x {self.offers} offers "
                f"({self.labelled_pairs} labelled pairs)\n"
                f"  all:      {figures(self.asks)}\n"
                f"  tuning:   {figures(self.tuning)}\n"
                f"  held out: {figures(self.held_out)}")

    def details(self, part: str | None = "tuning") -> str:
        lines = []
        for a in self.asks:
            if part is not None and a.held_out != (part == "held_out"):
                continue
            marks = " ".join(f"{k}{'+' if k in a.relevant else '-'}({f:.2f})" for k, f in zip(a.shown, a.fits))
            missed = sorted(a.relevant - set(a.shown))
            lines.append(f"{a.key} {a.title!r}: {marks or '(nothing)'}" + (f"  missed {missed}" if missed else ""))
        return "\n".join(lines)


def precision_at_3(asks: list[AskResult]) -> float:
    shown = sum(min(3, len(a.shown)) for a in asks)
    return sum(a.hits_at_3 for a in asks) / shown if shown else 0.0


def recall_at_5(asks: list[AskResult]) -> float:
    relevant = sum(len(a.relevant) for a in asks)
    return sum(a.found_at_5 for a in asks) / relevant if relevant else 0.0


def false_matches(asks: list[AskResult]) -> float:
    """Of the asks nothing on the street meets, the share that were shown a match anyway."""
    negatives = [a for a in asks if a.negative]
    return sum(1 for a in negatives if a.shown) / len(negatives) if negatives else 0.0


def figures(asks: list[AskResult]) -> str:
    negatives = sum(1 for a in asks if a.negative)
    return (f"{len(asks)} asks ({negatives} that nothing meets): precision@3 = {precision_at_3(asks):.3f}, "
            f"recall@5 = {recall_at_5(asks):.3f}, false matches = {false_matches(asks):.3f}")


def load(path: Path = DATA) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


class _RollBack(Exception):
    pass


async def run(path: Path = DATA, *, keep: bool = False) -> Report:
    """Load the labelled set, match every ask, and report. Rolled back unless `keep`."""
    data = load(path)
    report = Report(labelled_pairs=sum(len(a["relevant"]) + len(a["not_relevant"]) for a in data["asks"]),
                    offers=len(data["offers"]))
    try:
        async with db.transaction():
            await _measure(data, report)
            if not keep:
                raise _RollBack()
    except _RollBack:
        pass
    return report


async def _measure(data: dict[str, Any], report: Report) -> None:
    now = clock.now()
    lat, lng = TEST_STREET
    street = await db.fetchval(
        "INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at) VALUES ($1, $2, $3, 800, $4) RETURNING id",
        "Evaluation Street", lat, lng, now,
    )

    async def resident(name: str, north_m: float) -> int:
        return await db.fetchval(
            """
            INSERT INTO resident (email, display_name, password_hash, created_at, home_lat, home_lng, street,
                                  street_joined_at, looks_at)
            VALUES ($1, $2, 'x', $3, $4, $5, $6, $3, 'street') RETURNING id
            """,
            f"{name.lower()}@evaluation.invalid", name, now, lat + north_m / 111_000, lng, street,
        )

    asker = await resident("Asker", 0)
    offer_ids: dict[int, str] = {}
    for i, (key, offer) in enumerate(sorted(data["offers"].items())):
        owner = await resident(f"Owner{key}", 100 + (i % 7) * 100)
        offer_id = await db.fetchval(
            """
            INSERT INTO offer (owner, street, kind, title, description, category, starts_at, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id
            """,
            owner, street, offer["kind"], offer["title"], offer.get("description", ""), offer["category"],
            now + timedelta(days=2) if offer["kind"] == "time" else None, now,
        )
        offer_ids[offer_id] = key
    for item in data["asks"]:
        fields = {name: item[name] for name in ("title", "description", "category", "help_kind") if name in item}
        ask, errors = check_ask(fields, now=now)
        assert ask is not None, (item["key"], errors)
        ask_id = await db.fetchval(
            """
            INSERT INTO ask (owner, street, title, description, category, help_kind, help_kind_stated, expires_at,
                             created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id
            """,
            asker, street, ask.title, ask.description, ask.category, ask.help_kind, ask.help_kind_stated,
            now + timedelta(days=30), now,
        )
        ranking = await queries.rank_offers_for_ask(ask_id, limit=5)
        report.asks.append(AskResult(item["key"], item["title"], set(item["relevant"]),
                                     [offer_ids[r.offer] for r in ranking.top], item.get("set") == "held_out",
                                     [r.fit for r in ranking.top]))


async def _main(url: str | None, verbose: bool) -> Report:
    from streetshare.cli import _database_url
    from streetshare.settings import load as load_settings

    db.configure(url or _database_url(load_settings()))
    await db.migrate()
    try:
        return await run()
    finally:
        await db.close_pool()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: the app's database (settings)")
    parser.add_argument("--verbose", action="store_true", help="show each ask's top 5 (+ right, - wrong)")
    parser.add_argument("--set", choices=("tuning", "held_out", "all"), default="tuning",
                        help="whose details --verbose shows (default: the tuning part only)")
    args = parser.parse_args(argv)
    report = asyncio.run(_main(args.database_url, args.verbose))
    if args.verbose:
        print(report.details(None if args.set == "all" else args.set))
    print(report.summary())


if __name__ == "__main__":
    main()
