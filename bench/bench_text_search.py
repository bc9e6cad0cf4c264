"""Full-text and hybrid search on 100,000 documents in the local S3 Vectors service, vector
search beside them, the SQL path's overhead over boto3, and what a write costs the next query.

    python -m bench bench_text_search

The corpus is sample-data/text_catalog.py's products, 100,000 of them drawn from its parts
(titles like "Kestrel waterproof hiking boots in sand", descriptions of three or four
sentences), each with a seeded random unit vector of 384 dimensions. `title` is searchable in
English, `description` with the standard analyzer (and non-filterable). The service runs as a
process of its own (`python -m devstack s3vectors`), as in bench_bridge.

Three tables, milliseconds:

1. Latency by kind of query, boto3 straight to the service: vector only, text on one key,
   text on two keys, hybrid (one key and a vector), text with a filter; top_k 10 and 100.
   Every request is a new one: the service keeps the ranking of a request for its pages, so a
   repeated request would measure that cache.
2. The SQL path's overhead: s3vl.search_text and s3vl.hybrid_search (PostgreSQL, compat's
   aws_lambda.invoke, the Invoke endpoint, the bridge) against the same QueryVectors through
   boto3. As in bench_bridge, each request is sent once untimed first, so both paths read the
   service's cached ranking and the difference is the path's own cost.
3. Writes between queries: one PutVectors of a new document, then a new text query, in turn;
   the query's latency beside the same kind of query without writes, and the write's own.

S3VL_BENCH_DOCS (default 100000) and S3VL_BENCH_QUERIES (default 100) change the sizes.
Everything runs on this machine; on a busy one each figure also waits for a CPU.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_bridge import percentile, serve

ROOT = Path(__file__).resolve().parents[1]
DOCS = int(os.environ.get("S3VL_BENCH_DOCS", "100000"))
QUERIES = int(os.environ.get("S3VL_BENCH_QUERIES", "100"))
WARMUP = 5
ALTERNATIONS = 12
DIMENSION = 384
TOP_KS = (10, 100)
SEED = 100_000
BUCKET = "bench-text"
INDEX = "products"
PUT_CHUNK = 500


def catalog() -> Any:
    """sample-data/text_catalog.py as a module (its folder is not a package)."""
    path = ROOT / "sample-data" / "text_catalog.py"
    spec = importlib.util.spec_from_file_location("text_catalog", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unit_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def texts(parts: Any, seed: int) -> Iterator[tuple[str, str]]:
    """New (title words, description words) pairs, never the same pair twice: a quality and a
    product name, then two words of a description sentence and a color."""
    rng = random.Random(seed)  # noqa: S311 - seeded bench data
    seen: set[tuple[str, str]] = set()
    entries = list(parts.CATALOG.values())
    while True:
        names, qualities, what, how, made_of = rng.choice(entries)
        title = f"{rng.choice(qualities)} {rng.choice(names)}"
        words = rng.choice(what + how + made_of).rstrip(".").split()
        start = rng.randrange(max(1, len(words) - 1))
        description = f"{' '.join(words[start : start + 2])} {rng.choice(parts.COLORS)}"
        if (title, description) not in seen:
            seen.add((title, description))
            yield title, description


def load(client: Any, index_arn: str, products: list[dict[str, Any]], rows: np.ndarray) -> None:
    for start in range(0, len(products), PUT_CHUNK):
        client.put_vectors(
            indexArn=index_arn,
            vectors=[
                {
                    "key": p["key"],
                    "data": {"float32": row.tolist()},
                    "metadata": {k: v for k, v in p.items() if k != "key"},
                }
                for p, row in zip(
                    products[start : start + PUT_CHUNK],
                    rows[start : start + PUT_CHUNK],
                    strict=True,
                )
            ],
        )


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = call()
    return (time.perf_counter() - started) * 1000, answer


def summary(samples: list[float]) -> str:
    return f"{statistics.median(samples):>8.1f} | {percentile(samples, 95):>8.1f}"


class Requests:
    """QueryVectors requests of each kind, new every time."""

    def __init__(self, index_arn: str, parts: Any, rng: np.random.Generator) -> None:
        self.index_arn = index_arn
        self.words = texts(parts, SEED)
        self.rng = rng

    def vector(self) -> list[float]:
        return [float(v) for v in unit_rows(self.rng, 1)[0]]

    def request(self, kind: str, top_k: int) -> dict[str, Any]:
        title, description = next(self.words)
        request: dict[str, Any] = {
            "indexArn": self.index_arn,
            "topK": top_k,
            "returnMetadata": True,
        }
        if kind == "vector":
            request["queryVector"] = {"float32": self.vector()}
            request["returnDistance"] = True
            return request
        request["queryTexts"] = [{"metadataKey": "title", "text": title}]
        request["returnScores"] = True
        if kind == "text, 2 keys":
            request["queryTexts"].append({"metadataKey": "description", "text": description})
        if kind == "hybrid":
            request["queryVector"] = {"float32": self.vector()}
            request["returnDistance"] = True
        if kind == "text + filter":
            request["filter"] = {"in_stock": True, "price": {"$lt": 200}}
        return request


KINDS = ("vector", "text", "text, 2 keys", "hybrid", "text + filter")


def latency_table(client: Any, requests: Requests) -> dict[tuple[str, int], list[float]]:
    results: dict[tuple[str, int], list[float]] = {}
    for top_k in TOP_KS:
        for kind in KINDS:
            samples = []
            for i in range(QUERIES + WARMUP):
                request = requests.request(kind, top_k)
                elapsed, answer = timed(lambda request=request: client.query_vectors(**request))
                assert answer["vectors"], f"{kind}: no result"
                if i >= WARMUP:
                    samples.append(elapsed)
            results[(kind, top_k)] = samples
    return results


def sql_table(client: Any, conn: Any, requests: Requests) -> dict[str, dict[str, list[float]]]:
    """Per query: boto3's QueryVectors and the SQL function asking the same, both after an
    untimed priming request, in alternating order."""
    results: dict[str, dict[str, list[float]]] = {}
    for kind in ("text", "hybrid"):
        times: dict[str, list[float]] = {"boto3": [], "sql": []}
        for i in range(QUERIES + WARMUP):
            request = requests.request(kind, 10)
            request["returnDistance"] = kind == "hybrid"  # what search_text asks
            words = json.dumps({"title": request["queryTexts"][0]["text"]})
            if kind == "text":
                statement = "SELECT vector_id FROM s3vl.search_text(%s::jsonb, %s, top_k => 10)"
                arguments: list[Any] = [words, INDEX]
            else:
                statement = (
                    "SELECT vector_id FROM s3vl.hybrid_search(%b::real[], %s::jsonb, %s, "
                    "top_k => 10)"
                )
                arguments = [request["queryVector"]["float32"], words, INDEX]
            calls = {
                "boto3": lambda request=request: client.query_vectors(**request)["vectors"][0][
                    "key"
                ],
                "sql": lambda s=statement, a=arguments: conn.execute(s, a).fetchone()[0],
            }
            first = calls["boto3"]()  # primes the service's ranking cache
            order = ("boto3", "sql") if i % 2 else ("sql", "boto3")
            for path in order:
                elapsed, found = timed(calls[path])
                if found != first:
                    raise AssertionError(f"{kind} query {i}: {path} found {found}, not {first}")
                if i >= WARMUP:
                    times[path].append(elapsed)
        results[kind] = times
    return results


def writes_table(
    client: Any, requests: Requests, products: list[dict[str, Any]], rng: np.random.Generator
) -> dict[str, list[float]]:
    """A PutVectors of one new document, then a new text query on title, ALTERNATIONS times."""
    writes, queries = [], []
    for turn in range(ALTERNATIONS):
        product = dict(products[turn % len(products)], key=f"new_{turn:04d}")
        vector = {
            "key": product["key"],
            "data": {"float32": unit_rows(rng, 1)[0].tolist()},
            "metadata": {k: v for k, v in product.items() if k != "key"},
        }
        elapsed, _ = timed(
            lambda v=vector: client.put_vectors(indexArn=requests.index_arn, vectors=[v])
        )
        writes.append(elapsed)
        request = requests.request("text", 10)
        elapsed, answer = timed(lambda request=request: client.query_vectors(**request))
        assert answer["vectors"]
        queries.append(elapsed)
    return {"write": writes, "query after write": queries}


def main() -> None:
    import psycopg

    from devstack import stack
    from devstack.postgres import TemporaryCluster

    parts = catalog()
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    products = parts.products(DOCS, SEED)
    with (
        TemporaryCluster() as cluster,
        serve("s3vectors", keys=("S3VECTORS_URL",)) as s3vectors,
    ):
        url = s3vectors["S3VECTORS_URL"]
        client = stack.s3vectors_client(url)
        client.create_vector_bucket(vectorBucketName=BUCKET)
        client.create_index(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            dataType="float32",
            dimension=DIMENSION,
            distanceMetric="cosine",
            metadataConfiguration={
                "nonFilterableMetadataKeys": ["description"],
                "textSearchConfigurations": [
                    {"metadataKey": "title", "language": "en"},
                    {"metadataKey": "description"},
                ],
            },
        )
        index_arn = client.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]["indexArn"]
        load(client, index_arn, products, unit_rows(rng, DOCS))
        loaded = time.perf_counter() - started
        requests = Requests(index_arn, parts, rng)
        latencies = latency_table(client, requests)

        with serve(
            "lambda", "--s3vectors-url", url, "--index-arn", index_arn, "--region", stack.REGION,
            keys=("LAMBDA_URL", "LAMBDA_ARN"),
        ) as function:  # fmt: skip
            cluster.create_database("bench")
            stack.install_s3vl(cluster, "bench", lambda_url=function["LAMBDA_URL"])
            stack.configure_and_register(
                cluster, "bench", lambda_arn=function["LAMBDA_ARN"], index_arn=index_arn,
                index_name=INDEX,
            )  # fmt: skip
            with psycopg.connect(cluster.dsn("bench"), autocommit=True) as conn:
                through_sql = sql_table(client, conn, requests)
        alternating = writes_table(client, requests, products, rng)
        # Printed before the service stops: a stop that takes long loses no figure.
        report(latencies, through_sql, alternating, loaded, time.perf_counter() - started)


def report(
    latencies: dict[tuple[str, int], list[float]],
    through_sql: dict[str, dict[str, list[float]]],
    alternating: dict[str, list[float]],
    loaded: float,
    total: float,
) -> None:
    print(
        f"full-text and hybrid search: {DOCS:,} documents x {DIMENSION} dimensions, "
        f"{QUERIES} new queries per row (load {loaded:.0f} s, total {total:.0f} s), "
        "milliseconds through boto3"
    )
    header = f"{'query':<14} | {'top_k':>5} | {'median':>8} | {'p95':>8}"
    print(header)
    print("-" * len(header))
    for (kind, top_k), samples in latencies.items():
        print(f"{kind:<14} | {top_k:>5} | {summary(samples)}")

    print("\nthe SQL path over boto3, same request (top_k 10, one key), milliseconds")
    header = (
        f"{'query':<26} | {'boto3 median':>12} | {'SQL median':>10} | {'SQL p95':>7} | "
        f"{'overhead median':>15} | {'overhead p95':>12}"
    )
    print(header)
    print("-" * len(header))
    for kind, times in through_sql.items():
        overhead = [s - b for s, b in zip(times["sql"], times["boto3"], strict=True)]
        name = "s3vl.search_text" if kind == "text" else "s3vl.hybrid_search"
        print(
            f"{name:<26} | {statistics.median(times['boto3']):>12.2f} | "
            f"{statistics.median(times['sql']):>10.2f} | {percentile(times['sql'], 95):>7.2f} | "
            f"{statistics.median(overhead):>15.2f} | {percentile(overhead, 95):>12.2f}"
        )

    print(f"\na write between text queries ({ALTERNATIONS} turns), milliseconds")
    header = f"{'step':<30} | {'median':>8} | {'p95':>8}"
    print(header)
    print("-" * len(header))
    print(f"{'text query, no write before':<30} | {summary(latencies[('text', 10)])}")
    for step, samples in alternating.items():
        print(f"{step:<30} | {summary(samples)}")


if __name__ == "__main__":
    main()
