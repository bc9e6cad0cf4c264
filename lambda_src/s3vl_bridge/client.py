"""The only module that touches boto3: a client made once per container, and one call wrapper
that turns S3 Vectors errors into domain errors with a retryable flag and hands back, with
each answer, the bytes it took on the wire (for the response budget, budget.py).

What the bridge sends has been validated by its request models (pydantic) and built by its
operations, so the client skips botocore's parameter validation, which repeated those checks
value by value. The requests that carry vectors (OWN_BODY) are serialised by the bridge with
pydantic_core.to_json, in Rust, instead of botocore's serialiser, which visits every float in
Python (about 1 µs a value: 0.4 s of a 500 x 768 PutVectors, 4 ms of a 4096-d query). Their
members are all in the JSON body (rest-json, POST /Operation), so the body is the whole
request. It is made from the parameters once every handler of the operation's own events has
seen them (a Stubber in tests), then botocore serialises only the index ARN, and the body is
put in place before botocore signs and sends it (a retry sends it again).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .aws_fields import bridge_field
from .errors import (
    AccessDenied,
    BridgeError,
    Conflict,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    ServiceUnavailable,
    Throttled,
    from_aws_error,
)
from .settings import settings

_client: Any = None
_lock = threading.Lock()

# Operations whose JSON body the bridge builds itself (see the module's docstring).
OWN_BODY = frozenset({"PutVectors", "QueryVectors"})
# The keyword that carries a ready body through botocore's events to the request; no S3
# Vectors parameter has this name.
_BODY = "S3vlJsonBody"

# AWS error code -> domain error class. Retryability lives on the class.
_BY_CODE: dict[str, type[BridgeError]] = {
    "ValidationException": InvalidRequest,
    "AccessDeniedException": AccessDenied,
    "NotFoundException": NotFound,
    "ConflictException": Conflict,
    "ServiceQuotaExceededException": QuotaExceeded,
    "TooManyRequestsException": Throttled,
    "ServiceUnavailableException": ServiceUnavailable,
    "InternalServerException": ServiceUnavailable,
    "RequestTimeoutException": ServiceUnavailable,
}


def s3vectors() -> Any:
    """The container's S3 Vectors client, created on first use (botocore is imported here, not
    at module import, so requests that need no AWS call never pay for it)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = _with_own_bodies(_make_client())
    return _client


def _make_client() -> Any:
    """A client from a botocore session: what boto3's Session().client() makes, without
    importing boto3 itself (boto3 and s3transfer, about 10 ms of a cold start that nothing
    here uses; bench_cold_start), from a session holding only the built-in handlers that can
    fire for the bridge's services (aws_session.py)."""
    from botocore.config import Config

    from . import read_answers
    from .aws_session import new_session

    conf = settings()
    client = new_session().create_client(
        "s3vectors",
        region_name=conf.region,
        endpoint_url=conf.endpoint_url,
        config=Config(
            retries={"mode": "adaptive", "total_max_attempts": conf.max_attempts},
            connect_timeout=conf.connect_timeout_s,
            read_timeout=conf.read_timeout_s,
            max_pool_connections=max(10, conf.max_workers * 2),
            tcp_keepalive=True,
            parameter_validation=False,  # the request models validated it all
        ),
    )
    read_answers.register(client)
    return client


def _with_own_bodies(made: Any) -> Any:
    events = made.meta.events
    events.register("provide-client-params.s3vectors", _take_ready_body)
    # Registered for the service, not the operation: botocore runs the handlers of the more
    # specific names (an operation's, a Stubber's) first.
    events.register("before-parameter-build.s3vectors", _make_body)
    events.register("before-call.s3vectors", _put_body_in_place)
    return made


def _take_ready_body(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """A ready body given to call() travels in the call's context, not as a parameter."""
    body = params.pop(_BODY, None)
    if body is not None:
        context[_BODY] = body


def _make_body(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    """The JSON body of an OWN_BODY operation; botocore is left the index ARN alone."""
    if model.name not in OWN_BODY:
        return
    if _BODY not in context:
        context[_BODY] = json_body(params)
    for name in [name for name in params if name != "indexArn"]:
        del params[name]


def _put_body_in_place(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Before signing: the serialised request's body becomes the ready one."""
    body = context.get(_BODY)
    if body is not None:
        params["body"] = body


def reset() -> None:
    """Forget the client (tests, or after the environment changed)."""
    global _client
    with _lock:
        _client = None


@dataclass(frozen=True)
class Answer:
    """One S3 Vectors answer: its body as boto3 parsed it, and its size as it came over the
    wire (Content-Length), None when the transport did not say (a stubbed client)."""

    body: dict[str, Any]
    wire_bytes: int | None


def call(
    operation: str, *, body: bytes | None = None, item_offset: int | None = 0, **params: Any
) -> Answer:
    """Call one S3 Vectors API (snake_case boto3 name); AWS errors become domain errors.
    `body` (an OWN_BODY operation's): its JSON body, ready, holding the same parameters as
    `params` (what handlers of botocore's events see). `item_offset`: where this call's first
    list item is in the bridge's request, for the field of a refusal (aws_fields.py)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if body is not None:
        params[_BODY] = body
    try:
        answer: dict[str, Any] = getattr(s3vectors(), operation)(**params)
    except ClientError as exc:
        raise _from_client_error(exc, operation, item_offset) from None
    except BotoCoreError as exc:
        # Connection refused / timeouts after botocore's own retries.
        raise ServiceUnavailable(
            f"S3 Vectors {operation} could not be reached: {exc}; retry later",
            details={"aws_error_code": type(exc).__name__},
        ) from None
    return Answer(answer, _wire_bytes(answer))


def json_body(value: Any) -> bytes:
    """JSON as the bridge sends it to S3 Vectors: compact UTF-8 (the sizes it checks, such as
    PutVectors' 20 MiB, count these bytes)."""
    import pydantic_core

    return pydantic_core.to_json(value)


def _wire_bytes(body: dict[str, Any]) -> int | None:
    headers = body.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    length = headers.get("content-length")
    return int(length) if length is not None and str(length).isdigit() else None


def _from_client_error(exc: Any, operation: str, item_offset: int | None) -> BridgeError:
    err = from_aws_error(exc.response, _BY_CODE, f"S3 Vectors {operation}")
    err.field = _refused_field(exc.response, operation, item_offset)
    return err


def _refused_field(response: dict[str, Any], operation: str, item_offset: int | None) -> str | None:
    """The bridge's name for the first place AWS's fieldList names (a ValidationException's)."""
    fields = response.get("fieldList")
    if not isinstance(fields, list) or not fields or not isinstance(fields[0], dict):
        return None
    path = fields[0].get("path")
    if not isinstance(path, str):
        return None
    return bridge_field(operation, path, item_offset=item_offset)
