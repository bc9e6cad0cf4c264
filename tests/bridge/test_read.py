"""get_vectors and list_vectors beyond the reference payloads."""

from __future__ import annotations

import pytest

from tests.support.bridge import DOCS, DOCS_ARN, ok, put


def _numbered(n: int) -> list[dict]:
    return [
        {"key": f"k{i:04d}", "data": [1.0, float(i), 0.5, 0.25], "metadata": {"i": i}}
        for i in range(n)
    ]


def test_get_vectors_fetches_any_number_of_keys_in_chunks_of_100_in_request_order(invoke, s3v):
    stored = _numbered(250)
    put(s3v.aws, DOCS_ARN, stored)
    wanted = [f"k{i:04d}" for i in range(249, -1, -1)] + ["nope-1", "k0007", "nope-2"]
    rows = ok(invoke({"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": wanted}))
    unique = list(dict.fromkeys(wanted))
    assert [r["vector_id"] for r in rows] == unique
    assert [r["found"] for r in rows] == [not k.startswith("nope") for k in unique]
    for row in rows[:250]:
        i = int(row["vector_id"][1:])
        assert row["embedding"] == pytest.approx(stored[i]["data"])
        assert row["metadata"] == {"i": i}
    assert s3v.sent.count("GetVectors") == 3  # 252 unique keys: 100 + 100 + 52


def test_list_vectors_segments_split_the_index_without_overlap(invoke, s3v):
    put(s3v.aws, DOCS_ARN, _numbered(60))
    everything = sorted([d["key"] for d in DOCS] + [f"k{i:04d}" for i in range(60)])
    seen: list[str] = []
    for segment in range(4):
        token = None
        while True:
            payload = {
                "operation": "list_vectors",
                "index_arn": DOCS_ARN,
                "max_results": 7,
                "segment_count": 4,
                "segment_index": segment,
                "return_metadata": False,
            }
            if token:
                payload["next_token"] = token
            result = ok(invoke(payload))
            assert all(set(v) == {"vector_id"} for v in result["vectors"])
            seen += [v["vector_id"] for v in result["vectors"]]
            token = result.get("next_token")
            if not token:
                break
    assert sorted(seen) == everything
