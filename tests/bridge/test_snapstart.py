"""SnapStart (snapstart.py): an init Lambda snapshots loads what every request needs, and each
container restored from the snapshot gets credentials and randomness of its own.

A fresh interpreter runs the init with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start (as Lambda
does when it publishes a version) and the runtime's hook library (AWS's snapshot-restore-py,
the test dependency group's); then it forks twice, each child being a container restored
from that memory: it runs the registered after-restore hooks as the runtime does, with
credentials of its own in the environment, signs one S3 Vectors request (never sent) and
draws a random number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SNAPSHOT_THEN_TWO_RESTORES = r"""
import json, os, random, sys
from s3vl_bridge import handler, client, registry
import snapshot_restore_py as runtime

init = {
    "models_built": all(
        registry.model_for(name).__pydantic_complete__ for name in registry.OPERATIONS
    ),
    "modules": sorted(name for name in sys.modules if name.startswith("s3vl_bridge.")),
    "botocore": "botocore.client" in sys.modules,
    "client_made": client._client is not None,
    "hooks": len(runtime.get_after_restore()),
    "hook_library": [runtime.__file__, runtime.__version__],
}

class Sent(Exception):
    pass

def capture(request, **_):
    raise Sent(request.headers["Authorization"].decode())

children = []
snapshotted_random = random.getstate()
for key in ("restored-one", "restored-two"):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a container restored from the snapshot
        # A restore resumes the snapshotted memory as it was; fork reseeds `random` on its
        # own (os.register_at_fork), a restore does not.
        random.setstate(snapshotted_random)
        os.environ["AWS_ACCESS_KEY_ID"] = key
        for func, args, kwargs in runtime.get_after_restore():
            func(*args, **kwargs)
        s3vectors = client.s3vectors()
        s3vectors.meta.events.register("before-send", capture)
        try:
            s3vectors.list_vector_buckets()
        except Sent as sent:
            signed_with = sent.args[0].split("Credential=")[1].split("/")[0]
        os.write(write, json.dumps({"key": signed_with, "random": random.random()}).encode())
        os._exit(0)
    os.close(write)
    children.append((pid, read))
restored = []
for pid, read in children:
    os.waitpid(pid, 0)
    restored.append(json.loads(os.read(read, 65536)))
print(json.dumps({"init": init, "restored": restored}))
"""


def _environment(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "at-init",
        "AWS_SECRET_ACCESS_KEY": "snapstart-test",
        "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
        "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
        **extra,
    }


@pytest.fixture(scope="module")
def snapshot() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SNAPSHOT_THEN_TWO_RESTORES],
        env=_environment(PYTHONPATH=str(ROOT / "lambda_src")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_snapshotted_init_loads_every_operation_and_the_client(snapshot):
    init = snapshot["init"]
    assert init["models_built"] is True
    for module in ("query", "read", "write", "indexes"):
        assert f"s3vl_bridge.operations.{module}" in init["modules"]
    assert init["botocore"] is True
    assert init["client_made"] is True
    assert init["hooks"] == 1
    # AWS's library as the runtime ships it, not a stand-in of the tests.
    where, version = init["hook_library"]
    assert "site-packages" in where and not where.startswith(str(ROOT / "tests"))
    assert version.split(".")[0] == "1"


def test_each_restored_container_signs_with_the_credentials_of_its_own_restore(snapshot):
    assert [child["key"] for child in snapshot["restored"]] == ["restored-one", "restored-two"]


def test_containers_restored_from_one_snapshot_draw_different_random_numbers(snapshot):
    first, second = (child["random"] for child in snapshot["restored"])
    assert first != second


def test_without_the_runtimes_hook_library_the_init_loads_nothing_more():
    # Installed for the tests; here it is not importable, as outside Lambda's runtime.
    code = (
        "import json, sys\nsys.modules['snapshot_restore_py'] = None\n"
        "from s3vl_bridge import handler\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('s3vl_bridge.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(PYTHONPATH=str(ROOT / "lambda_src")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "s3vl_bridge.snapstart" in modules
    assert not [name for name in modules if name.startswith("s3vl_bridge.operations")]
    assert "s3vl_bridge.client" not in modules
