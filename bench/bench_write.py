"""Writes from SQL: rows per second through s3vl.put_vectors (both forms), through a synced
table's trigger, and through s3vl.flush, for 10,000 x 768 vectors, on the whole local path
(PostgreSQL -> aws_lambda.invoke -> Invoke endpoint -> bridge handler -> local S3 Vectors).

    python -m bench bench_write

boto3 straight to the local service is the floor the SQL path cannot beat: the difference is
s3vl's own cost (checks in plpgsql, JSON, the HTTP hop, the handler's pydantic). Everything
runs on this machine; the figures say nothing about network latency to AWS.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

VECTORS = 10_000
DIMENSION = 768
SEED = 6
BUCKET = "bench-write"
INDEX = "bench-index"


def unit_rows(count: int) -> np.ndarray:
    rows = np.random.default_rng(SEED).standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def copy_rows(conn: Any, table: str, rows: np.ndarray) -> None:
    """COPY (key, emb real[], grp) rows into `table`: the data starts in the database."""
    buffer = io.StringIO()
    for i, row in enumerate(rows):
        values = ",".join(f"{x:.7g}" for x in row)
        buffer.write(f"v{i:05d}\t{{{values}}}\t{i % 10}\n")
    with conn.cursor().copy(f"COPY {table} (key, emb, grp) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def empty(client: Any, index_arn: str) -> None:
    keys = [f"v{i:05d}" for i in range(VECTORS)]
    for start in range(0, VECTORS, 500):
        client.delete_vectors(indexArn=index_arn, keys=keys[start : start + 500])


def count(client: Any, index_arn: str) -> int:
    total, token = 0, None
    while True:
        page = client.list_vectors(
            indexArn=index_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        total += len(page["vectors"])
        token = page.get("nextToken")
        if not token:
            return total


def main() -> None:
    import psycopg

    from devstack.stack import IndexSpec, LocalStack

    rows = unit_rows(VECTORS)
    results: list[tuple[str, float]] = []
    with (
        Path(os.devnull).open("w") as devnull,
        contextlib.redirect_stdout(devnull),  # the hosted function prints EMF metrics
        LocalStack(
            bucket=BUCKET,
            indexes=[IndexSpec(INDEX, DIMENSION)],
            database="bench",
            database_sql=(),
            bridge_environment={"POWERTOOLS_LOG_LEVEL": "ERROR"},
        ) as stack,
    ):
        client = stack.client
        index_arn = stack.index_arn()

        def by_boto3() -> None:
            for start in range(0, VECTORS, 500):
                client.put_vectors(indexArn=index_arn, vectors=[
                    {"key": f"v{start + i:05d}", "data": {"float32": row.tolist()},
                     "metadata": {"grp": (start + i) % 10}}
                    for i, row in enumerate(rows[start : start + 500])
                ])  # fmt: skip

        results.append(("boto3 PutVectors, 500 per call (floor)", timed(by_boto3)))
        empty(client, index_arn)

        with psycopg.connect(stack.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE src (key text PRIMARY KEY, emb real[], grp integer)")
            copy_rows(conn, "src", rows)

            arrays = """SELECT s3vl.put_vectors(%s, array_agg(key ORDER BY key),
                            array_agg(emb ORDER BY key),
                            array_agg(jsonb_build_object('grp', grp) ORDER BY key)) FROM src"""
            results.append((
                "s3vl.put_vectors(index, keys, vectors, metadata)",
                timed(lambda: conn.execute(arrays, (INDEX,))),
            ))  # fmt: skip
            assert count(client, index_arn) == VECTORS
            empty(client, index_arn)

            as_jsonb = """SELECT s3vl.put_vectors(%s, jsonb_agg(jsonb_build_object(
                              'key', key, 'data', emb,
                              'metadata', jsonb_build_object('grp', grp)))) FROM src"""
            results.append((
                "s3vl.put_vectors(index, jsonb)",
                timed(lambda: conn.execute(as_jsonb, (INDEX,))),
            ))  # fmt: skip
            assert count(client, index_arn) == VECTORS
            empty(client, index_arn)

            conn.execute("CREATE TABLE synced (key text PRIMARY KEY, emb real[], grp integer)")
            conn.execute(
                "SELECT s3vl.sync_table('synced', 'key', 'emb', %s, ARRAY['grp'])", (INDEX,)
            )
            results.append((
                "INSERT into a synced table (trigger -> outbox)",
                timed(lambda: conn.execute("INSERT INTO synced SELECT * FROM src")),
            ))  # fmt: skip
            results.append((
                "s3vl.flush(index, 500)",
                timed(lambda: conn.execute("SELECT * FROM s3vl.flush(%s, 500)", (INDEX,))),
            ))  # fmt: skip
            assert count(client, index_arn) == VECTORS

    print(f"writes from SQL: {VECTORS:,} x {DIMENSION} float32 vectors with one metadata key")
    header = f"{'path':<50} | {'seconds':>7} | {'rows/s':>7}"
    print(header)
    print("-" * len(header))
    for name, seconds in results:
        print(f"{name:<50} | {seconds:>7.1f} | {VECTORS / seconds:>7.0f}")


if __name__ == "__main__":
    main()
