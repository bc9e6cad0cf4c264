"""AWS-shaped errors raised by the local S3 Vectors service.

moto serializes a ServiceException through botocore's model, so a ValidationException here
reaches boto3 exactly as AWS's does: HTTP 400, `x-amzn-ErrorType`, `message` and `fieldList`.
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException


class ValidationException(ServiceException):
    """400 ValidationException whose message names the offending field and what to do."""

    code = "ValidationException"

    def __init__(self, field: str, problem: str, hint: str = "") -> None:
        message = f"Invalid value for '{field}': {problem}."
        if hint:
            message += f" {hint}"
        super().__init__(message)
        self.field = field
        # Part of the model's ValidationException shape; boto3 exposes it in e.response.
        self.fieldList = [{"path": field, "message": problem}]


class ConflictException(ServiceException):
    code = "ConflictException"


class NotFoundException(ServiceException):
    code = "NotFoundException"


def json_type_name(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
