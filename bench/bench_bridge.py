"""Bridge overhead: one query through SQL (s3vl.query_vectors -> aws_lambda.invoke -> Invoke
endpoint -> bridge handler -> boto3) minus the same query through boto3 directly, against the
same local S3 Vectors service holding 10,000 x 768 vectors.

    python -m bench bench_bridge

Each query vector runs through both paths back to back; the table shows the median and p95 of
each path and of the per-query difference (the overhead), in milliseconds, for top_k 10 and 100.
Everything runs on this machine, so the figures measure the bridge's own cost (JSON, HTTP hops,
plpgsql parsing, pydantic), not network latency to AWS.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from typing import Any

import numpy as np

VECTORS = 10_000
DIMENSION = 768
QUERIES = 1_000
TOP_KS = (10, 100)
WARMUP = 20
SEED = 768
BUCKET = "bench-bucket"
INDEX = "bench-index"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def unit_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def load_index(client: Any, index_arn: str, rng: np.random.Generator) -> None:
    rows = unit_rows(rng, VECTORS)
    for start in range(0, VECTORS, 500):
        client.put_vectors(
            indexArn=index_arn,
            vectors=[
                {
                    "key": f"v{start + i:05d}",
                    "data": {"float32": row.tolist()},
                    "metadata": {"group": (start + i) % 10},
                }
                for i, row in enumerate(rows[start : start + 500])
            ],
        )


def measure(
    client: Any, conn: Any, index_arn: str, queries: np.ndarray, top_k: int
) -> tuple[list[float], list[float]]:
    """Per query: milliseconds through boto3 and through SQL (same vector, same top_k), the
    order alternating so neither path always runs on a warmer service."""
    sql = "SELECT * FROM s3vl.query_vectors(%s::real[], index_name => %s, top_k => %s)"
    direct: list[float] = []
    through_sql: list[float] = []
    for i, vector in enumerate(queries):
        values = vector.tolist()

        def by_boto3(values: list[float] = values) -> tuple[float, str]:
            started = time.perf_counter()
            hits = client.query_vectors(
                indexArn=index_arn,
                queryVector={"float32": values},
                topK=top_k,
                returnMetadata=True,
                returnDistance=True,
            )["vectors"]
            return (time.perf_counter() - started) * 1000, hits[0]["key"]

        def by_sql(values: list[float] = values) -> tuple[float, str]:
            started = time.perf_counter()
            rows = conn.execute(sql, [values, INDEX, top_k]).fetchall()
            return (time.perf_counter() - started) * 1000, rows[0][0]

        if i % 2:
            (sql_ms, sql_first), (boto3_ms, boto3_first) = by_sql(), by_boto3()
        else:
            (boto3_ms, boto3_first), (sql_ms, sql_first) = by_boto3(), by_sql()
        if sql_first != boto3_first:
            raise AssertionError(f"query {i}: SQL and boto3 disagree on the nearest vector")
        if i >= WARMUP:
            direct.append(boto3_ms)
            through_sql.append(sql_ms)
    return direct, through_sql


def main() -> None:
    import psycopg

    from devstack import up
    from devstack.lambda_invoke.server import LocalLambda
    from devstack.postgres import TemporaryCluster
    from devstack.s3vectors.server import LocalS3Vectors

    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    with (
        TemporaryCluster() as cluster,
        LocalS3Vectors(region=up.REGION) as url,
    ):
        client = up.s3vectors_client(url)
        client.create_vector_bucket(vectorBucketName=BUCKET)
        client.create_index(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            dataType="float32",
            dimension=DIMENSION,
            distanceMetric="cosine",
        )
        index_arn = client.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]["indexArn"]
        load_index(client, index_arn, rng)
        queries = unit_rows(rng, QUERIES + WARMUP)
        loaded = time.perf_counter() - started

        environment = {
            "S3VECTORS_ENDPOINT_URL": url,
            "S3VL_INDEX_ARNS": index_arn,
            "AWS_REGION": up.REGION,
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
        # The hosted function prints EMF metrics per invocation; keep them off the table.
        with (
            open(os.devnull, "w") as devnull,
            contextlib.redirect_stdout(devnull),
            LocalLambda(environment=environment) as function,
        ):
            cluster.create_database("bench")
            up.install_s3vl(cluster, "bench", lambda_url=function.url)
            up.configure_and_register(
                cluster, "bench", lambda_arn=function.function_arn, index_arn=index_arn,
                index_name=INDEX,
            )  # fmt: skip
            results = {}
            with psycopg.connect(cluster.dsn("bench"), autocommit=True) as conn:
                for top_k in TOP_KS:
                    results[top_k] = measure(client, conn, index_arn, queries, top_k)

    print(
        f"bridge overhead: {QUERIES} queries per row on {VECTORS:,} x {DIMENSION} cosine vectors "
        f"(setup {loaded:.0f} s, total {time.perf_counter() - started:.0f} s), milliseconds"
    )
    header = (
        f"{'top_k':>5} | {'boto3 median':>12} | {'boto3 p95':>9} | {'SQL median':>10} | "
        f"{'SQL p95':>7} | {'overhead median':>15} | {'overhead p95':>12}"
    )
    print(header)
    print("-" * len(header))
    for top_k, (direct, through_sql) in results.items():
        overhead = [s - d for s, d in zip(through_sql, direct, strict=True)]
        print(
            f"{top_k:>5} | {statistics.median(direct):>12.2f} | {percentile(direct, 95):>9.2f} | "
            f"{statistics.median(through_sql):>10.2f} | {percentile(through_sql, 95):>7.2f} | "
            f"{statistics.median(overhead):>15.2f} | {percentile(overhead, 95):>12.2f}"
        )


if __name__ == "__main__":
    main()
