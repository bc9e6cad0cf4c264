"""What a query vector's encodings cost, hop by hop, at 128, 768 and 4096 dimensions.

    python -m bench bench_encodings

A top-10 query vector crosses several encodings between SQL and the service: PostgreSQL
builds the request (s3vl.query_vectors), the compat layer posts it (aws_lambda.invoke), the
Lambda runtime parses it and the bridge validates it (pydantic), the bridge's S3 Vectors
client serialises it, and the service parses it. Two tables:

- per stage, end to end (as bench_bridge, for each dimension): the median time of the same
  query through boto3 straight to the service, then as an Invoke to the endpoint, then through
  aws_lambda.invoke in PostgreSQL, then through s3vl.query_vectors; each stage's cost is the
  median per-query difference to the stage before. The services run as processes of their
  own, from this checkout.
- per encoding, in this process (one vector, no I/O): what each hop's parse or serialisation
  of the vector costs with the encoder that hop uses, beside the one it used before.

Each query vector is sent once untimed first (the service caches a ranking for its pages), and
the stages run in rotating order. Everything runs on this machine: the figures are the
encodings' CPU cost, not network latency.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_bridge import Paths, serve

DIMENSIONS = (128, 768, 4096)
VECTORS = 2_000
QUERIES = 200
WARMUP = 20
TOP_K = 10
SEED = 4096
BUCKET = "bench-encodings"
STAGES = ("boto3", "invoke_http", "aws_lambda", "sql")


def unit_rows(rng: np.random.Generator, count: int, dimension: int) -> np.ndarray:
    rows = rng.standard_normal((count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class SqlPaths(Paths):
    """bench_bridge's stages with the index named per dimension."""

    def __init__(self, *args: Any, index: str) -> None:
        super().__init__(*args)
        self.index = index

    def sql(self, values: list[float], top_k: int) -> str:
        rows = self.conn.execute(
            "SELECT * FROM s3vl.query_vectors(%b::real[], index_name => %s, top_k => %s)",
            [values, self.index, top_k],
        ).fetchall()
        return str(rows[0][0])


def measure(paths: Paths, queries: np.ndarray) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for i, vector in enumerate(queries):
        values = vector.tolist()
        payload = paths.payload(values, TOP_K)
        calls: dict[str, Callable[[], str]] = {
            "boto3": partial(paths.boto3, values, TOP_K),
            "invoke_http": partial(paths.invoke_http, payload),
            "aws_lambda": partial(paths.aws_lambda, payload),
            "sql": partial(paths.sql, values, TOP_K),
        }
        nearest = paths.boto3(values, TOP_K)  # primes the service's ranking cache
        shift = i % len(STAGES)
        for stage in STAGES[shift:] + STAGES[:shift]:
            started = time.perf_counter()
            found = calls[stage]()
            elapsed = (time.perf_counter() - started) * 1000
            if found != nearest:
                raise AssertionError(f"query {i}: {stage} and boto3 disagree on the nearest")
            if i >= WARMUP:
                times[stage].append(elapsed)
    return times


def best_ms(action: Callable[[], Any], repeat: int = 30) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def encodings(dimension: int) -> list[tuple[str, float]]:
    """Per hop, the vector's encoding as each encoder does it (best of 30, ms)."""
    import boto3
    import pydantic_core
    from botocore.config import Config
    from moto.core.parse import RestJSONParser  # what moto's model-driven parsing uses

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambda_src"))
    from s3vl_bridge.models.query_vectors import QueryVectors

    vector = unit_rows(np.random.default_rng(dimension), 1, dimension)[0].tolist()
    arn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/bench-encodings/index/bench-index"
    event = {"operation": "query_vectors", "index_arn": arn, "query_vector": vector, "top_k": 10}
    payload = json.dumps(event)
    params = {"indexArn": arn, "topK": 10, "queryVector": {"float32": vector}}
    body = json.dumps(params).encode()
    client_config = {
        "region_name": "us-east-1",
        "endpoint_url": "http://127.0.0.1:9",
        "aws_access_key_id": "x",
        "aws_secret_access_key": "x",
    }

    def serialiser(validate: bool) -> Callable[[], Any]:
        client = boto3.client(
            "s3vectors", config=Config(parameter_validation=validate), **client_config
        )
        model = client.meta.service_model.operation_model("QueryVectors")
        serializer = client._serializer  # what the client runs on every call
        if validate:
            return lambda: client._convert_to_request_dict(params, model, "http://x", {})
        return lambda: serializer.serialize_to_request(params, model)

    operation = boto3.client("s3vectors", **client_config).meta.service_model.operation_model(
        "QueryVectors"
    )
    parser = RestJSONParser(operation)
    request: Any = {"method": "POST", "values": {}, "headers": {}, "body": body, "url_path": "/"}
    request["url_params"] = {}
    QueryVectors.model_validate(event)  # builds the model's schema (deferred) first
    return [
        ("Lambda runtime: json.loads of the payload", best_ms(lambda: json.loads(payload))),
        ("bridge: pydantic QueryVectors", best_ms(lambda: QueryVectors.model_validate(event))),
        ("bridge client: botocore validate + serialise", best_ms(serialiser(True))),
        ("bridge client: botocore serialise (no validation)", best_ms(serialiser(False))),
        ("bridge client: pydantic_core.to_json", best_ms(lambda: pydantic_core.to_json(params))),
        ("service: moto's model-driven parse", best_ms(lambda: parser.parse(request))),
        ("service: pydantic_core.from_json", best_ms(lambda: pydantic_core.from_json(body))),
    ]


