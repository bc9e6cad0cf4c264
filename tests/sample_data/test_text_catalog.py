"""The committed text catalog (sample-data/text-products.json): reproducible from its seeded
generator, at least 1,000 products of real English text, each with the fields the full-text
tests and the demo read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample-data"
FIELDS = {"key", "title", "description", "category", "brand", "color", "price", "in_stock"}


def test_the_generator_reproduces_the_committed_catalog_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SAMPLE_DATA / "text_catalog.py"), "--out-dir", str(tmp_path)],
        check=True,
    )
    name = "text-products.json"
    assert (tmp_path / name).read_bytes() == (SAMPLE_DATA / name).read_bytes()


def test_the_catalog_holds_over_a_thousand_distinct_products_of_sentences() -> None:
    products = json.loads((SAMPLE_DATA / "text-products.json").read_text())["products"]
    assert len(products) >= 1000
    assert len({p["key"] for p in products}) == len(products)
    for product in products:
        assert set(product) == FIELDS
        assert len(product["title"].split()) >= 4
        assert product["description"].count(". ") >= 2  # three or four sentences
        assert product["description"].endswith(".")
