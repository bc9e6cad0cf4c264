"""get_vectors of 100 keys with their data (768 float32 values) and metadata: the bridge's
handler against a handler shaped like the aws-samples integration's (bench/sample_handler.py
says what it mirrors; the issue's yardstick), both warm, in this process, against the same
local S3 Vectors service running as a process of its own.

One request is what Lambda does per invocation: the event decoded from JSON, the handler,
and the answer encoded again with json.dumps (the runtime's serialisation, paid by both).
The two handlers run back to back in alternating order; the table gives the median and p95
of wall time and of this thread's CPU time per request, and each against the sample. A
third row, for reference, is the bridge with its rows measured by serialising them (what
budget.check_size did before it counted them), the same requests.

    .venv/bin/python -m bench bench_get_vectors
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
BUCKET = "bench-get"
INDEX = "docs"
DIMENSION = 768
KEYS = 100
WARMUP = 20
RUNS = int(os.environ.get("S3VL_BENCH_RUNS", "200"))


class Context:
    function_name = "s3vl-bridge"
    memory_limit_in_mb = 1024
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:s3vl-bridge"
    aws_request_id = "bench-get-vectors"


@contextlib.contextmanager
def local_service() -> Iterator[str]:
    """`python -m devstack s3vectors` in a process of its own; yields its URL."""
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "s3vectors", "--port", "0"],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                output.seek(0)
                for line in output.read().splitlines():
                    if line.startswith("S3VECTORS_URL="):
                        yield line.split("=", 1)[1]
                        return
                if process.poll() is not None:
                    raise RuntimeError(f"the local service exited with {process.returncode}")
                time.sleep(0.05)
            raise RuntimeError("the local service did not print S3VECTORS_URL within 60 s")
        finally:
            process.terminate()
            process.wait(timeout=10)


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def load(url: str) -> str:
    import boto3

    aws = boto3.client("s3vectors", region_name=REGION, endpoint_url=url)
    aws.create_vector_bucket(vectorBucketName=BUCKET)
    aws.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=DIMENSION,
        distanceMetric="cosine",
    )
    index_arn: str = aws.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]["indexArn"]
    aws.put_vectors(
        indexArn=index_arn,
        vectors=[
            {
                "key": f"doc-{i:05d}",
                "data": {
                    "float32": [_float32(((i * 31 + j) % 97) / 97 - 0.5) for j in range(DIMENSION)]
                },
                "metadata": {"title": f"Document {i}", "category": ["a", "b", "c"][i % 3]},
            }
            for i in range(KEYS)
        ],
    )
    return index_arn


def _timed(invoke: Callable[[Any, Any], dict[str, Any]], payload: str) -> tuple[float, float]:
    """Wall and CPU seconds of one invocation as Lambda runs it: decode, handle, encode."""
    wall, cpu = time.perf_counter(), time.thread_time()
    response = invoke(json.loads(payload), Context())
    body = json.dumps(response)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    if not response["success"] or len(response["result"]) != KEYS or len(body) < KEYS * DIMENSION:
        raise AssertionError(f"unexpected answer: {body[:300]}")
    return wall, cpu


def measure(handlers: dict[str, Callable[[Any, Any], dict[str, Any]]], payload: str) -> dict:
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in handlers}
    names = list(handlers)
    for i in range(WARMUP + RUNS):
        order = names if i % 2 == 0 else names[::-1]  # alternating, so drift hits all alike
        for name in order:
            sample = _timed(handlers[name], payload)
            if i >= WARMUP:
                times[name].append(sample)
    return times


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def main() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
            "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    for path in (ROOT / "lambda_src", ROOT / "bench", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    with local_service() as url, Path(os.devnull).open("w") as sink:
        index_arn = load(url)
        os.environ["S3VECTORS_ENDPOINT_URL"] = url  # the bridge's setting
        os.environ["AWS_ENDPOINT_URL_S3VECTORS"] = url  # what the sample's boto3 reads
        os.environ["S3VL_INDEX_ARNS"] = index_arn
        # The runtime's log handler on the root logger (the sample logs through it).
        logging.getLogger().addHandler(logging.StreamHandler(sink))

        import sample_handler
        from s3vl_bridge import budget, reset_container
        from s3vl_bridge.handler import lambda_handler

        reset_container()

        def measured_rows(event: Any, context: Any) -> dict[str, Any]:
            counted = budget.counted_bytes
            budget.counted_bytes = lambda *_, **__: None  # type: ignore[assignment]
            try:
                return lambda_handler(event, context)
            finally:
                budget.counted_bytes = counted

        payload = json.dumps(
            {
                "operation": "get_vectors",
                "index_arn": index_arn,
                "vector_ids": [f"doc-{i:05d}" for i in range(KEYS)],
                "include_vector_data": True,
                "include_metadata": True,
            }
        )
        handlers = {
            "sample-shaped handler": sample_handler.lambda_handler,
            "s3vl bridge": lambda_handler,
            "s3vl, rows serialised to measure": measured_rows,
        }
        with contextlib.redirect_stdout(sink):
            times = measure(handlers, payload)

    base_wall = statistics.median(w for w, _ in times["sample-shaped handler"])
    base_cpu = statistics.median(c for _, c in times["sample-shaped handler"])
    print(
        f"get_vectors, {KEYS} keys x {DIMENSION} floats + metadata, warm, {RUNS} requests per "
        f"row after {WARMUP} (python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}); "
        "per request: json.loads(event) + handler + json.dumps(answer), ms"
    )
    print(
        f"{'handler':<34} {'wall med':>8} {'wall p95':>8} {'x sample':>8} "
        f"{'cpu med':>8} {'cpu p95':>8} {'x sample':>8}"
    )
    for name, samples in times.items():
        walls = [w * 1e3 for w, _ in samples]
        cpus = [c * 1e3 for _, c in samples]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"{name:<34} {wall:>8.2f} {_p95(walls):>8.2f} {wall / (base_wall * 1e3):>8.2f} "
            f"{cpu:>8.2f} {_p95(cpus):>8.2f} {cpu / (base_cpu * 1e3):>8.2f}"
        )


if __name__ == "__main__":
    main()
