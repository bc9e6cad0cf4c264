"""The response envelope, and the one place where exceptions become domain errors. What fits
in the envelope (Lambda's 6 MB) is budget.py's business."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BridgeError, InvalidRequest
from .limits import FLOAT32_MAX

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

    from .registry import Result


def success(result: Result, request_id: str, execution_time_ms: int) -> dict[str, Any]:
    return {
        "success": True,
        "result": result,
        "request_id": request_id,
        "execution_time_ms": execution_time_ms,
    }


def failure(error: BridgeError, request_id: str, execution_time_ms: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": error.type,
        "message": error.message,
        "retryable": error.retryable,
    }
    if error.field is not None:
        body["field"] = error.field
    if error.details:
        body["details"] = error.details
    return {
        "success": False,
        "error": body,
        "request_id": request_id,
        "execution_time_ms": execution_time_ms,
    }


def to_domain_error(exc: BaseException) -> BridgeError:
    """Map any exception to a domain error. Unexpected ones keep their trace in the log only."""
    if isinstance(exc, BridgeError):
        return exc
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return _from_pydantic(exc)
    return BridgeError("unexpected error in the bridge Lambda; see its log for the request_id")


def _from_pydantic(exc: ValidationError) -> InvalidRequest:
    problems = exc.errors(include_url=False, include_input=False)
    fields = [field_path(p["loc"]) for p in problems]
    parts = [f"{f or 'request'}: {_message(p)}" for f, p in zip(fields, problems, strict=True)]
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return InvalidRequest("; ".join(parts[:3]) + more, field=fields[0] or None)


def _message(problem: ErrorDetails) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown field; remove it (field names are snake_case, see the README)"
    if problem["type"] == "missing":
        return "required field is missing"
    if any(bound in (FLOAT32_MAX, -FLOAT32_MAX) for bound in (problem.get("ctx") or {}).values()):
        return "is outside the float32 range (about ±3.4e38); S3 Vectors stores float32 values"
    return str(problem["msg"]).removeprefix("Value error, ")


def field_path(loc: tuple[int | str, ...]) -> str:
    """('query_vector', 3) -> 'query_vector[3]'; members tried by a smart union
    (e.g. 'list[...]', 'function-after[...]') are skipped."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or part in ("function-after", "str", "int", "float", "bool"):
            continue
        else:
            out += f".{part}" if out else part
    return out
