"""Writes from SQL: rows per second through s3vl.put_vectors (both forms), through a synced
table's trigger, and through s3vl.flush, for 10,000 x 768 vectors, on the whole local path
(PostgreSQL -> aws_lambda.invoke -> Invoke endpoint -> bridge handler -> local S3 Vectors).

    python -m bench bench_write

boto3 straight to the local service is the floor the SQL path cannot beat: the difference is
s3vl's own cost (checks in plpgsql, JSON, the HTTP hop, the handler's pydantic). The floor
itself is split in two: a default boto3 client preparing the same requests with nothing sent
(its parameter validation and serialisation, a cost of the client), and the local service
answering the same bodies sent ready-made over one kept-alive connection (its own cost).
Everything runs on this machine; the figures say nothing about network latency to AWS.
"""

from __future__ import annotations

import contextlib
import io
import json
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


class _Prepared(Exception):
    """Raised from before-send: the request is ready and is not sent."""


def client_alone(client: Any, index_arn: str, batches: list[list[dict[str, Any]]]) -> float:
    """Seconds a default boto3 client takes to validate, serialise and sign the PutVectors of
    `batches`, with nothing sent."""

    def stop(**_: Any) -> None:
        raise _Prepared

    client.meta.events.register_first("before-send.s3vectors.PutVectors", stop)
    started = time.perf_counter()
    for batch in batches:
        with contextlib.suppress(_Prepared):
            client.put_vectors(indexArn=index_arn, vectors=batch)
    elapsed = time.perf_counter() - started
    client.meta.events.unregister("before-send.s3vectors.PutVectors", stop)
    return elapsed


def service_alone(client: Any, url: str, index_arn: str, bodies: list[bytes]) -> float:
    """Seconds the local service takes to answer PutVectors of ready JSON bodies, sent over one
    kept-alive connection with the headers a client signed for the first of them."""
    import http.client
    from urllib.parse import urlsplit

    signed: dict[str, str] = {}

    def keep(request: Any, **_: Any) -> None:
        signed.update(
            {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )

    client.meta.events.register("before-send.s3vectors.PutVectors", keep)
    client.put_vectors(
        indexArn=index_arn, vectors=[{"key": "probe", "data": {"float32": [1.0] * DIMENSION}}]
    )
    client.meta.events.unregister("before-send.s3vectors.PutVectors", keep)
    client.delete_vectors(indexArn=index_arn, keys=["probe"])
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "", target.port)
    started = time.perf_counter()
    for body in bodies:
        headers = {**signed, "Content-Length": str(len(body))}
        connection.request("POST", "/PutVectors", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


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

        batches = [
            [
                {"key": f"v{start + i:05d}", "data": {"float32": row.tolist()},
                 "metadata": {"grp": (start + i) % 10}}
                for i, row in enumerate(rows[start : start + 500])
            ]
            for start in range(0, VECTORS, 500)
        ]  # fmt: skip

        def by_boto3() -> None:
            for batch in batches:
                client.put_vectors(indexArn=index_arn, vectors=batch)

        results.append(("boto3 PutVectors, 500 per call (floor)", timed(by_boto3)))
        empty(client, index_arn)
        results.append(("  of which the boto3 client alone (nothing sent)",
                         client_alone(client, index_arn, batches)))  # fmt: skip
        bodies = [json.dumps({"indexArn": index_arn, "vectors": b}).encode() for b in batches]
        results.append(("  of which the local service alone (ready bodies)",
                        service_alone(client, stack.s3vectors_url, index_arn, bodies)))  # fmt: skip
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
