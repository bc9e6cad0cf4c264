"""Bridge overhead: one query through SQL (s3vl.query_vectors -> aws_lambda.invoke -> Invoke
endpoint -> bridge handler -> boto3) minus the same query through boto3 directly, against the
same local S3 Vectors service holding 10,000 x 768 vectors.

    python -m bench bench_bridge

The local S3 Vectors service and the Lambda endpoint run as separate processes
(`python -m devstack s3vectors` / `lambda`), as S3 Vectors, Lambda and the database never
share a process in a deployment; in one process the servers and this client would compete
for one GIL. Each query vector is sent once untimed first: the service caches the ranking of
a request (for its pages), and the path that ran second would otherwise get the cached
answer. Then both paths run back to back, in alternating order. The query vector goes to
PostgreSQL in binary (psycopg's text form of a 768-float list costs ~1 ms of Python in this
client, a cost of the client, not of the bridge).

Two tables, in milliseconds: the median and p95 of each path and of the per-query difference
(the overhead), for top_k 10 and 100; and where the overhead goes: the median per-query
difference each stage adds to the one before it, the stages being
  boto3              QueryVectors from this process
  + Invoke HTTP      the same request as a Lambda Invoke to the endpoint (its HTTP server, the
                     handler: pydantic, Powertools, its own boto3 call, the envelope)
  + aws_lambda.invoke  the same payload through PostgreSQL and the compat layer (plpython3u)
  + s3vl             s3vl.query_vectors (argument checks, payload building, result rows)
Everything runs on this machine, so the figures measure the bridge's own cost, not network
latency to AWS; on a busy machine each stage also waits for a CPU.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VECTORS = 10_000
DIMENSION = 768
QUERIES = 1_000
TOP_KS = (10, 100)
WARMUP = 20
SEED = 768
BUCKET = "bench-bucket"
INDEX = "bench-index"
STAGES = ("boto3", "invoke_http", "aws_lambda", "sql")


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


@contextlib.contextmanager
def serve(*args: str, keys: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """`python -m devstack ARGS` in a process of its own; yields the KEY=value lines it
    announces (its URL...). Its other output (the function's EMF metrics) goes to a temp file."""
    environment = {**os.environ, "POWERTOOLS_LOG_LEVEL": "ERROR"}
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", *args],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield _announced(output, process, keys)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _announced(
    output: Any, process: subprocess.Popen[str], keys: tuple[str, ...]
) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        output.seek(0)
        text = output.read()
        found = dict(
            line.split("=", 1) for line in text.splitlines() if line.split("=", 1)[0] in keys
        )
        if len(found) == len(keys):
            return found
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    raise RuntimeError(f"{process.args} did not print {', '.join(keys)} within 60 s")


class Paths:
    """The same QueryVectors request through each stage, each returning the nearest key."""

    def __init__(self, client: Any, conn: Any, index_arn: str, lambda_url: str, lambda_arn: str):
        self.client = client
        self.conn = conn
        self.index_arn = index_arn
        self.lambda_arn = lambda_arn
        url = urlsplit(lambda_url)
        self.http = http.client.HTTPConnection(url.hostname, url.port)  # kept alive
        self.invoke_path = f"/2015-03-31/functions/{lambda_arn}/invocations"

    def boto3(self, values: list[float], top_k: int) -> str:
        hits = self.client.query_vectors(
            indexArn=self.index_arn,
            queryVector={"float32": values},
            topK=top_k,
            returnMetadata=True,
            returnDistance=True,
        )["vectors"]
        return str(hits[0]["key"])

    def payload(self, values: list[float], top_k: int) -> str:
        """What s3vl.query_vectors sends for this query (float32 values as exact doubles)."""
        return json.dumps(
            {
                "operation": "query_vectors",
                "index_arn": self.index_arn,
                "query_vector": values,
                "top_k": top_k,
                "return_metadata": True,
            }
        )

    def invoke_http(self, payload: str) -> str:
        self.http.request("POST", self.invoke_path, body=payload.encode())
        envelope = json.loads(self.http.getresponse().read())
        return str(envelope["result"][0]["vector_id"])

    def aws_lambda(self, payload: str) -> str:
        row = self.conn.execute(
            "SELECT payload FROM aws_lambda.invoke(%s, %s::jsonb)", [self.lambda_arn, payload]
        ).fetchone()
        return str(row[0]["result"][0]["vector_id"])

    def sql(self, values: list[float], top_k: int) -> str:
        rows = self.conn.execute(
            "SELECT * FROM s3vl.query_vectors(%b::real[], index_name => %s, top_k => %s)",
            [values, INDEX, top_k],
        ).fetchall()
        return str(rows[0][0])


