"""The committed sample data: reproducible from its seeded generator, and shaped as the demo
and the walkthrough expect."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from devstack.postgres import PostgresUnavailableError, TemporaryCluster

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample-data"
IDENTICAL = ["vec_048", "vec_049", "vec_050"]


@pytest.fixture(scope="module")
def vectors() -> list[dict[str, Any]]:
    document = json.loads((SAMPLE_DATA / "sample-vectors.json").read_text())
    assert list(document) == ["vectors"]
    assert len(document["vectors"]) == 50  # so the loops below never run over nothing
    return list(document["vectors"])


def test_the_generator_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SAMPLE_DATA / "generate.py"), "--out-dir", str(tmp_path)], check=True
    )
    for name in ("sample-vectors.json", "products.sql"):
        assert (tmp_path / name).read_bytes() == (SAMPLE_DATA / name).read_bytes(), name


def test_there_are_fifty_vectors_vec_001_to_vec_050_in_order(vectors: list[dict[str, Any]]) -> None:
    assert [v["key"] for v in vectors] == [f"vec_{n:03d}" for n in range(1, 51)]


def test_each_vector_is_put_vectors_shaped_with_five_float32_dimensions(
    vectors: list[dict[str, Any]],
) -> None:
    for vector in vectors:
        assert set(vector) == {"key", "data", "metadata"}
        assert list(vector["data"]) == ["float32"]
        assert len(vector["data"]["float32"]) == 5
        assert all(isinstance(x, float) and math.isfinite(x) for x in vector["data"]["float32"])


def test_every_vector_has_unit_length_even_as_float32(vectors: list[dict[str, Any]]) -> None:
    data = np.array([v["data"]["float32"] for v in vectors], dtype=np.float32)
    assert np.allclose(np.linalg.norm(data, axis=1), 1.0, atol=1e-5)


def test_categories_cycle_test_sample_demo_example_and_the_last_three_are_identical(
    vectors: list[dict[str, Any]],
) -> None:
    categories = Counter(v["metadata"]["category"] for v in vectors)
    assert categories == {"test": 12, "sample": 12, "demo": 12, "example": 11, "identical": 3}
    assert [v["key"] for v in vectors if v["metadata"]["category"] == "identical"] == IDENTICAL


def test_vec_048_to_vec_050_share_one_vector_that_no_other_key_has(
    vectors: list[dict[str, Any]],
) -> None:
    by_key = {v["key"]: tuple(v["data"]["float32"]) for v in vectors}
    assert len({by_key[k] for k in IDENTICAL}) == 1
    assert len(set(by_key.values())) == 48  # 47 distinct vectors plus the shared one


def test_no_other_vector_is_nearly_identical_to_the_shared_one(
    vectors: list[dict[str, Any]],
) -> None:
    # The walkthrough expects exactly three results with similarity 1.0.
    data = np.array([v["data"]["float32"] for v in vectors])
    similarity = data[:47] @ data[47]
    assert similarity.max() < 0.99


@pytest.mark.slow
def test_products_load_idempotently_with_one_product_per_vector(
    vectors: list[dict[str, Any]],
) -> None:
    try:
        cluster = TemporaryCluster().start()
    except PostgresUnavailableError as exc:
        pytest.fail(f"PostgreSQL is required for this test: {exc}")
    try:
        cluster.psql("-q", "-f", str(SAMPLE_DATA / "products.sql"))
        cluster.psql("-q", "-f", str(SAMPLE_DATA / "products.sql"))
        with psycopg.connect(cluster.url) as conn:
            rows = conn.execute(
                "SELECT vector_key, price, in_stock, tenant FROM products ORDER BY id"
            ).fetchall()
    finally:
        cluster.stop()
    assert [row[0] for row in rows] == [v["key"] for v in vectors]
    assert all(row[1] > 0 for row in rows)
    assert {row[2] for row in rows} == {True, False}
    assert {row[3] for row in rows} == {"acme", "globex", "initech"}
