"""Writes from SQL: rows per second through s3vl.put_vectors (both forms), through a synced
table's trigger, and through s3vl.flush, for 10,000 x 768 vectors, on the whole local path
(PostgreSQL -> aws_lambda.invoke -> Invoke endpoint -> bridge handler -> local S3 Vectors).

    python -m bench bench_write

boto3 straight to the local service is the floor the SQL path cannot beat, measured two ways:

- a default boto3 client, as a user's own script would call PutVectors: botocore validates
  and serialises every float in Python. Split in two: the client preparing the same requests
  with nothing sent (its own cost), and the local service answering the same bodies sent
  ready-made over one kept-alive connection (the service's cost).
- the call as the bridge makes it (its client: no parameter validation, each vector serialised
  once by pydantic_core.to_json into a ready body; s3vl_bridge.client.call). This is the floor
  the goal (issue 11: put_vectors and flush at 0.8x of it) is measured against, and the one the
  vs-floor column divides by: every s3vl write reaches S3 Vectors through exactly this call, so
  what lies between the two is s3vl's own cost (checks in plpgsql, the request's JSON, the HTTP
  hop, the Lambda runtime's parse, the handler's pydantic). The default client's per-float
  checks are a cost of that client, which no s3vl write pays.

Everything runs on this machine; the figures say nothing about network latency to AWS.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

VECTORS = 10_000
DIMENSION = 768
FLOOR = "boto3 PutVectors as the bridge calls it (floor)"
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


def bridge_put(url: str) -> Callable[[str, list[dict[str, Any]]], None]:
    """PutVectors as the bridge calls it: its own client (s3vl_bridge.client, made from the
    function's settings) with a body of each vector serialised once (operations/write.py).
    The bridge's modules are imported afresh for this, so the function the local endpoint
    hosts in this process keeps its own (its settings, its client)."""
    import importlib
    from unittest import mock

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambda_src"))
    hosted = {n: m for n, m in sys.modules.items() if n.partition(".")[0] == "s3vl_bridge"}
    for name in hosted:
        del sys.modules[name]
    environment = {
        "S3VECTORS_ENDPOINT_URL": url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    try:
        bridge_client = importlib.import_module("s3vl_bridge.client")
        with mock.patch.dict(os.environ, environment):
            bridge_client.s3vectors()  # made now, with these settings and credentials
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "s3vl_bridge"]:
            del sys.modules[name]
        sys.modules.update(hosted)

    def put(index_arn: str, batch: list[dict[str, Any]]) -> None:
        head = b'{"indexArn":' + bridge_client.json_body(index_arn) + b',"vectors":['
        body = head + b",".join(bridge_client.json_body(item) for item in batch) + b"]}"
        bridge_client.call("put_vectors", indexArn=index_arn, vectors=batch, body=body)

    return put


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

        results.append(("boto3 PutVectors, 500 per call (default client)", timed(by_boto3)))
        empty(client, index_arn)
        results.append(("  of which the boto3 client alone (nothing sent)",
                         client_alone(client, index_arn, batches)))  # fmt: skip
        bodies = [json.dumps({"indexArn": index_arn, "vectors": b}).encode() for b in batches]
        results.append(("  of which the local service alone (ready bodies)",
                        service_alone(client, stack.s3vectors_url, index_arn, bodies)))  # fmt: skip
        empty(client, index_arn)

        put = bridge_put(stack.s3vectors_url)

        def as_the_bridge() -> None:
            for batch in batches:
                put(index_arn, batch)

        floor = timed(as_the_bridge)
        results.append((FLOOR, floor))
        assert count(client, index_arn) == VECTORS
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

            # A session that made small puts first: plpgsql would keep generic plans after
            # five, in which each row's slice of the batch reads the whole array (issue 11).
            for _ in range(10):
                conn.execute(
                    "SELECT s3vl.put_vectors(%s, ARRAY[key], ARRAY[emb]) FROM src LIMIT 1",
                    (INDEX,),
                )
            results.append((
                "s3vl.put_vectors (arrays), after 10 small puts",
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
                "s3vl.flush(index) (batches of 1,500)",
                timed(lambda: conn.execute("SELECT * FROM s3vl.flush(%s)", (INDEX,))),
            ))  # fmt: skip
            assert count(client, index_arn) == VECTORS

            # The same rows already in a table when it is synced: sync_table's backfill.
            conn.execute("CREATE TABLE backfilled AS SELECT * FROM src")
            conn.execute("ALTER TABLE backfilled ADD PRIMARY KEY (key)")
            backfill = "SELECT s3vl.sync_table('backfilled', 'key', 'emb', %s, ARRAY['grp'])"
            results.append((
                "sync_table backfilling a table of them (-> outbox)",
                timed(lambda: conn.execute(backfill, (INDEX,))),
            ))  # fmt: skip

    print(f"writes from SQL: {VECTORS:,} x {DIMENSION} float32 vectors with one metadata key")
    header = f"{'path':<52} | {'seconds':>7} | {'rows/s':>7} | {'vs floor':>8}"
    print(header)
    print("-" * len(header))
    for name, seconds in results:
        ratio = f"{floor / seconds:>7.2f}x" if name.startswith(("s3vl.", FLOOR)) else ""
        print(f"{name:<52} | {seconds:>7.1f} | {VECTORS / seconds:>7.0f} | {ratio:>8}")
    print(f"vs floor: rows/s over those of '{FLOOR.strip()}' (the goal's floor), same run")


if __name__ == "__main__":
    main()
