"""What a container's first invocation leaves behind, in a fresh interpreter (a real cold
start): only the asked operation's model and module loaded, and the garbage collector,
paused from the handler's import to the end of that invocation, running again with what
they loaded frozen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LAMBDA_SOURCE = Path(__file__).resolve().parents[2] / "lambda_src"
PLUGINS_VARIABLE = "PYDANTIC_DISABLE_PLUGINS"

FIRST_PING = """
import gc, json, os, sys
enabled_at_start = gc.isenabled()
from s3vl_bridge.handler import lambda_handler

class Context:
    function_name = "s3vl-bridge"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"
    aws_request_id = "first"

enabled_before = gc.isenabled()
disabled_by = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
response = lambda_handler({"operation": "ping"}, Context())
frozen_after_first = gc.get_freeze_count()
second = lambda_handler({"operation": "query_vectors", "top_k": 0}, Context())
print(json.dumps({
    "success": response["success"],
    "second_error": second["error"],
    "enabled_at_start": enabled_at_start,
    "enabled_before": enabled_before,
    "plugins_disabled": disabled_by,
    # None until pydantic has looked its plugins up (the entry points of every distribution)
    "plugins_found": (
        None if sys.modules["pydantic.plugin._loader"]._plugins is None
        else list(sys.modules["pydantic.plugin._loader"]._plugins)
    ),
    "enabled_after": gc.isenabled(),
    "frozen_after_first": frozen_after_first,
    "frozen_after_second": gc.get_freeze_count(),
    "modules": sorted(m for m in sys.modules if m.startswith("s3vl_bridge")),
}))
"""


@pytest.fixture(scope="module")
def first_invocations() -> dict:
    environment = {
        **{name: value for name, value in os.environ.items() if name != PLUGINS_VARIABLE},
        "PYTHONPATH": str(LAMBDA_SOURCE),
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
        "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PING],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_invocation_loads_only_the_model_and_module_of_its_operation(first_invocations):
    outcome = first_invocations
    assert outcome["success"] is True
    modules = set(outcome["modules"])
    assert {"s3vl_bridge.models.availability_check", "s3vl_bridge.operations.indexes"} <= modules
    # The second request (a query with a bad top_k) loaded the query model; nothing else did.
    assert "s3vl_bridge.models.query_vectors" in modules
    for unused in ("put_vectors", "get_vectors", "list_vectors", "query_vectors_batch"):
        assert f"s3vl_bridge.models.{unused}" not in modules
    for unused in ("write", "read"):
        assert f"s3vl_bridge.operations.{unused}" not in modules


def test_a_request_checked_by_its_own_model_still_names_the_field(first_invocations):
    error = first_invocations["second_error"]
    assert error["type"] == "ValidationError"
    assert error["field"] == "top_k"
    assert "top_k: Input should be greater than or equal to 1" in error["message"]


def test_the_garbage_collector_runs_again_after_the_first_invocation_with_its_objects_frozen(
    first_invocations,
):
    outcome = first_invocations
    assert outcome["enabled_at_start"] is True
    assert outcome["enabled_before"] is False  # paused by the handler's import
    assert outcome["enabled_after"] is True
    assert outcome["frozen_after_first"] > 10_000
    # Only the first invocation freezes (frozen objects may still be freed by refcount).
    assert outcome["frozen_after_second"] <= outcome["frozen_after_first"]


def test_the_handler_turns_pydantic_plugins_off_when_the_environment_does_not_say(
    first_invocations,
):
    # Unset in the child's environment: the handler's import set it before pydantic looked,
    # and pydantic, building the models of both requests, never looked.
    assert first_invocations["plugins_disabled"] == "__all__"
    assert first_invocations["plugins_found"] is None
