"""Which index or bucket a request names, checked against the allowlist before any AWS call."""

from __future__ import annotations

from typing import Any

from .arns import allowlist, denied
from .errors import InvalidRequest


def index_arn_of(request: Any) -> str:
    """The allowlisted index ARN a request selects: index_arn, or vector_bucket_name +
    index_name (never both)."""
    by_name = request.vector_bucket_name is not None or request.index_name is not None
    if request.index_arn is not None:
        if by_name:
            raise InvalidRequest(
                "give either index_arn or vector_bucket_name + index_name, not both",
                field="index_arn",
            )
        if not allowlist().allows_index(request.index_arn):
            raise denied(f"index {request.index_arn}", "index_arn")
        return request.index_arn
    if request.vector_bucket_name is None or request.index_name is None:
        if request.index_name is not None:
            missing = "vector_bucket_name"
        elif request.vector_bucket_name is not None:
            missing = "index_name"
        else:
            missing = "index_arn"
        raise InvalidRequest(
            "index_arn is required (or vector_bucket_name together with index_name)",
            field=missing,
        )
    arn = allowlist().index_arn_for(request.vector_bucket_name, request.index_name)
    if arn is None:
        raise denied(f"index {request.vector_bucket_name}/{request.index_name}", "index_name")
    return arn


def bucket_arn_of(request: Any) -> str:
    """The allowlisted bucket ARN of a list_indexes request."""
    if request.vector_bucket_arn is not None:
        if request.vector_bucket_name is not None:
            raise InvalidRequest(
                "give either vector_bucket_arn or vector_bucket_name, not both",
                field="vector_bucket_arn",
            )
        if not allowlist().allows_bucket(request.vector_bucket_arn):
            raise denied(f"vector bucket {request.vector_bucket_arn}", "vector_bucket_arn")
        return request.vector_bucket_arn
    if request.vector_bucket_name is None:
        raise InvalidRequest(
            "vector_bucket_arn or vector_bucket_name is required", field="vector_bucket_arn"
        )
    arn = allowlist().bucket_arn_for(request.vector_bucket_name)
    if arn is None:
        raise denied(f"vector bucket {request.vector_bucket_name}", "vector_bucket_name")
    return arn
