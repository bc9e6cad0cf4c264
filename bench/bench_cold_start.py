"""Cold start of the bridge Lambda: a fresh Python process importing the handler module and
answering one request, against a fresh process that only imports boto3 and creates the
s3vectors client (the floor any Python Lambda calling S3 Vectors pays).

Each case runs in a new interpreter several times (interleaved); the table shows medians of
the wall time and of the CPU time (user + system) of the whole child process, interpreter
start included. CPU time is the steadier figure on a shared machine. Byte code is cached
(in a temporary PYTHONPYCACHEPREFIX) as in a deployed bundle built with compileall; the
first run of each case fills that cache and is not counted. The query case answers one
real query_vectors over HTTP from a local S3 Vectors server started by this benchmark.

    .venv/bin/python -m bench bench_cold_start
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
INDEX_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/bench-cold/index/docs"
DIMENSION = 1024


BOTO3_ONLY = """
import boto3
boto3.session.Session().client("s3vectors", region_name="us-east-1", endpoint_url=URL)
"""

HANDLER = """
from s3vl_bridge.handler import lambda_handler

class Context:
    function_name = "s3vl-bridge"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"
    aws_request_id = "cold-start"

response = lambda_handler(EVENT, Context())
assert response["success"], response
"""


# What the Lambda runtime sets when active tracing is on: the handler then builds the
# Powertools Tracer (X-Ray SDK, botocore patched). Segments go to the UDP daemon address.
TRACING_ON = {
    "POWERTOOLS_TRACE_DISABLED": "false",
    "LAMBDA_TASK_ROOT": str(ROOT / "lambda_src"),
    "AWS_LAMBDA_FUNCTION_NAME": "s3vl-bridge",
    "_X_AMZN_TRACE_ID": (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    ),
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
}


def _child_env(url: str, pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "PYTHONPATH": str(ROOT / "lambda_src"),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "S3VECTORS_ENDPOINT_URL": url,
            "S3VL_BUCKET_ARNS": INDEX_ARN.rsplit("/index/", 1)[0],
            "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
            "PYTHONPYCACHEPREFIX": pycache,
        }
    )
    return env


def _run(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"child failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _prepare(url: str) -> None:
    import boto3

    aws = boto3.client("s3vectors", region_name="us-east-1", endpoint_url=url)
    aws.create_vector_bucket(vectorBucketName="bench-cold")
    aws.create_index(
        vectorBucketName="bench-cold",
        indexName="docs",
        dataType="float32",
        dimension=DIMENSION,
        distanceMetric="cosine",
    )
    aws.put_vectors(
        indexArn=INDEX_ARN,
        vectors=[
            {
                "key": f"v{i}",
                "data": {"float32": [((i * 7 + j) % 13) / 13.0 + 0.01 for j in range(DIMENSION)]},
                "metadata": {"n": i},
            }
            for i in range(200)
        ],
    )


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    sys.path.insert(0, str(ROOT))
    from devstack.s3vectors.server import LocalS3Vectors

    with LocalS3Vectors("127.0.0.1", port=0) as url, tempfile.TemporaryDirectory() as pycache:
        _prepare(url)
        env = _child_env(url, pycache)
        query = {
            "operation": "query_vectors",
            "index_arn": INDEX_ARN,
            "query_vector": [0.5] * DIMENSION,
            "top_k": 10,
        }
        query_code = HANDLER.replace("EVENT", json.dumps(query))
        cases = {
            "import boto3 + create client": (BOTO3_ONLY.replace("URL", repr(url)), env),
            "handler: availability_check": (
                HANDLER.replace("EVENT", repr({"operation": "availability_check"})),
                env,
            ),
            "handler: query_vectors top_k 10": (query_code, env),
            "same, X-Ray tracing on": (query_code, {**env, **TRACING_ON}),
        }
        for code, case_env in cases.values():  # fill the byte-code and OS file caches
            _run(code, case_env)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(RUNS):  # interleaved, so drift hits every case alike
            for name, (code, case_env) in cases.items():
                samples[name].append(_run(code, case_env))

    base = samples["import boto3 + create client"]
    base_wall = statistics.median(w for w, _ in base)
    base_cpu = statistics.median(c for _, c in base)
    print(f"cold start, {RUNS} fresh processes per case, medians (python {sys.version.split()[0]})")
    print(f"{'case':<34} {'wall ms':>9} {'x boto3':>8} {'cpu ms':>9} {'x boto3':>8}")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(
            f"{name:<34} {wall * 1e3:>9.1f} {wall / base_wall:>8.2f} "
            f"{cpu * 1e3:>9.1f} {cpu / base_cpu:>8.2f}"
        )


if __name__ == "__main__":
    main()
