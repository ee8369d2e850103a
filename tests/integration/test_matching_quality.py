"""Matching quality, measured on the labelled set (tests/data/matching_pairs.json), with floors.

The floors sit a little under what the matcher achieves (see the report printed with -s, or run
`uv run python -m streetshare.matching.evaluate --verbose`): a change that makes matching worse fails here.
"""

from __future__ import annotations

import pytest

from streetshare.matching import evaluate

# Achieved when the floors were set (uv run python -m streetshare.matching.evaluate):
#   tuning   (195 asks, 40 that nothing meets): precision@3 0.918, recall@5 0.929, false matches 0.100
#   held out ( 92 asks, 26 that nothing meets): precision@3 0.846, recall@5 0.815, false matches 0.192
PRECISION_AT_3_FLOOR = 0.90
RECALL_AT_5_FLOOR = 0.90
FALSE_MATCHES_CEILING = 0.11
HELD_OUT_PRECISION_AT_3_FLOOR = 0.82
HELD_OUT_RECALL_AT_5_FLOOR = 0.78
HELD_OUT_FALSE_MATCHES_CEILING = 0.23

# What the held-out part should reach (issue 18). Not reached yet: see the figures above.
TARGET_PRECISION_AT_3 = 0.9
TARGET_RECALL_AT_5 = 0.95
TARGET_FALSE_MATCHES = 0.05


def test_the_labelled_set_has_at_least_150_pairs_of_everyday_items():
    data = evaluate.load()
    pairs = sum(len(a["relevant"]) + len(a["not_relevant"]) for a in data["asks"])
    assert pairs >= 150
    for item in data["asks"]:
        for key in item["relevant"] + item["not_relevant"]:
            assert key in data["offers"], (item["key"], key)
        assert not set(item["relevant"]) & set(item["not_relevant"]), item["key"]


def test_the_labelled_set_is_split_once_into_tuning_and_held_out_with_asks_nothing_meets():
    data = evaluate.load()
    assert "split" in data
    sets = [item["set"] for item in data["asks"]]
    assert set(sets) == {"tuning", "held_out"}
    held = [item for item in data["asks"] if item["set"] == "held_out"]
    assert len(held) >= 80 and sum(1 for item in held if not item["relevant"]) >= 20
    assert sum(1 for item in data["asks"] if "help_kind" not in item) >= 150  # written as people write: kind left out


async def test_matching_quality_stays_above_its_floors():
    report = await evaluate.run()
    print("\n" + report.summary())
    tuning, held = report.tuning, report.held_out
    assert evaluate.precision_at_3(tuning) >= PRECISION_AT_3_FLOOR, report.details()
    assert evaluate.recall_at_5(tuning) >= RECALL_AT_5_FLOOR, report.details()
    assert evaluate.false_matches(tuning) <= FALSE_MATCHES_CEILING, report.details()
    assert evaluate.precision_at_3(held) >= HELD_OUT_PRECISION_AT_3_FLOOR, report.summary()
    assert evaluate.recall_at_5(held) >= HELD_OUT_RECALL_AT_5_FLOOR, report.summary()
    assert evaluate.false_matches(held) <= HELD_OUT_FALSE_MATCHES_CEILING, report.summary()


@pytest.mark.xfail(strict=True, reason="held-out figures are below the issue 18 targets (0.846 / 0.815 / 0.192): "
                                       "when this passes, drop the mark")
async def test_matching_meets_its_targets_on_the_held_out_part():
    report = await evaluate.run()
    held = report.held_out
    assert evaluate.precision_at_3(held) >= TARGET_PRECISION_AT_3, report.summary()
    assert evaluate.recall_at_5(held) >= TARGET_RECALL_AT_5, report.summary()
    assert evaluate.false_matches(held) <= TARGET_FALSE_MATCHES, report.summary()


async def test_the_evaluation_leaves_the_database_as_it_was():
    from streetshare import db

    await evaluate.run()
    assert await db.fetchval("SELECT count(*) FROM offer") == 0
    assert await db.fetchval("SELECT count(*) FROM resident") == 0
