"""The bundle's precompiled code (infra/bundling.py, s3vl_bridge/precompiled.py): recorded by
the runtime's Python when the bundle is built, and at a cold start of that bundle it holds
every text the libraries compile, so none is compiled there.

The bundle is built for this machine's architecture; its handler answers one query_vectors
from the local S3 Vectors service, as the bridge's first invocation, under Python 3.13.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import pytest

from infra.bundling import PACKAGE, build_bundle, record_command, runtime_python
from tests.support.s3vectors import local_service_with_index

ROOT = Path(__file__).resolve().parents[2]
HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
INDEX_ARN = "arn:aws:s3vectors:us-east-1:111122223333:bucket/s3vl-precompiled/index/docs"

# Runs inside the bundle (stdlib + bundle only): the first invocation answers a query, then
# says what the precompiled code did.
FIRST_QUERY = r"""
import collections, dataclasses, json, sys, typing
sys.path.insert(0, sys.argv[1])
from s3vl_bridge import precompiled
from s3vl_bridge.handler import lambda_handler

class Context:
    function_name = "s3vl-bridge"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:s3vl-bridge:live"
    aws_request_id = "precompiled-test"

sites = (typing, dataclasses, collections)
def standing_in():
    return sorted(n for m in sites for n in ("compile", "exec", "eval") if n in vars(m))

during = standing_in()
event = {"operation": "query_vectors", "index_arn": sys.argv[2], "query_vector": [0.5] * 4}
response = lambda_handler(event, Context())
print(json.dumps({
    "response": response,
    "during": during,
    "after": standing_in(),
    "missed": [source[:200] for _, source in precompiled.missed],
}))
"""

RECORDED_TEXTS = r"""
import json, marshal, sys
from importlib.util import MAGIC_NUMBER
content = open(sys.argv[1], "rb").read()
header = MAGIC_NUMBER + bytes([sys.flags.optimize])
print(json.dumps({
    "header": content.startswith(header),
    "texts": sorted(source for _, source in marshal.loads(content[len(header):])),
}))
"""


@pytest.fixture(scope="module")
def python_313() -> str:
    found = runtime_python("3.13")
    if found is None:
        pytest.fail("Python 3.13 (the Lambda runtime's version) is not installed")
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, python_313: str) -> Path:
    architecture = HOST_ARCHITECTURE[platform.machine().lower()]
    target = tmp_path_factory.mktemp("bundle") / f"lambda-{architecture}"
    return build_bundle(ROOT / "lambda_src", target, architecture=architecture)


def _run(python: str, code: str, *arguments: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [python, "-I", "-S", "-c", code, *arguments],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def _recorded(bundle: Path, python: str) -> dict:
    return _run(python, RECORDED_TEXTS, str(bundle / PACKAGE / "precompiled.marshal"), env={})


def test_the_bundle_holds_code_recorded_by_the_runtimes_python(bundle, python_313):
    recorded = _recorded(bundle, python_313)
    assert recorded["header"] is True
    # pydantic_core's TypedDict annotations, pydantic's dataclasses, botocore's namedtuples.
    texts = recorded["texts"]
    assert len(texts) > 300
    assert "Required[CoreSchema]" in texts
    assert any("__create_fn__" in text and "allow_inf_nan" in text for text in texts)


def test_a_cold_query_of_the_bundle_compiles_none_of_the_texts_it_recorded(bundle, python_313):
    seed = [{"key": f"v{i}", "data": {"float32": [0.1 * i, 0.2, 0.3, 0.4]}} for i in range(5)]
    with local_service_with_index("s3vl-precompiled", INDEX_ARN, 4, seed) as service:
        environment = {
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "S3VECTORS_ENDPOINT_URL": service.meta.endpoint_url,
            "S3VL_INDEX_ARNS": INDEX_ARN,
            "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
            "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        outcome = _run(python_313, FIRST_QUERY, str(bundle), INDEX_ARN, env=environment)
    response = outcome["response"]
    assert response["success"] is True, response
    assert len(response["result"]) == 5
    assert outcome["during"] == ["compile", "eval", "exec"]
    assert outcome["after"] == []  # the standard library as it was after the first invocation
    assert outcome["missed"] == []


def test_the_docker_fallback_records_with_the_same_script(bundle, python_313):
    recorded = _recorded(bundle, python_313)
    (bundle / PACKAGE / "precompiled.marshal").unlink()
    subprocess.run(
        ["bash", "-c", record_command(str(bundle), python=python_313)], check=True, timeout=120
    )
    assert _recorded(bundle, python_313) == recorded
