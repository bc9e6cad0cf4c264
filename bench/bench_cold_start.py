"""Cold start of the bridge Lambda: a fresh Python process importing the handler module and
answering one request, against the same request answered by a handler shaped like the
aws-samples integration's bare one (bench/sample_handler.py says what it mirrors: boto3
imported, a client made per request, checks written out in Python; the issue's yardstick,
`x sample`), and against a fresh process that only imports boto3 and creates the s3vectors
client (the floor any Python Lambda calling S3 Vectors pays, `x base`).

Each case runs in a new interpreter several times (interleaved, so drift on a shared
machine hits every case alike); the table shows medians. The clock starts when the
process is spawned and stops when the case's work is done: interpreter start-up counts,
interpreter teardown does not (a Lambda container lives on after its first answer).
  wall = spawn -> work done (parent's spawn time to the child's time.time_ns() at the end)
  cpu  = the child's own CPU time (user + system) at that point, start-up included
CPU time is the steadier figure on a shared machine. Byte code is cached (in a temporary
PYTHONPYCACHEPREFIX) as in a deployed bundle built with compileall; the first run of each
case fills that cache and is not counted. The query cases answer one real query_vectors
over HTTP from a local S3 Vectors server started by this benchmark. Before a handler is
imported, the child does what the Lambda runtime does first: a handler on the root logger
writing to stdout (the sample logs through the root logger).

    .venv/bin/python -m bench bench_cold_start

With S3VL_BENCH_BUNDLE set to a bundle built by infra/bundling.py for this machine's
architecture, every case runs as Lambda would run it instead: the runtime's Python (3.13),
nothing written. Ours sees the bundle alone, its shipped byte code and its precompiled code
(s3vl_bridge/precompiled.py). The sample and the boto3 rows see what a function shipping
only its handler sees on Lambda: its handler as a source file (compiled at every start, as
the sample's zip holds no byte code) and the runtime's own boto3, stood in for by boto3 and
botocore of the bundle's versions installed whole (all of botocore's data) by python3.13's
pip into build/bench/ once:

    .venv/bin/python -c "from pathlib import Path; from infra.bundling import build_bundle; \
        build_bundle(Path('lambda_src'), Path('/tmp/s3vl-bundle'), architecture='x86_64')"
    S3VL_BENCH_BUNDLE=/tmp/s3vl-bundle .venv/bin/python -m bench bench_cold_start

S3VL_BENCH_RUNS sets the runs per case (default 21).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("S3VL_BENCH_RUNS", "21"))
# Where the bundle mode keeps its stand-in for the runtime's boto3 (one per version).
RUNTIME_SDK_CACHE = ROOT / "build" / "bench"
INDEX_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/bench-cold/index/docs"
DIMENSION = 1024
QUERY = {
    "operation": "query_vectors",
    "index_arn": INDEX_ARN,
    "query_vector": [0.5] * DIMENSION,
    "top_k": 10,
}

# Appended to every case: report the end of the work, then exit as the case would.
DONE = """
import sys as _sys, time as _time
_sys.stdout.write(f"\\nS3VL-COLD-DONE {_time.time_ns()} {_time.process_time_ns()}\\n")
"""

BOTO3_ONLY = """
import boto3
client = boto3.session.Session().client("s3vectors", region_name="us-east-1", endpoint_url=URL)
"""

# The same request the handler makes for QUERY (the handler adds nothing boto3 needs).
BOTO3_CALL = (
    BOTO3_ONLY
    + f"""
client.query_vectors(
    indexArn={INDEX_ARN!r}, queryVector={{"float32": [0.5] * {DIMENSION}}}, topK=10,
    returnMetadata=True, returnDistance=True,
)
"""
)

# The libraries the handler is built on, used the plainest way and with the GC paused as
# the handler pauses it: Powertools Logger + Metrics, one strict pydantic model validating
# the request, boto3 making the call. The handler's own code is the gap above this row.
LIBRARIES_ONLY = (
    """
import gc
from typing import Annotated
from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel, ConfigDict, Field

logger = Logger(service="s3vl-bridge")
metrics = Metrics(namespace="s3vl")
gc.disable()

class Query(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    operation: str
    index_arn: str
    query_vector: Annotated[list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=1)]
    top_k: Annotated[int, Field(ge=1, le=10000)] = 10

query = Query.model_validate(EVENT)
"""
    + BOTO3_ONLY
    + """
