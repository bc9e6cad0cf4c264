"""A handler shaped like the aws-samples integration's bare Lambda, the yardstick of the cold
start and get_vectors benchmarks (issue 11). Our own code doing the same work as that handler
(aws-samples/sample-rds-lambda-s3vector-integration, source/lambda/src/lambda_function.py at
its latest stored commit), so that a ratio against it means "against the sample":

- at import: logging, math, time, typing, boto3 and botocore's ClientError (and json, which
  botocore imports anyway); the root logger set to INFO; nothing else (no client, no
  settings);
- per request: an INFO line naming the operation, the operation's checks written out in
  Python (the index ARN's prefix and parts; every query_vector element a finite number; top_k
  1..1000; 1..100 vector_ids, each a non-blank string of at most 1024 characters without
  control characters, duplicates dropped in order; booleans), a NEW boto3 client from boto3's
  default session for each request, the one S3 Vectors call, rows in the reference shapes,
  an INFO line with the count, and the envelope {success, result, execution_time_ms,
  request_id}; an error becomes {success: false, error: {message, type}}.

One difference, needed here: the sample pins its client to us-west-2; this one takes the
region of AWS_REGION, so the local service (addressed through AWS_ENDPOINT_URL_S3VECTORS,
botocore's per-service endpoint variable, as the sample's unmodified code would be) sees the
index's region.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

REGION = os.environ.get("AWS_REGION", "us-west-2")
ARN_LENGTH_MAX = 2048
KEYS_MAX = 100
KEY_LENGTH_MAX = 1024
TOP_K_MAX = 1000
DIMENSION_MAX = 10_000
CONTROL_CHARACTERS = ("\x00", "\n", "\r", "\t")


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.time()
    request_id = context.aws_request_id if context else "unknown"
    try:
        operation = event.get("operation", "unknown") if isinstance(event, dict) else "unknown"
        logger.info(f"Request {request_id}: Processing {operation} operation")
        if not isinstance(event, dict) or "operation" not in event:
            raise ValueError("Event must contain 'operation' field")
        handlers = {
            "availability_check": _availability_check,
            "query_vectors": _query_vectors,
            "get_vectors": _get_vectors,
            "list_vectors": _list_vectors,
        }
        if event["operation"] not in handlers:
            raise ValueError(f"Unsupported operation: {event['operation']}")
        result = handlers[event["operation"]](event, request_id)
        return {
            "success": True,
            "result": result,
            "execution_time_ms": int((time.time() - started) * 1000),
            "request_id": request_id,
        }
    except Exception as exc:  # the sample answers every failure as an envelope
        logger.warning(f"Request {request_id}: Error: {exc}", exc_info=True)
        return {
            "success": False,
            "error": {"message": str(exc), "type": type(exc).__name__},
            "execution_time_ms": int((time.time() - started) * 1000),
            "request_id": request_id,
        }


def _index_arn(value: Any, name: str = "index_arn") -> str:
    if not value:
        raise ValueError(f"Missing required parameter: {name}")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValueError(f"{name} cannot be empty or whitespace")
    if not value.startswith("arn:aws:s3vectors:"):
        raise ValueError(f"{name} must be a valid S3 Vector index ARN")
    if len(value.split(":")) < 6:
        raise ValueError(f"{name} has invalid ARN format - insufficient parts")
    if len(value) > ARN_LENGTH_MAX:
        raise ValueError(f"{name} exceeds maximum ARN length of {ARN_LENGTH_MAX} characters")
    return value


def _boolean(event: dict[str, Any], name: str, default: bool) -> bool:
    value = event.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be a boolean")
    return value


def _client() -> Any:
    return boto3.client("s3vectors", region_name=REGION)


def _failed(call: str, request_id: str, exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    logger.warning(f"Request {request_id}: S3 Vector {call} API error: {code} - {exc}")
    return Exception(f"S3 Vector {call} failed: {code} - {exc}")


def _availability_check(event: dict[str, Any], request_id: str) -> dict[str, Any]:
    logger.info(f"Request {request_id}: Availability check - Lambda is reachable")
    return {"status": "available"}


def _query_vectors(event: dict[str, Any], request_id: str) -> list[dict[str, Any]]:
    index_arn = _index_arn(event.get("index_arn"))
    vector = event.get("query_vector")
    if not vector:
        raise ValueError("Missing required parameter: query_vector")
    if not isinstance(vector, list):
        raise ValueError("query_vector must be a list of numbers")
    if len(vector) > DIMENSION_MAX:
        raise ValueError(f"query_vector dimensions cannot exceed {DIMENSION_MAX}")
    for i, value in enumerate(vector):
        if not isinstance(value, int | float):
            raise ValueError(f"query_vector[{i}] must be a number, got {type(value).__name__}")
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise ValueError(f"query_vector[{i}] must be finite")
    top_k = event.get("top_k", 10)
    if not isinstance(top_k, int) or not 1 <= top_k <= TOP_K_MAX:
        raise ValueError(f"top_k must be an integer from 1 to {TOP_K_MAX}")
    return_metadata = _boolean(event, "return_metadata", True)
    metadata_filter = event.get("metadata_filter")
    if metadata_filter is not None and not isinstance(metadata_filter, dict):
        raise ValueError("metadata_filter must be a dictionary/object")
    logger.info(f"Request {request_id}: Query vectors with index_arn={index_arn}, top_k={top_k}")
    params: dict[str, Any] = {
        "indexArn": index_arn,
        "topK": top_k,
        "queryVector": {"float32": vector},
        "returnMetadata": return_metadata,
        "returnDistance": True,
    }
    if metadata_filter is not None:
        params["filter"] = metadata_filter
    try:
        answer = _client().query_vectors(**params)
    except ClientError as exc:
        raise _failed("QueryVectors", request_id, exc) from None
    rows = [
        {
            "vector_id": item["key"],
            "distance": item["distance"],
            "similarity_score": 1.0 - item["distance"],
            "metadata": item.get("metadata", {}),
        }
        for item in answer.get("vectors", [])
    ]
    logger.info(f"Request {request_id}: Found {len(rows)} similar vectors")
    return rows


def _vector_ids(value: Any) -> list[str]:
    if not value:
        raise ValueError("Missing required parameter: vector_ids")
    if not isinstance(value, list):
        raise ValueError("vector_ids must be a list")
    if len(value) > KEYS_MAX:
        raise ValueError(f"vector_ids cannot contain more than {KEYS_MAX} IDs")
    for i, key in enumerate(value):
        if not isinstance(key, str):
            raise ValueError(f"vector_ids[{i}] must be a string, got {type(key).__name__}")
        if not key.strip():
            raise ValueError(f"vector_ids[{i}] cannot be empty or whitespace")
        if len(key) > KEY_LENGTH_MAX:
            raise ValueError(f"vector_ids[{i}] exceeds maximum length of {KEY_LENGTH_MAX}")
        if any(character in key for character in CONTROL_CHARACTERS):
            raise ValueError(f"vector_ids[{i}] contains invalid control characters")
    return list(dict.fromkeys(value))


def _get_vectors(event: dict[str, Any], request_id: str) -> list[dict[str, Any]]:
    index_arn = _index_arn(event.get("index_arn"))
    keys = _vector_ids(event.get("vector_ids"))
    with_data = _boolean(event, "include_vector_data", True)
    with_metadata = _boolean(event, "include_metadata", True)
    logger.info(f"Request {request_id}: Getting {len(keys)} vectors from index_arn={index_arn}")
    try:
        answer = _client().get_vectors(
            indexArn=index_arn, keys=keys, returnData=with_data, returnMetadata=with_metadata
        )
    except ClientError as exc:
        raise _failed("GetVectors", request_id, exc) from None
    found = {item["key"]: item for item in answer.get("vectors", []) if item.get("key")}
    rows: list[dict[str, Any]] = []
    for key in keys:
        item = found.get(key)
        if item is None:
            rows.append({"vector_id": key, "embedding": None, "metadata": {}, "found": False})
            continue
        data = (item.get("data", {}).get("float32") or []) if with_data else None
        metadata = item.get("metadata", {}) if with_metadata else {}
        rows.append({"vector_id": key, "embedding": data, "metadata": metadata, "found": True})
    count = sum(1 for row in rows if row["found"])
    logger.info(f"Request {request_id}: Found {count}/{len(keys)} vectors")
    return rows


def _list_vectors(event: dict[str, Any], request_id: str) -> dict[str, Any]:
    index_arn = _index_arn(event.get("index_arn"))
    max_results = event.get("max_results", 100)
    if not isinstance(max_results, int) or not 1 <= max_results <= 1000:
        raise ValueError("max_results must be an integer between 1 and 1000")
    next_token = event.get("next_token")
    if next_token is not None and (not isinstance(next_token, str) or not next_token.strip()):
        raise ValueError("next_token must be a non-empty string")
    with_data = _boolean(event, "return_data", False)
    with_metadata = _boolean(event, "return_metadata", True)
    logger.info(f"Request {request_id}: Listing vectors from index_arn={index_arn}")
    params: dict[str, Any] = {
        "indexArn": index_arn,
        "maxResults": max_results,
        "returnData": with_data,
        "returnMetadata": with_metadata,
    }
    if next_token:
        params["nextToken"] = next_token
    try:
        page = _client().list_vectors(**params)
    except ClientError as exc:
        raise _failed("ListVectors", request_id, exc) from None
    vectors = []
    for item in page.get("vectors", []):
        entry: dict[str, Any] = {"vector_id": item.get("key", "")}
        if with_data:
            entry["vector_data"] = item.get("data", {}).get("float32", [])
        if with_metadata:
            entry["metadata"] = item.get("metadata", {})
        vectors.append(entry)
    result: dict[str, Any] = {"vectors": vectors, "total_count": len(vectors)}
    if page.get("nextToken"):
        result["next_token"] = page["nextToken"]
    logger.info(f"Request {request_id}: Listed {len(vectors)} vectors")
    return result
