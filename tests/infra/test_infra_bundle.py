"""The bundle CDK deploys works on its own: built as for Lambda, imported under Python 3.13.

The bundle is built for this machine's architecture (so it can run here) by the same code
the CDK asset uses, then the handler is imported by a Python 3.13 interpreter that sees
only the bundle and the standard library, and answers a ping. The bundle carries Python
3.13 byte code (Lambda cannot write __pycache__), which that run uses as it is.
"""

from __future__ import annotations

import json
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import botocore
import pytest

from infra.bundling import (
    BOTOCORE_SERVICES,
    PACKAGE,
    build_bundle,
    runtime_python,
    trim_botocore_data,
    trim_command,
)

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
from s3vl_bridge import client

class Sent(Exception):
    pass

def capture(request, **_):
    raise Sent(request.url)

s3vectors = client.s3vectors()  # from the bundle's trimmed botocore data
s3vectors.meta.events.register("before-send", capture)
try:
    s3vectors.list_vector_buckets()
except Sent as sent:
    endpoint = sent.args[0]
third_party = {
    name: getattr(module, "__file__", None) or ""
    for name, module in sys.modules.items()
    if name.split(".")[0]
    in ("s3vl_bridge", "pydantic", "pydantic_core", "aws_lambda_powertools", "botocore")
}
print(json.dumps({
    "response": response,
    "files": third_party,
    "version": sys.version_info[:2],
    "endpoint": endpoint,
}))
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
        # The client signs the request it builds (none is sent).
        "AWS_ACCESS_KEY_ID": "bundle-test",
        "AWS_SECRET_ACCESS_KEY": "bundle-test",
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
    # Where the whole of botocore's data sends it (S3 Vectors' dual-stack endpoints).
    assert outcome["endpoint"] == "https://s3vectors.eu-west-1.api.aws/ListVectorBuckets"
    assert _byte_code(host_bundle / PACKAGE) == byte_code, "the shipped byte code was not used"


# botocore's data, cut down to what the function calls (infra/bundling.py).
BOTOCORE_PACKAGE = Path(botocore.__file__).parent
BOTOCORE_DATA = BOTOCORE_PACKAGE / "data"


def test_the_bundle_keeps_botocore_data_for_the_services_the_function_calls_only(host_bundle):
    data = host_bundle / "botocore" / "data"
    assert {entry.name for entry in data.iterdir() if entry.is_dir()} == set(BOTOCORE_SERVICES)
    for name in ("endpoints.json", "partitions.json", "_retry.json"):
        assert (data / name).is_file(), name
    endpoints = json.loads((data / "endpoints.json").read_text())
    kept = {name for partition in endpoints["partitions"] for name in partition["services"]}
    assert kept <= set(BOTOCORE_SERVICES)
    assert "xray" in kept


@pytest.fixture(scope="module")
def trimmed_botocore(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this interpreter's botocore (its code, the top-level data files, the kept
    services and one other), trimmed as the bundle's is: botocore treats its own data folder
    as built in (endpoint rule sets apply), so the copy is of the package, not of the data."""
    target = tmp_path_factory.mktemp("trimmed")
    keep = {*BOTOCORE_SERVICES, "s3"}

    def other_services(folder: str, names: list[str]) -> list[str]:
        if Path(folder) != BOTOCORE_DATA:
            return []
        return [name for name in names if (BOTOCORE_DATA / name).is_dir() and name not in keep]

    shutil.copytree(BOTOCORE_PACKAGE, target / "botocore", ignore=other_services)
    trim_botocore_data(target)
    return target


# One call per kept service that needs no parameters.
_CALL_WITHOUT_PARAMETERS = {
    "s3vectors": "list_vector_buckets",
    "xray": "get_sampling_rules",
    "bedrock-runtime": "list_async_invokes",
}

# Run against a botocore: where each call goes and the scope it is signed for
# (Credential=KEY/DATE/REGION/SERVICE), from the request botocore would send, per region.
SIGNED_REQUESTS = r"""
import json, sys
import botocore, botocore.session
from botocore.exceptions import UnknownServiceError
calls, regions = json.loads(sys.argv[1]), json.loads(sys.argv[2])
class Sent(Exception):
    pass
def capture(request, **_):
    raise Sent(request.url, request.headers["Authorization"].decode())
session = botocore.session.get_session()
session.set_credentials("bundle-test", "bundle-test")
out = {"data": botocore.__file__}
for service, call in calls.items():
    for region in regions:
        client = session.create_client(service, region_name=region)
        client.meta.events.register("before-send", capture)
        try:
            getattr(client, call)()
        except Sent as sent:
            url, authorization = sent.args
            scope = authorization.split("Credential=")[1].split(",")[0].split("/", 2)[2]
            out[f"{service} {region}"] = f"{url} {scope}"
