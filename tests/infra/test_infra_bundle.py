"""The bundle CDK deploys works on its own: built as for Lambda, imported under Python 3.13.

The bundle is built for this machine's architecture (so it can run here) by the same code
the CDK asset uses, then the handler is imported by a Python 3.13 interpreter that sees
only the bundle and the standard library, and answers a ping.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.bundling import build_bundle

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SOURCE = ROOT / "lambda_src"
RUNTIME_VERSION = "3.13"
HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
INDEX_ARN = "arn:aws:s3vectors:eu-west-1:111122223333:bucket/s3vl-vectors/index/products"
BUCKET_ARN = "arn:aws:s3vectors:eu-west-1:111122223333:bucket/s3vl-vectors"

# Runs inside the bundle: stdlib + bundle only (-I -S), then one ping through the handler.
PING = r"""
import json, sys
bundle = sys.argv[1]
sys.path.insert(0, bundle)
from s3vl_bridge.handler import lambda_handler

class Context:
    function_name = "s3vl-bridge"
    function_version = "1"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:111122223333:function:s3vl-bridge:live"
    aws_request_id = "bundle-test"
    log_group_name = log_stream_name = "bundle-test"
    def get_remaining_time_in_millis(self):
        return 30000

response = lambda_handler({"operation": "ping"}, Context())
third_party = {
    name: getattr(module, "__file__", None) or ""
    for name, module in sys.modules.items()
    if name.split(".")[0] in ("s3vl_bridge", "pydantic", "pydantic_core", "aws_lambda_powertools")
}
print(json.dumps({"response": response, "files": third_party, "version": sys.version_info[:2]}))
"""


def _python_313() -> str | None:
    """The real 3.13 interpreter: pyenv's install first (its shim may point elsewhere)."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for candidate in sorted(glob.glob(f"{pyenv_root}/versions/{RUNTIME_VERSION}*/bin/python3.13")):
        return candidate
    return shutil.which(f"python{RUNTIME_VERSION}")


@pytest.fixture(scope="module")
def python_313() -> str:
    found = _python_313()
    if found is None:
        reason = f"Python {RUNTIME_VERSION} (the Lambda runtime's version) is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it")
        pytest.skip(f"{reason}; install it (e.g. pyenv install {RUNTIME_VERSION}) to run")
    return found


@pytest.fixture(scope="module")
def host_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (LAMBDA_SOURCE / "s3vl_bridge" / "handler.py").exists():
        pytest.fail("lambda_src/s3vl_bridge/handler.py is missing: nothing to bundle")
    architecture = HOST_ARCHITECTURE[platform.machine().lower()]
    target = tmp_path_factory.mktemp("bundle") / f"lambda-{architecture}"
    return build_bundle(LAMBDA_SOURCE, target, architecture=architecture)


def test_the_bundle_holds_the_package_and_wheels_for_python_3_13(host_bundle):
    assert (host_bundle / "s3vl_bridge" / "handler.py").exists()
    [core] = list((host_bundle / "pydantic_core").glob("_pydantic_core.*.so"))
    assert "cpython-313" in core.name
    assert not list(host_bundle.rglob("__pycache__/*.cpython-311.pyc"))


def test_the_bundled_handler_answers_a_ping_under_the_runtime_python(host_bundle, python_313):
    environment = {
        "PATH": "/usr/bin:/bin",
        "AWS_REGION": "eu-west-1",
        "S3VL_INDEX_ARNS": INDEX_ARN,
        "S3VL_BUCKET_ARNS": BUCKET_ARN,
        "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
        "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [python_313, "-I", "-S", "-c", PING, str(host_bundle)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["version"] == [3, 13]
    response = outcome["response"]
    assert response["success"] is True, response
    assert response["result"]["allowed_indexes"] == [INDEX_ARN]
    assert response["result"]["region"] == "eu-west-1"
    outside = {
        name: path
        for name, path in outcome["files"].items()
        if path and not path.startswith(str(host_bundle))
    }
    assert outside == {}, "imported from outside the bundle"
    assert "pydantic_core._pydantic_core" in outcome["files"]
