"""The demo catalog (sample-data/catalog.sql): reproducible from its generator, a few hundred
products of the text catalog plus the written ones the walkthrough's questions are about."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample-data"


def test_the_generator_reproduces_the_committed_catalog_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SAMPLE_DATA / "demo_catalog.py"), "--out-dir", str(tmp_path)],
        check=True,
    )
    assert (tmp_path / "catalog.sql").read_bytes() == (SAMPLE_DATA / "catalog.sql").read_bytes()


def test_the_catalog_holds_a_few_hundred_distinct_products_with_the_thermos() -> None:
    text = (SAMPLE_DATA / "catalog.sql").read_text()
    keys = re.findall(r"^    \('([a-z]+_[0-9]+)', '", text, re.M)
    assert len(keys) == len(set(keys)) == 300
    assert "'Stainless steel vacuum thermos, 750 ml'" in text
    assert "'Dimmable LED desk lamp'" in text