client.query_vectors(
    indexArn=query.index_arn, queryVector={"float32": query.query_vector}, topK=query.top_k,
    returnMetadata=True, returnDistance=True,
)
gc.enable()
"""
)

# What the Lambda runtime sets up before it imports a handler: its log handler on the root
# logger (the sample's INFO lines go through it).
RUNTIME = """
import logging as _logging, sys as _sys
_logging.getLogger().addHandler(_logging.StreamHandler(_sys.stdout))
"""

HANDLER = (
    RUNTIME
    + """
from s3vl_bridge.handler import lambda_handler

class Context:
    function_name = "s3vl-bridge"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"
    aws_request_id = "cold-start"

response = lambda_handler(EVENT, Context())
assert response["success"], response
"""
)

# The sample-shaped handler, as Lambda loads it from the sample's zip (lambda_function.py).
SAMPLE_MODULE = "lambda_function"
SAMPLE = (
    RUNTIME
    + f"""
from {SAMPLE_MODULE} import lambda_handler

class Context:
    aws_request_id = "cold-start"

response = lambda_handler(EVENT, Context())
assert response["success"], response
"""
)

BASELINE = "boto3: import + create client"
SAMPLE_ROW = "sample-shaped: query_vectors"

# What each row includes (printed under the table).
ROWS = {
    BASELINE: "the issue's baseline: interpreter, `import boto3`, the s3vectors client",
    "boto3: same, GC paused": "reference only: the baseline with the cyclic GC paused too",
    "boto3: same + one query_vectors": "baseline + the one QueryVectors call the handler makes",
    SAMPLE_ROW: (
        "the issue's yardstick: bench/sample_handler.py, one query_vectors (boto3 import, "
        "client, checks, the call)"
    ),
    "libraries only, no bridge code": (
        "Powertools Logger+Metrics, one pydantic model, boto3 + the call, GC paused"
    ),
    "handler: availability_check": "interpreter, handler import, one ping (no AWS call)",
    "handler: query_vectors top_k 10": (
        "interpreter, handler import, one query_vectors (boto3 import, client, the call)"
    ),
    "same, X-Ray tracing on": "as above with the Tracer built and botocore patched",
}


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


def _bundle_env(env: dict[str, str], bundle: str) -> dict[str, str]:
    """The children see the bundle alone and read its .pyc files, writing none (as /var/task)."""
    out = {**env, "PYTHONPATH": bundle, "PYTHONDONTWRITEBYTECODE": "1"}
    out.pop("PYTHONPYCACHEPREFIX", None)
    return out


def runtime_sdk(bundle: Path, python: str) -> Path:
    """A stand-in for the runtime's boto3 (/var/runtime): boto3 and botocore of the bundle's
    versions, whole, installed by the runtime's Python (which writes their byte code)."""
    versions = {
        name: next(bundle.glob(f"{name}-*.dist-info")).name.split("-")[1].removesuffix(".dist")
        for name in ("boto3", "botocore")
    }
    target = RUNTIME_SDK_CACHE / f"runtime-sdk-{versions['boto3']}-{versions['botocore']}"
    if not (target / "botocore" / "data" / "s3").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        pins = [f"{name}=={version}" for name, version in versions.items()]
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(target), *pins],
            check=True,
        )  # fmt: skip
    return target


def _sample_dir(where: str) -> str:
    """The sample's code as its zip holds it: the handler's source alone."""
    Path(where).mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "bench" / "sample_handler.py", Path(where) / f"{SAMPLE_MODULE}.py")
    return where


