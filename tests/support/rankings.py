"""Exact nearest neighbours of the test data, computed independently of the service, and the
sample vectors as the demo index was given them (read from the file, not from the service)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_VECTORS = Path(__file__).resolve().parents[2] / "sample-data" / "sample-vectors.json"


def sample_records() -> list[dict[str, Any]]:
    """The sample vectors as written to the demo index: key, data (a float list), metadata."""
    document = json.loads(SAMPLE_VECTORS.read_text())
    return [
        {"key": v["key"], "data": v["data"]["float32"], "metadata": v["metadata"]}
        for v in document["vectors"]
    ]


def as_float32(values: list[float]) -> list[float]:
    """The values as a float32 index stores them (and answers them)."""
    return [float(x) for x in np.asarray(values, dtype=np.float32)]


def cosine_ranking(records: list[dict[str, Any]], query: list[float]) -> list[tuple[str, float]]:
    q = np.asarray(query, dtype=np.float32).astype(np.float64)
    out = []
    for r in records:
        v = np.asarray(r["data"], dtype=np.float32).astype(np.float64)
        out.append((r["key"], 1.0 - float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v)))))
    return sorted(out, key=lambda kv: (kv[1], kv[0]))


def euclidean_ranking(records: list[dict[str, Any]], query: list[float]) -> list[tuple[str, float]]:
    q = np.asarray(query, dtype=np.float64)
    out = [(r["key"], float(np.linalg.norm(q - np.asarray(r["data"])))) for r in records]
    return sorted(out, key=lambda kv: (kv[1], kv[0]))
