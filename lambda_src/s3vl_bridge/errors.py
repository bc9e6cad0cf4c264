"""Domain errors: each carries the envelope's `type`, the field at fault and a retryable flag.

The type names are the contract with the SQL side, which maps them to SQLSTATEs
(see the table in the README): keep them stable.
"""

from __future__ import annotations

from typing import Any


class BridgeError(Exception):
    """An error answered as `success: false`; never a Lambda function error."""

    type = "InternalError"
    retryable = False

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidRequest(BridgeError):
    type = "ValidationError"


class AccessDenied(BridgeError):
    type = "AccessDenied"


class NotFound(BridgeError):
    type = "NotFound"


class Conflict(BridgeError):
    type = "Conflict"


class QuotaExceeded(BridgeError):
    type = "ServiceQuotaExceeded"


class Throttled(BridgeError):
    type = "Throttled"
    retryable = True


class ServiceUnavailable(BridgeError):
    type = "ServiceUnavailable"
    retryable = True


class ResponseTooLarge(BridgeError):
    type = "ResponseTooLarge"


class PartialWrite(BridgeError):
    """A chunked write stopped part way: `details` lists the keys written and not written."""

    type = "PartialWrite"

    def __init__(self, message: str, *, cause: BridgeError, details: dict[str, Any]) -> None:
        super().__init__(message, field=cause.field, details=details)
        self.retryable = cause.retryable


class UpstreamError(BridgeError):
    """An S3 Vectors error with no better mapping (its code is kept in the message), or an
    answer that cannot be followed, such as a nextToken handed back unchanged."""

    type = "UpstreamError"


class ConfigurationError(BridgeError):
    """The function's own environment is wrong (a malformed allowlist entry, a bad timeout)."""

    type = "ConfigurationError"


def from_aws_error(
    response: dict[str, Any],
    by_code: dict[str, type[BridgeError]],
    call: str,
    hints: dict[str, str] | None = None,
) -> BridgeError:
    """The domain error for an AWS error answer (a botocore ClientError's `response`) to
    `call` ("S3 Vectors get_vectors"): the class `by_code` maps its code to, with the code's
    hint unless the class is retryable; an unmapped code is an UpstreamError, retryable on a
    5xx. An answer without a code or message (a proxy's error page) is "Unknown"."""
    error = response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")) or code
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    cls = by_code.get(code)
    err: BridgeError
    if cls is None:
        err = UpstreamError(f"{call} failed: {code}: {message}")
        err.retryable = isinstance(status, int) and status >= 500
    else:
        hint = " (retry later)" if cls.retryable else (hints or {}).get(code, "")
        err = cls(f"{call}: {message}{hint}")
    err.details = {"aws_error_code": code}
    return err