def measure(paths: Paths, queries: np.ndarray, top_k: int) -> dict[str, list[float]]:
    """Per query: milliseconds through each stage (same vector, same top_k), after one untimed
    call that leaves the ranking in the service's cache for all of them; the order rotates so
    no stage always runs first."""
    times: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for i, vector in enumerate(queries):
        values = vector.tolist()
        payload = paths.payload(values, top_k)
        calls: dict[str, Callable[[], str]] = {
            "boto3": partial(paths.boto3, values, top_k),
            "invoke_http": partial(paths.invoke_http, payload),
            "aws_lambda": partial(paths.aws_lambda, payload),
            "sql": partial(paths.sql, values, top_k),
        }
        nearest = paths.boto3(values, top_k)  # primes the cache
        shift = i % len(STAGES)
        for stage in STAGES[shift:] + STAGES[:shift]:
            started = time.perf_counter()
            found = calls[stage]()
            elapsed = (time.perf_counter() - started) * 1000
            if found != nearest:
                raise AssertionError(f"query {i}: {stage} and boto3 disagree on the nearest vector")
            if i >= WARMUP:
                times[stage].append(elapsed)
    return times


def main() -> None:
    import psycopg

    from devstack import stack
    from devstack.postgres import TemporaryCluster

    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
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
        )
        index_arn = client.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]["indexArn"]
        load_index(client, index_arn, rng)
        queries = unit_rows(rng, QUERIES + WARMUP)
        loaded = time.perf_counter() - started

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
            results = {}
            with psycopg.connect(cluster.dsn("bench"), autocommit=True) as conn:
                paths = Paths(
                    client, conn, index_arn, function["LAMBDA_URL"], function["LAMBDA_ARN"]
                )
                for top_k in TOP_KS:
                    results[top_k] = measure(paths, queries, top_k)

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
    for top_k, times in results.items():
        direct, through_sql = times["boto3"], times["sql"]
        overhead = [s - d for s, d in zip(through_sql, direct, strict=True)]
        print(
            f"{top_k:>5} | {statistics.median(direct):>12.2f} | {percentile(direct, 95):>9.2f} | "
            f"{statistics.median(through_sql):>10.2f} | {percentile(through_sql, 95):>7.2f} | "
            f"{statistics.median(overhead):>15.2f} | {percentile(overhead, 95):>12.2f}"
        )
    print("\nwhere the overhead goes: median per-query difference to the stage before, ms")
    header = (
        f"{'top_k':>5} | {'boto3':>6} | {'+ Invoke HTTP':>13} | {'+ aws_lambda.invoke':>19} | "
        f"{'+ s3vl':>6}"
    )
    print(header)
    print("-" * len(header))
    for top_k, times in results.items():
        steps = [
            statistics.median([b - a for a, b in zip(times[before], times[after], strict=True)])
            for before, after in itertools.pairwise(STAGES)
        ]
        print(
            f"{top_k:>5} | {statistics.median(times['boto3']):>6.2f} | {steps[0]:>13.2f} | "
            f"{steps[1]:>19.2f} | {steps[2]:>6.2f}"
        )


if __name__ == "__main__":
    main()
