"""Bedrock Runtime's errors as the service sends them, so boto3 maps them as it does AWS's.

bedrock-runtime speaks rest-json: the HTTP status of the error's shape in botocore's model,
the code in the `x-amzn-ErrorType` header (AWS appends `:<namespace>`, which botocore cuts
off) and a JSON body `{"message": ...}`. A request's body is checked the way the real models
check theirs, against a JSON schema: the message says `Malformed input request: #/<field>:
<problem>, please reformat your input and try again.`, naming the field as AWS does.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

# The HTTP status of each error of InvokeModel (botocore's bedrock-runtime model).
STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceQuotaExceededException": 400,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "UnknownOperationException": 404,
}
_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"


class BedrockError(Exception):
    """An error answer: its code (a key of STATUS) and message."""

    def __init__(self, code: str, message: str) -> None:
        if code not in STATUS:
            raise ValueError(f"unknown Bedrock error code {code!r}; one of {sorted(STATUS)}")
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps({"message": self.message}).encode()
        headers = {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": f"{self.code}:{_NAMESPACE}",
            "x-amzn-RequestId": str(uuid.uuid4()),
        }
        return self.status, headers, body


def validation(message: str) -> BedrockError:
    return BedrockError("ValidationException", message)


def malformed(path: str, problem: str) -> BedrockError:
    """A body that fails the model's schema; `path` is a JSON pointer ("" for the root)."""
    return validation(
        f"Malformed input request: #{path}: {problem}, please reformat your input and try again."
    )


def schema_type(value: Any) -> str:
    """The type names of the schema validator's messages."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"
