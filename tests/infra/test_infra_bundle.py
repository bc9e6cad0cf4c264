"""The bundle CDK deploys works on its own: built as for Lambda, imported under Python 3.13.

The bundle is built for this machine's architecture (so it can run here) by the same code
the CDK asset uses, then the handler is imported by a Python 3.13 interpreter that sees
only the bundle and the standard library, and answers a ping. The bundle carries Python
3.13 byte code (Lambda cannot write __pycache__), which that run uses as it is.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import pytest

from infra.bundling import PACKAGE, build_bundle, runtime_python

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


@pytest.fixture(scope="module")
def python_313() -> str:
    found = runtime_python(RUNTIME_VERSION)
    if found is None:
        pytest.fail(
            f"Python {RUNTIME_VERSION} (the Lambda runtime's version) is not installed; "
            f"install it (e.g. pyenv install {RUNTIME_VERSION}): the bundle is compiled "
            "and tried with it"
        )
    return found


@pytest.fixture(scope="module")
def host_bundle(tmp_path_factory: pytest.TempPathFactory, python_313: str) -> Path:
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


def _byte_code(package: Path) -> dict[Path, tuple[int, bytes]]:
    """Every .pyc of a package: its mtime and header (magic number and flags)."""
    return {
        pyc: (pyc.stat().st_mtime_ns, pyc.read_bytes()[:8])
        for pyc in package.rglob("__pycache__/*.pyc")
    }


def test_the_bundle_holds_python_3_13_byte_code_for_every_module_of_the_bridge(host_bundle):
    package = host_bundle / PACKAGE
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 20
    for module in modules:
        pyc = module.parent / "__pycache__" / f"{module.stem}.cpython-313.pyc"
        assert pyc.exists(), f"no Python 3.13 byte code for {module.relative_to(host_bundle)}"
        # Hash-based and never checked against the source (flags 0b01): the zip and the
        # asset copy do not keep the mtimes a timestamp-based .pyc is validated against.
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01, pyc
    assert (host_bundle / "pydantic" / "__pycache__" / "main.cpython-313.pyc").exists()
    assert (host_bundle / "botocore" / "__pycache__" / "client.cpython-313.pyc").exists()


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
    byte_code = _byte_code(host_bundle / PACKAGE)
    # -I ignores PYTHONDONTWRITEBYTECODE: a .pyc the runtime could not use would be rewritten.
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
    assert _byte_code(host_bundle / PACKAGE) == byte_code, "the shipped byte code was not used"
