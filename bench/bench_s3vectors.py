"""QueryVectors latency of the local S3 Vectors service on 100,000 x 768 float32 vectors.

Two columns per case: the engine alone (IndexStore.rank: matrix product, filter, exact
re-scoring) and the whole call through the real boto3 client under moto's mock_aws
(serialization, routing, JSON). Loading goes through the backend's put_vectors in chunks of
500, the same validation as PutVectors without JSON, to keep the run short.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

COUNT = 100_000
DIMENSION = 768
REPEATS = 30
FILTER = {"category": "c3", "year": {"$gte": 2005}}


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed(call, repeats: int) -> tuple[float, float]:
    call()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), _percentile(samples, 0.95)


def main() -> None:
    import boto3
    from moto import mock_aws

    import devstack.s3vectors as s3v
    from devstack.s3vectors.backend import local_backends
    from devstack.s3vectors.filters import compile_filter

    s3v.install()
    rng = np.random.default_rng(7)
    with mock_aws():
        client = boto3.client("s3vectors", region_name="us-east-1")
        client.create_vector_bucket(vectorBucketName="bench")
        client.create_index(
            vectorBucketName="bench",
            indexName="items",
            dataType="float32",
            dimension=DIMENSION,
            distanceMetric="cosine",
        )
        backend = local_backends["123456789012"]["aws"]
        started = time.perf_counter()
        for first in range(0, COUNT, 500):
            block = rng.standard_normal((500, DIMENSION), dtype=np.float32)
            vectors = [
                {
                    "key": f"item-{first + i:06d}",
                    "data": {"float32": row.tolist()},
                    "metadata": {
                        "category": f"c{(first + i) % 10}",
                        "year": 2000 + (first + i) % 25,
                    },
                }
                for i, row in enumerate(block)
            ]
            backend.put_vectors("bench", "items", "", vectors)
        load_seconds = time.perf_counter() - started
        store = backend.get_index("bench", "items", "").store
        query = rng.standard_normal(DIMENSION, dtype=np.float32)
        predicate = compile_filter(FILTER)
        # The first filtered query after a write builds the typed metadata columns it uses.
        started = time.perf_counter()
        store.rank(query, 10, predicate)
        cold_filter_ms = (time.perf_counter() - started) * 1000

        rows = []
        for top_k in (10, 100):
            for label, filter_doc, pred in (
                ("none", None, None),
                ("10% x year", FILTER, predicate),
            ):
                engine = _timed(lambda k=top_k, p=pred: store.rank(query, k, p), REPEATS)
                request = {
                    "vectorBucketName": "bench",
                    "indexName": "items",
                    "topK": top_k,
                    "queryVector": {"float32": query.tolist()},
                    "returnDistance": True,
                }
                if filter_doc is not None:
                    request["filter"] = filter_doc

                def through_boto3(request=request) -> None:
                    # A new vector each call defeats the per-request ranking cache.
                    request["queryVector"]["float32"][0] += 1e-3
                    client.query_vectors(**request)

                boto = _timed(through_boto3, REPEATS)
                rows.append((top_k, label, *engine, *boto))

    print(
        f"{COUNT:,} x {DIMENSION} float32, cosine; loaded in {load_seconds:.1f} s; "
        f"{REPEATS} queries per case"
    )
    print(f"first filtered query after a write (builds metadata columns): {cold_filter_ms:.0f} ms")
    header = (
        "top_k",
        "filter",
        "engine median ms",
        "engine p95 ms",
        "boto3 median ms",
        "boto3 p95 ms",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for top_k, label, e50, e95, b50, b95 in rows:
        print(f"| {top_k} | {label} | {e50:.1f} | {e95:.1f} | {b50:.1f} | {b95:.1f} |")


if __name__ == "__main__":
    main()
