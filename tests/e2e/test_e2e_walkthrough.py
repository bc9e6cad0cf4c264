"""The walkthrough, through the whole local path: it runs in psql as the demo runs it, and each
of its queries returns what the walkthrough says."""

from __future__ import annotations

import os
import re
import subprocess

import psycopg
import pytest

from devstack.stack import WALKTHROUGH_SQL, LocalStack
from tests.support.rankings import cosine_ranking, sample_records

pytestmark = pytest.mark.slow


def walkthrough_queries() -> list[str]:
    """The SQL statements of walkthrough.sql, in order (psql commands and comments left out)."""
    lines = [
        line
        for line in WALKTHROUGH_SQL.read_text().splitlines()
        if not line.startswith(("\\", "--"))
    ]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


@pytest.fixture(scope="module")
def results(e2e_db: str) -> list[list[tuple]]:
    with psycopg.connect(e2e_db) as conn:
        return [conn.execute(q.rstrip(";")).fetchall() for q in walkthrough_queries()]


def test_the_walkthrough_runs_in_psql_without_error(stack: LocalStack, e2e_db: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = subprocess.run(
        [str(stack.cluster.pg_bin / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-d", e2e_db,
         "-f", str(WALKTHROUGH_SQL)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("== ") == 7


def test_the_walkthrough_has_its_seven_queries() -> None:
    assert len(walkthrough_queries()) == 7


def test_the_bridge_is_reachable_and_the_index_was_described(results: list[list[tuple]]) -> None:
    [(is_valid, _lambda_arn, region, response_time_ms)] = results[0]
    assert is_valid and region == "us-east-1" and response_time_ms >= 0
    assert results[1] == [("demo-index", "s3vl-demo", 5, "cosine", True)]


def nearest(top_k: int, category: str | None = None) -> list[str]:
    """The keys of the sample vectors nearest the walkthrough's query vector, closest first,
    computed here from the sample file (not asked of the service)."""
    records = sample_records()
    if category is not None:
        records = [r for r in records if r["metadata"]["category"] == category]
    return [key for key, _ in cosine_ranking(records, [0.1, 0.2, 0.3, 0.4, 0.5])[:top_k]]


def test_the_top_five_are_the_closest_first(results: list[list[tuple]]) -> None:
    top = results[2]
    assert [row[0] for row in top] == nearest(5)
    similarities = [row[1] for row in top]
    assert similarities == sorted(similarities, reverse=True)
    assert all(round(1 - row[1], 4) == row[2] for row in top)  # cosine: similarity = 1 - distance


def test_get_vectors_keeps_the_order_and_flags_the_missing_key(results: list[list[tuple]]) -> None:
    rows = results[3]
    assert [(r[0], r[1]) for r in rows] == [
        ("vec_001", True),
        ("vec_999", False),
        ("vec_002", True),
    ]
    assert len(rows[0][2]) == 5 and rows[1][2] is None
    assert rows[0][3] == "Sample vector 001"


def test_the_vector_of_vec_048_finds_its_three_identical_copies(results: list[list[tuple]]) -> None:
    assert sorted(results[4]) == [
        ("vec_048", 1, "identical"),
        ("vec_049", 1, "identical"),
        ("vec_050", 1, "identical"),
    ]


def test_the_metadata_filter_returns_only_its_category(results: list[list[tuple]]) -> None:
    rows = results[5]
    assert len(rows) == 5
    assert {row[2] for row in rows} == {"demo"}
    assert [row[0] for row in rows] == nearest(5, category="demo")


def test_the_join_keeps_in_stock_products_under_the_price_by_similarity(
    results: list[list[tuple]], e2e_db: str
) -> None:
    rows = results[6]
    assert rows, "the join returned nothing"
    with psycopg.connect(e2e_db) as conn:
        stock = dict(conn.execute("SELECT vector_key, (in_stock AND price < 300) FROM products"))
    assert all(stock[row[3]] for row in rows)
    # Exactly the in-stock products under the price among the 20 nearest.
    assert [row[3] for row in rows] == [key for key in nearest(20) if stock.get(key)]
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), reverse=True)
    assert all(re.fullmatch(r"vec_\d{3}", row[3]) for row in rows)
