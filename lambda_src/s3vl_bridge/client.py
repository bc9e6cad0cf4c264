"""The only module that touches boto3: a client made once per container, and one call wrapper
that turns S3 Vectors errors into domain errors with a retryable flag and hands back, with
each answer, the bytes it took on the wire (for the response budget, budget.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .errors import (
    AccessDenied,
    BridgeError,
    Conflict,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    ServiceUnavailable,
    Throttled,
    UpstreamError,
)
from .settings import settings

_client: Any = None
_lock = threading.Lock()

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
    """The container's S3 Vectors client, created on first use (boto3 is imported here, not at
    module import, so requests that need no AWS call never pay for it)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = _make_client()
    return _client


def _make_client() -> Any:
    import boto3
    from botocore.config import Config

    conf = settings()
    return boto3.session.Session().client(
        "s3vectors",
        region_name=conf.region,
        endpoint_url=conf.endpoint_url,
        config=Config(
            retries={"mode": "adaptive", "total_max_attempts": conf.max_attempts},
            connect_timeout=conf.connect_timeout_s,
            read_timeout=conf.read_timeout_s,
            max_pool_connections=max(10, conf.max_workers * 2),
            tcp_keepalive=True,
        ),
    )


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


def call(operation: str, **params: Any) -> Answer:
    """Call one S3 Vectors API (snake_case boto3 name); AWS errors become domain errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        body: dict[str, Any] = getattr(s3vectors(), operation)(**params)
    except ClientError as exc:
        raise _from_client_error(exc, operation) from None
    except BotoCoreError as exc:
        # Connection refused / timeouts after botocore's own retries.
        raise ServiceUnavailable(
            f"S3 Vectors {operation} could not be reached: {exc}; retry later",
            details={"aws_error_code": type(exc).__name__},
        ) from None
    return Answer(body, _wire_bytes(body))


def _wire_bytes(body: dict[str, Any]) -> int | None:
    headers = body.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    length = headers.get("content-length")
    return int(length) if length is not None and str(length).isdigit() else None


def _from_client_error(exc: Any, operation: str) -> BridgeError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")) or code
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    cls = _BY_CODE.get(code)
    err: BridgeError
    if cls is None:
        err = UpstreamError(f"S3 Vectors {operation} failed: {code}: {message}")
        err.retryable = isinstance(status, int) and status >= 500
    else:
        hint = " (retry later)" if cls.retryable else ""
        err = cls(f"S3 Vectors {operation}: {message}{hint}")
    err.details = {"aws_error_code": code}
    return err