def _run(code: str, env: dict[str, str], python: str = sys.executable) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running `code`, up to the end of it."""
    started = time.time_ns()
    done = subprocess.run(
        [python, "-c", code + DONE],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed: {done.stderr[-2000:]}")
    marker = [line for line in done.stdout.splitlines() if line.startswith("S3VL-COLD-DONE ")]
    if not marker:
        raise RuntimeError(f"child did not report its end: {done.stdout[-2000:]}")
    ended_ns, cpu_ns = (int(part) for part in marker[-1].split()[1:])
    return (ended_ns - started) / 1e9, cpu_ns / 1e9


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


def cases(
    url: str, env: dict[str, str], plain_env: dict[str, str], sample_env: dict[str, str]
) -> dict[str, tuple[str, dict[str, str]]]:
    """Row name -> (child code, child environment): `env` runs ours, `plain_env` the boto3
    rows (boto3 as a function without its own gets it) and `sample_env` the sample."""
    query_code = HANDLER.replace("EVENT", json.dumps(QUERY))
    return {
        BASELINE: (BOTO3_ONLY.replace("URL", repr(url)), plain_env),
        "boto3: same, GC paused": (
            "import gc\ngc.disable()\n" + BOTO3_ONLY.replace("URL", repr(url)),
            plain_env,
        ),
        "boto3: same + one query_vectors": (BOTO3_CALL.replace("URL", repr(url)), plain_env),
        SAMPLE_ROW: (SAMPLE.replace("EVENT", json.dumps(QUERY)), sample_env),
        "libraries only, no bridge code": (
            LIBRARIES_ONLY.replace("URL", repr(url)).replace("EVENT", json.dumps(QUERY)),
            env,
        ),
        "handler: availability_check": (
            HANDLER.replace("EVENT", repr({"operation": "availability_check"})),
            env,
        ),
        "handler: query_vectors top_k 10": (query_code, env),
        "same, X-Ray tracing on": (query_code, {**env, **TRACING_ON}),
    }


def measure(
    named: dict[str, tuple[str, dict[str, str]]], runs: int = RUNS, python: str = sys.executable
) -> dict[str, list[tuple[float, float]]]:
    for code, case_env in named.values():  # fill the byte-code and OS file caches
        _run(code, case_env, python)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in named}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, (code, case_env) in named.items():
            samples[name].append(_run(code, case_env, python))
    return samples


def table(
    samples: dict[str, list[tuple[float, float]]],
    baseline: str = BASELINE,
    sample: str = SAMPLE_ROW,
) -> None:
    def medians(name: str) -> tuple[float, float]:
        runs = samples[name]
        return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)

    base_wall, base_cpu = medians(baseline)
    sample_wall, sample_cpu = medians(sample)
    print(
        f"{'case':<34} {'wall ms':>8} {'x base':>7} {'x sample':>8} "
        f"{'cpu ms':>8} {'x base':>7} {'x sample':>8}"
    )
    for name in samples:
        wall, cpu = medians(name)
        print(
            f"{name:<34} {wall * 1e3:>8.1f} {wall / base_wall:>7.2f} {wall / sample_wall:>8.2f} "
            f"{cpu * 1e3:>8.1f} {cpu / base_cpu:>7.2f} {cpu / sample_cpu:>8.2f}"
        )


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    sys.path.insert(0, str(ROOT))
    from devstack.s3vectors.server import LocalS3Vectors

    python, where = sys.executable, f"python {sys.version.split()[0]}, lambda_src + .venv"
    bundle = os.environ.get("S3VL_BENCH_BUNDLE")
    sdk = None
    if bundle:
        from infra.bundling import runtime_python

        found = runtime_python("3.13")
        if found is None:
            raise SystemExit("S3VL_BENCH_BUNDLE needs python3.13 (the runtime's Python)")
        python, where = found, f"python 3.13, bundle {bundle}"
        sdk = runtime_sdk(Path(bundle), python)

    with LocalS3Vectors("127.0.0.1", port=0) as url, tempfile.TemporaryDirectory() as scratch:
        _prepare(url)
        env = _child_env(url, str(Path(scratch) / "pycache"))
        sample_code = _sample_dir(str(Path(scratch) / "sample"))
        # The sample reaches the local service as its unmodified code would: through
        # botocore's per-service endpoint variable.
        sample_env = {**env, "PYTHONPATH": sample_code, "AWS_ENDPOINT_URL_S3VECTORS": url}
        plain_env = {**env, "PYTHONPATH": ""}
        if bundle and sdk is not None:
            env = _bundle_env(env, bundle)
            plain_env = _bundle_env(plain_env, str(sdk))
            sample_env = _bundle_env(sample_env, f"{sample_code}{os.pathsep}{sdk}")
        named = cases(url, env, plain_env, sample_env)
        samples = measure(named, python=python)

    print(
        f"cold start, {RUNS} fresh processes per case, medians ({where}, "
        f"load {os.getloadavg()[0]:.1f}); x base = / '{BASELINE}', x sample = / '{SAMPLE_ROW}'"
    )
    table(samples)
    print("rows (clock: process spawn -> work done; teardown not counted):")
    for name, what in ROWS.items():
        print(f"  {name}: {what}")


if __name__ == "__main__":
    main()
