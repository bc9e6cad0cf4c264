"""The answers that carry vectors, decoded once.

botocore reads an answer in two passes: json.loads, then a walk of the operation's output
shape that calls a handler for every value, each of the 76,800 floats of a get_vectors of
100 x 768 included, taking about as long again as the decode (bench_get_vectors). For the
operations below that walk changes nothing: their output shapes hold only JSON strings,
numbers, booleans, lists, structures and documents, and no member bound to a header or the
status code (tests/bridge check the model). So a successful answer of theirs is decoded by
json.loads alone and handed to botocore as parsed (its before-parse hook); botocore then
parses an empty body, for the response metadata only. An error answer (status 300 or more)
is left to botocore's error parsing.
"""

from __future__ import annotations

import json
from typing import Any

# The S3 Vectors operations whose answers are decoded here (botocore operation names).
OPERATIONS = ("GetVectors", "ListVectors", "QueryVectors")
_EMPTY_BODY = b"{}"


def register(client: Any) -> None:
    """Decode the answers of OPERATIONS on `client` with json.loads alone."""
    for operation in OPERATIONS:
        client.meta.events.register(f"before-parse.s3vectors.{operation}", _decode_once)


def _decode_once(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    if response_dict.get("status_code", 500) >= 300:
        return
    body = response_dict.get("body")
    if not body:
        return
    decoded = json.loads(body)
    if not isinstance(decoded, dict):
        return  # not an answer of these operations: botocore reports it
    customized_response_dict.update(decoded)
    response_dict["body"] = _EMPTY_BODY
