"""Warm overhead of the bridge handler on one query_vectors request, S3 Vectors excluded.

The handler runs in-process with its real botocore client behind botocore's Stubber (the
AWS side is stubbed, none of our code is). Two timings per case:
  handler  - lambda_handler(event, context) end to end (validation, allowlist, Powertools
             logger/metrics incl. the EMF flush, result rows, envelope);
  botocore - the same QueryVectors call on the same stubbed client alone (parameter
             validation and serialisation of the 1024-float vector, response handling);
overhead = handler - botocore, per request pair (both run back to back, interleaved): what
the bridge adds to the S3 Vectors call; its median and p95 are of those differences.

    .venv/bin/python -m bench bench_handler
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INDEX_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/bench/index/docs"
DIMENSION = 1024
WARMUP = 300
RUNS = 3000


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "S3VL_INDEX_ARNS": INDEX_ARN,
            "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
            "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    os.environ.pop("S3VECTORS_ENDPOINT_URL", None)
    if str(ROOT / "lambda_src") not in sys.path:
        sys.path.insert(0, str(ROOT / "lambda_src"))


class Context:
    function_name = "s3vl-bridge"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"
    aws_request_id = "bench-request"


def _response(top_k: int) -> dict[str, Any]:
    body = _answer(top_k)
    # As over HTTP, the answer says its size: the bridge bounds the response size by it.
    length = len(json.dumps(body, separators=(",", ":")).encode())
    return {**body, "ResponseMetadata": {"HTTPHeaders": {"content-length": str(length)}}}


def _answer(top_k: int) -> dict[str, Any]:
    return {
        "distanceMetric": "cosine",
        "vectors": [
            {
                "key": f"product-{i:06d}",
                "distance": 0.05 + i * 0.001,
                "metadata": {
                    "title": f"Product number {i}",
                    "category": ["shoes", "shirts", "hats"][i % 3],
                    "price": 10.5 + i,
                    "in_stock": i % 2 == 0,
                    "tags": ["sale", "new"],
                },
            }
            for i in range(top_k)
        ],
    }


def _percentiles(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return statistics.median(ordered) / 1e3, p95 / 1e3


def _measure(top_k: int) -> dict[str, tuple[float, float, float]]:
    from botocore.stub import Stubber
    from s3vl_bridge import client
    from s3vl_bridge.handler import lambda_handler

    s3v = client.s3vectors()
    vector = [((j * 7) % 13) / 13.0 + 0.01 for j in range(DIMENSION)]
    event = {
        "operation": "query_vectors",
        "index_arn": INDEX_ARN,
        "query_vector": vector,
        "top_k": top_k,
        "return_metadata": True,
    }
    params = {
        "indexArn": INDEX_ARN,
        "topK": top_k,
        "returnMetadata": True,
        "returnDistance": True,
        "queryVector": {"float32": vector},
    }
    response = _response(top_k)
    context = Context()
    total = WARMUP + RUNS
    clock = time.thread_time_ns  # CPU time of this thread: steady on a busy machine
    handler_ns: list[int] = []
    botocore_ns: list[int] = []
    handler_wall: list[int] = []
    botocore_wall: list[int] = []
    with Stubber(s3v) as stub, Path(os.devnull).open("w") as sink, contextlib.redirect_stdout(sink):
        for _ in range(2 * total):
            stub.add_response("query_vectors", response)
        # Interleaved, so load on the machine hits both timings of a pair alike.
        for i in range(total):
            started, started_wall = clock(), time.perf_counter_ns()
            answer = lambda_handler(event, context)
            middle, middle_wall = clock(), time.perf_counter_ns()
            s3v.query_vectors(**params)
            ended, ended_wall = clock(), time.perf_counter_ns()
            assert answer["success"] and len(answer["result"]) == top_k, answer
            if i >= WARMUP:
                handler_ns.append(middle - started)
                botocore_ns.append(ended - middle)
                handler_wall.append(middle_wall - started_wall)
                botocore_wall.append(ended_wall - middle_wall)
    overhead_ns = [h - b for h, b in zip(handler_ns, botocore_ns, strict=True)]
    overhead_wall = [h - b for h, b in zip(handler_wall, botocore_wall, strict=True)]
    return {
        "handler": (*_percentiles(handler_ns), _percentiles(handler_wall)[0]),
        "botocore": (*_percentiles(botocore_ns), _percentiles(botocore_wall)[0]),
        "overhead": (*_percentiles(overhead_ns), _percentiles(overhead_wall)[0]),
    }


def main() -> None:
    _environment()
    print(
        f"warm query_vectors, {DIMENSION}-d query, metadata on, {RUNS} requests after "
        f"{WARMUP} warm-up (python {sys.version.split()[0]})"
    )
    print("CPU time of the request's thread (steady under load); wall median for reference")
    print(f"{'top_k':>6} {'part':<22} {'median us':>10} {'p95 us':>10} {'wall med us':>12}")
    for top_k in (10, 100):
        timings = _measure(top_k)
        for part, label in (
            ("handler", "handler (end to end)"),
            ("botocore", "stubbed botocore call"),
            ("overhead", "bridge overhead"),
        ):
            median, p95, wall = timings[part]
            print(f"{top_k:>6} {label:<22} {median:>10.1f} {p95:>10.1f} {wall:>12.1f}")


if __name__ == "__main__":
    main()
