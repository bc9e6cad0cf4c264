"""The bridge's Bedrock Runtime client (client.py is its S3 Vectors one): made once per
container with the same retries and timeouts, and one call, InvokeModel, whose errors become
domain errors with a retryable flag.

The endpoint is botocore's own setting: AWS_ENDPOINT_URL_BEDROCK_RUNTIME (the local stand-in,
devstack/bedrock) or, unset, the region's public endpoint, which a VPC interface endpoint
answers with private DNS."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from typing import Any

from .errors import (
    AccessDenied,
    BridgeError,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    ServiceUnavailable,
    Throttled,
    UpstreamError,
    from_aws_error,
)
from .settings import settings

_lock = threading.Lock()

# Bedrock Runtime's InvokeModel errors (botocore's model) -> domain error classes.
_BY_CODE: dict[str, type[BridgeError]] = {
    "ValidationException": InvalidRequest,
    "AccessDeniedException": AccessDenied,
    "ResourceNotFoundException": NotFound,
    "ServiceQuotaExceededException": QuotaExceeded,
    "ThrottlingException": Throttled,
    "ModelNotReadyException": ServiceUnavailable,
    "ModelTimeoutException": ServiceUnavailable,
    "InternalServerException": ServiceUnavailable,
    "ServiceUnavailableException": ServiceUnavailable,
    "ModelErrorException": UpstreamError,
}
_HINTS = {
    "AccessDeniedException": "; give the bridge's role bedrock:InvokeModel on this model and "
    "enable the model's access in the Bedrock console of this region",
    "ResourceNotFoundException": "; check the model id and that the model is offered in this "
    "region",
}


def bedrock_runtime() -> Any:
    """The container's Bedrock Runtime client, created on the first embed request (botocore
    is imported then, not at module import)."""
    with _lock:  # concurrent first requests make one client
        return _made()


@functools.cache
def _made() -> Any:
    from botocore.config import Config

    from .aws_session import new_session

    conf = settings()
    return new_session().create_client(
        "bedrock-runtime",
        region_name=conf.region,
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
    with _lock:
        _made.cache_clear()


@dataclass(frozen=True)
class Invocation:
    """A model's answer (its JSON body) and the input tokens Bedrock counted, when it said."""

    body: dict[str, Any]
    input_tokens: int | None


def invoke_model(model_id: str, body: dict[str, Any], *, field: str) -> Invocation:
    """InvokeModel with a JSON body; a Bedrock error becomes a domain error naming `field`
    (the request's field that the invocation embeds)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = bedrock_runtime().invoke_model(
            modelId=model_id,
            body=json.dumps(body),
            contentType="application/json",
            accept="application/json",
        )
        parsed = json.loads(answer["body"].read())
    except ClientError as exc:
        raise _from_client_error(exc, model_id, field) from None
    except BotoCoreError as exc:  # connection refused, timeouts, after botocore's retries
        raise ServiceUnavailable(
            f"Bedrock InvokeModel ({model_id}) could not be reached: {exc}; retry later",
            details={"aws_error_code": type(exc).__name__},
        ) from None
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    tokens = headers.get("x-amzn-bedrock-input-token-count")
    if not isinstance(parsed, dict):
        raise UpstreamError(f"Bedrock InvokeModel ({model_id}) answered {type(parsed).__name__}")
    return Invocation(parsed, int(tokens) if str(tokens).isdigit() else None)


def _from_client_error(exc: Any, model_id: str, field: str) -> BridgeError:
    err = from_aws_error(exc.response, _BY_CODE, f"Bedrock InvokeModel ({model_id})", _HINTS)
    if type(err) is InvalidRequest:
        err.field = field
    elif type(err) in (AccessDenied, NotFound):
        err.field = "model_id"
    return err