try:
    session.create_client("s3", region_name="us-east-1")
    out["s3"] = "known"
except UnknownServiceError:
    out["s3"] = "unknown"
print(json.dumps(out))
"""


def _signed_requests(python_path: str | None, regions: list[str]) -> dict[str, str]:
    environment = {"PATH": "/usr/bin:/bin"}
    if python_path:
        environment["PYTHONPATH"] = python_path
    arguments = [json.dumps(_CALL_WITHOUT_PARAMETERS), json.dumps(regions)]
    done = subprocess.run(
        [sys.executable, "-c", SIGNED_REQUESTS, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, str] = json.loads(done.stdout)
    return outcome


def test_the_kept_services_are_called_and_signed_as_with_the_whole_data_in_every_region(
    trimmed_botocore,
):
    endpoints = json.loads((BOTOCORE_DATA / "endpoints.json").read_text())
    regions = sorted({region for part in endpoints["partitions"] for region in part["regions"]})
    assert len(regions) > 30
    assert set(_CALL_WITHOUT_PARAMETERS) == set(BOTOCORE_SERVICES)
    whole = _signed_requests(None, regions)
    trimmed = _signed_requests(str(trimmed_botocore), regions)
    assert whole.pop("data").startswith(str(BOTOCORE_PACKAGE))
    assert trimmed.pop("data").startswith(str(trimmed_botocore))
    assert (whole.pop("s3"), trimmed.pop("s3")) == ("known", "unknown")
    assert len(whole) == len(BOTOCORE_SERVICES) * len(regions)
    assert "https://s3vectors.eu-west-1.api.aws/" in whole["s3vectors eu-west-1"]
    assert trimmed == whole


def test_the_docker_fallback_trims_with_the_same_script(tmp_path):
    data = tmp_path / "botocore" / "data"
    (data / "s3").mkdir(parents=True)
    (data / "xray").mkdir()
    shutil.copy(BOTOCORE_DATA / "endpoints.json", data / "endpoints.json")
    command = trim_command(str(tmp_path), python=shlex.quote(sys.executable))
    subprocess.run(["bash", "-c", command], check=True, timeout=60)
    assert sorted(entry.name for entry in data.iterdir()) == ["endpoints.json", "xray"]


# Where the bridge's code names a service to botocore: create_client("...") or client("...").
_CLIENT_FOR = re.compile(r"""(?:create_client|\bclient)\(\s*["']([a-z0-9-]+)["']""")


def test_the_bridge_creates_clients_only_for_services_the_bundle_keeps():
    named = {
        service
        for module in (LAMBDA_SOURCE / PACKAGE).rglob("*.py")
        for service in _CLIENT_FOR.findall(module.read_text())
    }
    assert "s3vectors" in named
    assert named <= set(BOTOCORE_SERVICES), (
        f"the bridge calls {sorted(named - set(BOTOCORE_SERVICES))}: add them to "
        "infra/bundling.py BOTOCORE_SERVICES, or the deployed bundle will not know them"
    )


# Runs inside the bundle: the index setup's client (Custom::S3vlIndexSetup) and what its
# botocore knows of full-text search.
INDEX_SETUP = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import boto3, botocore
from s3vl_bridge import index_setup
model = index_setup._client().meta.service_model
print(json.dumps({
    "operations": sorted(model.operation_names),
    "configuration": sorted(model.shape_for("TextSearchConfiguration").members),
    "files": [boto3.__file__, botocore.__file__, index_setup.__file__],
}))
"""


def test_the_bundled_index_setup_calls_text_search_apis_its_own_boto3_knows(
    host_bundle, python_313
):
    """Why the setup is a Python function on this bundle and not CDK's AwsCustomResource:
    the bundle's boto3 is the one that knows UpdateMetadataConfiguration (infra/index_setup.py)."""
    environment = {"PATH": "/usr/bin:/bin", "AWS_REGION": "eu-west-1"}
    result = subprocess.run(
        [python_313, "-I", "-S", "-c", INDEX_SETUP, str(host_bundle)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"GetIndex", "UpdateIndexMode", "UpdateMetadataConfiguration"} <= set(
        outcome["operations"]
    )
    assert {"metadataKey", "language", "status"} <= set(outcome["configuration"])
    assert all(path.startswith(str(host_bundle)) for path in outcome["files"]), outcome["files"]
