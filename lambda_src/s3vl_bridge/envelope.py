"""The response envelope, and the one place where exceptions become error envelopes."""

from __future__ import annotations

import json
from typing import Any

from .errors import BridgeError, InvalidRequest, ResponseTooLarge
from .limits import FLOAT32_MAX, KEY_LENGTH_MAX, METADATA_TOTAL_BYTES, RESPONSE_BYTES_MAX


def success(result: Any, request_id: str, execution_time_ms: int) -> dict[str, Any]:
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


def _from_pydantic(exc: Any) -> InvalidRequest:
    problems = exc.errors(include_url=False, include_input=False)
    fields = [field_path(p["loc"]) for p in problems]
    parts = [f"{f or 'request'}: {_message(p)}" for f, p in zip(fields, problems, strict=True)]
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return InvalidRequest("; ".join(parts[:3]) + more, field=fields[0] or None)


def _message(problem: dict[str, Any]) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown field; remove it (field names are snake_case, see the README)"
    if problem["type"] == "missing":
        return "required field is missing"
    if any(bound in (FLOAT32_MAX, -FLOAT32_MAX) for bound in (problem.get("ctx") or {}).values()):
        return "is outside the float32 range (about ±3.4e38); S3 Vectors stores float32 values"
    return str(problem["msg"]).removeprefix("Value error, ")


def field_path(loc: tuple[Any, ...]) -> str:
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


def check_size(
    rows: list[Any], *, row_bound: int, hint: str, wire_bytes: int | None = None
) -> None:
    """Refuse a result over Lambda's 6 MB response limit before it is handed to the runtime.

    Measuring is only needed when the rows could pass the limit: by len(rows) * row_bound (the
    worst case of every row), or, when S3 Vectors said how many bytes its answers took
    (`wire_bytes`, see `answer_bytes`), by what those bytes can grow to here. Rows are then
    measured as the runtime serialises them (json's default separators; ASCII escapes, the
    larger of the runtimes' two encodings), a slice at a time, stopping as soon as the limit
    is passed rather than serialising an oversized result.
    """
    bound = len(rows) * row_bound
    if wire_bytes is not None:
        bound = min(bound, wire_bytes * _WIRE_GROWTH + len(rows) * _ROW_FIELDS_BYTES)
    if bound < RESPONSE_BYTES_MAX:
        return
    size = 0
    for start in range(0, len(rows), _MEASURE_SLICE):
        size += len(json.dumps(rows[start : start + _MEASURE_SLICE]))
        if size > RESPONSE_BYTES_MAX:
            raise ResponseTooLarge(
                f"the result ({len(rows):,} rows) is over Lambda's 6 MB response limit; {hint}"
            )


def answer_bytes(answer: dict[str, Any]) -> int | None:
    """The size of one S3 Vectors answer as it came over the wire (Content-Length), or None
    when the transport did not say (then check_size falls back to the worst case)."""
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    length = headers.get("content-length")
    return int(length) if length is not None and str(length).isdigit() else None


_MEASURE_SLICE = 256
# A float printed by json takes at most 24 characters ("-1.2345678901234567e-308"), plus ", ".
_BYTES_PER_FLOAT = 26
# ASCII escaping grows text: a character outside the BMP becomes a 12-byte surrogate pair
# ("\ud83d\ude00"), and one UTF-8 byte at most 6 bytes (a control character as "\u0001").
# Text in metadata (RAG chunks in Cyrillic or Chinese) easily doubles or triples.
_ESCAPED_BYTES_PER_CHARACTER = 12
_ESCAPED_BYTES_PER_UTF8_BYTE = 6
# What S3 Vectors' compact UTF-8 JSON can grow to in our rows: each byte at most 6 once
# escaped (a float such as "1E15," grows 4x, a control character 6x); plus, per row, the
# fields the bridge adds (similarity_score, found, query_position, renamed keys, ", " and ": ").
_WIRE_GROWTH = _ESCAPED_BYTES_PER_UTF8_BYTE
_ROW_FIELDS_BYTES = 256


def row_bound(*, with_metadata: bool, dimension: int = 0) -> int:
    """The largest one result row can be once serialised: a key of up to 1024 characters,
    the row's other fields, up to 40 KB of metadata (as S3 Vectors counts it, in UTF-8),
    `dimension` floats, all after ASCII escaping."""
    key = KEY_LENGTH_MAX * _ESCAPED_BYTES_PER_CHARACTER
    metadata = (METADATA_TOTAL_BYTES + 1024) * _ESCAPED_BYTES_PER_UTF8_BYTE if with_metadata else 0
    return key + 256 + metadata + dimension * _BYTES_PER_FLOAT