def main() -> None:
    import psycopg

    from devstack import stack
    from devstack.postgres import TemporaryCluster

    rng = np.random.default_rng(SEED)
    stage_times: dict[int, dict[str, list[float]]] = {}
    with (
        TemporaryCluster() as cluster,
        serve("s3vectors", keys=("S3VECTORS_URL",)) as s3vectors,
    ):
        url = s3vectors["S3VECTORS_URL"]
        client = stack.s3vectors_client(url)
        client.create_vector_bucket(vectorBucketName=BUCKET)
        arns = {}
        for dimension in DIMENSIONS:
            spec = stack.IndexSpec(f"bench-{dimension}", dimension)
            arns[dimension] = stack.create_index(client, BUCKET, spec)
            rows = unit_rows(rng, VECTORS, dimension)
            for start in range(0, VECTORS, 100):
                client.put_vectors(
                    indexArn=arns[dimension],
                    vectors=[
                        {"key": f"v{start + i:05d}", "data": {"float32": row.tolist()}}
                        for i, row in enumerate(rows[start : start + 100])
                    ],
                )
        bucket_arn = arns[DIMENSIONS[0]].split("/index/")[0]
        with serve(
            "lambda", "--s3vectors-url", url, "--bucket-arn", bucket_arn, "--region", stack.REGION,
            keys=("LAMBDA_URL", "LAMBDA_ARN"),
        ) as function:  # fmt: skip
            cluster.create_database("bench")
            stack.install_s3vl(cluster, "bench", lambda_url=function["LAMBDA_URL"])
            with psycopg.connect(cluster.dsn("bench"), autocommit=True) as conn:
                conn.execute(
                    "SELECT s3vl.configure(%s, %s, 30, function_timeout_seconds => 30)",
                    [function["LAMBDA_ARN"], stack.REGION],
                )
                for dimension in DIMENSIONS:
                    conn.execute(
                        "SELECT s3vl.register_index(%s, %s, 'bench_encodings')",
                        [f"bench-{dimension}", arns[dimension]],
                    )
                    paths = SqlPaths(
                        client, conn, arns[dimension], function["LAMBDA_URL"],
                        function["LAMBDA_ARN"], index=f"bench-{dimension}",
                    )  # fmt: skip
                    queries = unit_rows(rng, QUERIES + WARMUP, dimension)
                    stage_times[dimension] = measure(paths, queries)

    print(
        f"a top-{TOP_K} query vector through each stage ({QUERIES} queries per dimension, "
        f"{VECTORS:,} cosine vectors per index), median ms; a stage's cost is the median "
        "per-query difference to the stage before"
    )
    header = (
        f"{'dim':>5} | {'boto3':>6} | {'+ Invoke + bridge':>17} | {'+ aws_lambda.invoke':>19} | "
        f"{'+ s3vl SQL':>10} | {'end to end':>10}"
    )
    print(header)
    print("-" * len(header))
    for dimension, times in stage_times.items():
        steps = [
            statistics.median([b - a for a, b in zip(times[x], times[y], strict=True)])
            for x, y in itertools.pairwise(STAGES)
        ]
        print(
            f"{dimension:>5} | {statistics.median(times['boto3']):>6.2f} | {steps[0]:>17.2f} | "
            f"{steps[1]:>19.2f} | {steps[2]:>10.2f} | {statistics.median(times['sql']):>10.2f}"
        )

    print("\nper encoding of one query vector, in this process, best of 30, ms")
    header = f"{'hop: encoder':<52} | " + " | ".join(f"{d:>6}" for d in DIMENSIONS)
    print(header)
    print("-" * len(header))
    table = {dimension: encodings(dimension) for dimension in DIMENSIONS}
    for row, (name, _) in enumerate(table[DIMENSIONS[0]]):
        cells = " | ".join(f"{table[d][row][1]:>6.3f}" for d in DIMENSIONS)
        print(f"{name:<52} | {cells}")


if __name__ == "__main__":
    main()
