"""The Lambda entry point: observability around parse -> run -> envelope, nothing else.

Correlation id: the caller may send `correlation_id` (a string up to CORRELATION_ID_LENGTH_MAX
characters) in the request; it is logged with every line of the invocation and echoed in the
envelope. Without it the Lambda request id is used.
"""

from __future__ import annotations

import gc
import os

# Before anything else is imported (bench_cold_start): the imports and the first invocation
# build tens of thousands of long-lived objects and hardly any garbage, so the cyclic GC is
# paused from here to the end of the first invocation (_first_invocation_without_gc). And
# pydantic's plugin lookup (the entry points of every installed distribution, when it builds
# its first validator) is skipped: the bridge uses no plugin. The function's environment says
# the same (infra); a value set there wins. And the code the libraries write and compile as
# they load comes from the bundle's recording, up to the end of the first invocation too
# (precompiled.py).
_GC_ON_AT_IMPORT = gc.isenabled()
gc.disable()
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from . import precompiled  # noqa: E402

precompiled.load()

import functools  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, TypeAlias  # noqa: E402

from aws_lambda_powertools import Logger, Metrics, Tracer  # noqa: E402
from aws_lambda_powertools.metrics import MetricUnit  # noqa: E402

from . import envelope, snapstart  # noqa: E402
from .limits import CORRELATION_ID_LENGTH_MAX  # noqa: E402
from .registry import OPERATIONS, Result, parse_request, run  # noqa: E402

# What Lambda calls: the event (any JSON value) and its context (Powertools reads
# function_name, memory_limit_in_mb, invoked_function_arn, aws_request_id from it).
Handler: TypeAlias = Callable[[object, Any], dict[str, Any]]

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "s3vl-bridge"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "s3vl"))


def _tracing_on() -> bool:
    """Tracing runs only inside Lambda with tracing not disabled. Building a Tracer that is
    off still imports the X-Ray SDK, whose recorder creates a botocore X-Ray client at import
    (about 100 ms of every cold start), so when it is off none is built."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")
    return not disabled and "LAMBDA_TASK_ROOT" in os.environ


# Patch only botocore (the one library we call out through), not everything X-Ray knows.
tracer = Tracer(patch_modules=["botocore"]) if _tracing_on() else None


def _traced(handler: Handler) -> Handler:
    return tracer.capture_lambda_handler(handler, capture_response=False) if tracer else handler


def _first_invocation_without_gc(handler: Handler) -> Handler:
    """The import of this module and the first invocation load most of the container:
    Powertools, pydantic, the operation's model and modules, botocore and its client, tens
    of thousands of long-lived objects and no garbage. Python's cyclic GC would stop part
    way through for a full collection over that whole heap (40-60 ms of a cold start,
    measured with bench_cold_start). So the GC is paused from the top of this module to the
    end of the first invocation, and what was loaded is then frozen (gc.freeze): later
    collections skip those objects, so a warm request never pays for a full heap scan.
    Cyclic garbage left from loading is never collected: a one-off ~800 objects, ~160 KB.
    The code recorded for what the libraries compile as they load is dropped there too."""
    first = True

    @functools.wraps(handler)
    def wrapper(event: object, context: Any) -> dict[str, Any]:
        nonlocal first
        if not first:
            return handler(event, context)
        first = False
        gc.disable()
        try:
            return handler(event, context)
        finally:
            precompiled.unload()
            gc.freeze()
            if _GC_ON_AT_IMPORT:
                gc.enable()

    return wrapper


@_first_invocation_without_gc
@metrics.log_metrics
@_traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: object, context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    request_id = getattr(context, "aws_request_id", None) or "local"
    correlation_id = _correlation_id(event) or request_id
    logger.set_correlation_id(correlation_id)
    operation = _operation_name(event)
    # log_metrics clears what an invocation added only when it prints it; with
    # POWERTOOLS_METRICS_DISABLED it prints nothing, so the last invocation's dimension would
    # still be there. Each invocation starts from an empty set.
    metrics.clear_metrics()
    metrics.add_dimension(name="operation", value=operation)

    try:
        request = parse_request(event)
        result = run(request)
    except Exception as exc:  # every failure becomes an envelope; the trace stays in the log
        error = envelope.to_domain_error(exc)
        if error.type == "InternalError":
            logger.exception("request failed unexpectedly", extra={"operation": operation})
        else:
            logger.warning(
                "request refused",
                extra={"operation": operation, "error_type": error.type, "field": error.field},
            )
        response = envelope.failure(error, request_id, _elapsed_ms(started))
        metrics.add_metric(name="errors", unit=MetricUnit.Count, value=1)
    else:
        response = envelope.success(result, request_id, _elapsed_ms(started))
        metrics.add_metric(name="errors", unit=MetricUnit.Count, value=0)
        metrics.add_metric(name="result_count", unit=MetricUnit.Count, value=_result_count(result))
    metrics.add_metric(
        name="latency", unit=MetricUnit.Milliseconds, value=(time.perf_counter() - started) * 1e3
    )
    if correlation_id != request_id:
        response["correlation_id"] = correlation_id
    return response


def _operation_name(event: object) -> str:
    operation = event.get("operation") if isinstance(event, dict) else None
    return operation if isinstance(operation, str) and operation in OPERATIONS else "invalid"


def _correlation_id(event: object) -> str | None:
    value = event.get("correlation_id") if isinstance(event, dict) else None
    return value[:CORRELATION_ID_LENGTH_MAX] if isinstance(value, str) and value else None


def _result_count(result: Result) -> int:
    """Rows answered, for the result_count metric."""
    if isinstance(result, list):
        return len(result)
    for key in ("total_count", "written_count", "deleted_count"):
        count = result.get(key)
        if isinstance(count, int):
            return count
    return 1


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


# A SnapStart init also loads what requests need and registers the restore hook
# (snapstart.py); any other init loads nothing more.
snapstart.prepare()
