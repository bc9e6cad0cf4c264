"""Exact nearest neighbours of the test data, computed independently of the service."""

from __future__ import annotations

from typing import Any

import numpy as np


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
