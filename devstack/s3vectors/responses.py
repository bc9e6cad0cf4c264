"""What the local service adds to moto's S3VectorsResponse, installed by install().

Each method reads the request parameters (moto parses them with botocore's model) and calls
the patched backend. `call_action` is wrapped so injected faults answer before any work.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.s3vectors.responses import S3VectorsResponse

from . import backend as ext
from . import faults, limits
from .errors import ValidationException

_original_call_action = S3VectorsResponse.call_action


def call_action(self: S3VectorsResponse) -> Any:
    fault = faults.take(self._get_action() or "")
    if fault is not None:
        return fault.response()
    return _original_call_action(self)


def _index_params(self: S3VectorsResponse) -> dict[str, str]:
    """The index selector as the backend's keyword arguments, checked: ARN xor bucket+name."""
    bucket = self._get_param("vectorBucketName")
    name = self._get_param("indexName")
    arn = self._get_param("indexArn")
    limits.index_selector(arn, bucket, name)
    return {"vector_bucket_name": bucket, "index_name": name, "index_arn": arn}


def create_index(self: S3VectorsResponse) -> ActionResult:
    ext.create_index(
        self.s3vectors_backend,
        vector_bucket_name=self._get_param("vectorBucketName"),
        vector_bucket_arn=self._get_param("vectorBucketArn"),
        index_name=self._get_param("indexName"),
        data_type=self._get_param("dataType"),
        dimension=self._get_param("dimension"),
        distance_metric=self._get_param("distanceMetric"),
        tags=self._get_param("tags"),
        metadata_configuration=self._get_param("metadataConfiguration"),
    )
    return EmptyResult()


def get_index(self: S3VectorsResponse) -> ActionResult:
    index = self.s3vectors_backend.get_index(**_index_params(self))
    extras = ext.index_extras(index)
    result: dict[str, Any] = {
        "vectorBucketName": index.vectorBucketName,
        "indexName": index.index_name,
        "indexArn": index.index_arn,
        "creationTime": extras.creation_time,
        "dataType": index.data_type,
        "dimension": index.dimension,
        "distanceMetric": index.distance_metric,
        "indexMode": extras.index_mode,
    }
    hidden = extras.non_filterable_keys
    if hidden:
        result["metadataConfiguration"] = {"nonFilterableMetadataKeys": list(hidden)}
    return ActionResult(result={"index": result})


def get_vector_bucket(self: S3VectorsResponse) -> ActionResult:
    bucket = self.s3vectors_backend.get_vector_bucket(
        vector_bucket_name=self._get_param("vectorBucketName"),
        vector_bucket_arn=self._get_param("vectorBucketArn"),
    )
    return ActionResult(
        result={
            "vectorBucket": {
                "vectorBucketName": bucket.vector_bucket_name,
                "vectorBucketArn": bucket.vector_bucket_arn,
                "creationTime": ext.bucket_extras(bucket).creation_time,
                "encryptionConfiguration": bucket.encryption_configuration,
                "defaultIndexMode": ext.bucket_extras(bucket).default_index_mode,
            }
        }
    )


def put_vector_bucket_default_index_mode(self: S3VectorsResponse) -> ActionResult:
    ext.put_vector_bucket_default_index_mode(
        self.s3vectors_backend,
        self._get_param("vectorBucketName"),
        self._get_param("vectorBucketArn"),
        self._get_param("defaultIndexMode"),
    )
    return EmptyResult()


def update_index_mode(self: S3VectorsResponse) -> ActionResult:
    ext.update_index_mode(
        self.s3vectors_backend, **_index_params(self), mode=self._get_param("indexMode")
    )
    return EmptyResult()


def list_indexes(self: S3VectorsResponse) -> ActionResult:
    indexes, token = ext.list_indexes(
        self.s3vectors_backend,
        self._get_param("vectorBucketName"),
        self._get_param("vectorBucketArn"),
        max_results=self._get_param("maxResults"),
        next_token=self._get_param("nextToken"),
        prefix=self._get_param("prefix"),
    )
    result: dict[str, Any] = {"indexes": indexes}
    if token:
        result["nextToken"] = token
    return ActionResult(result=result)


def put_vectors(self: S3VectorsResponse) -> ActionResult:
    limits.put_request_bytes(len(self.body or b""))
    ext.put_vectors(
        self.s3vectors_backend,
        **_index_params(self),
        vectors=self._get_param("vectors"),
    )
    return EmptyResult()


def get_vectors(self: S3VectorsResponse) -> ActionResult:
    vectors = ext.get_vectors(
        self.s3vectors_backend,
        **_index_params(self),
        keys=self._get_param("keys"),
        return_data=bool(self._get_param("returnData")),
        return_metadata=bool(self._get_param("returnMetadata")),
    )
    return ActionResult(result={"vectors": vectors})


def delete_vectors(self: S3VectorsResponse) -> ActionResult:
    ext.delete_vectors(
        self.s3vectors_backend,
        **_index_params(self),
        keys=self._get_param("keys"),
    )
    return EmptyResult()


def list_vectors(self: S3VectorsResponse) -> ActionResult:
    vectors, token = ext.list_vectors(
        self.s3vectors_backend,
        **_index_params(self),
        max_results=self._get_param("maxResults"),
        next_token=self._get_param("nextToken"),
        segment_count=self._get_param("segmentCount"),
        segment_index=self._get_param("segmentIndex"),
        return_data=bool(self._get_param("returnData")),
        return_metadata=bool(self._get_param("returnMetadata")),
    )
    result: dict[str, Any] = {"vectors": vectors}
    if token:
        result["nextToken"] = token
    return ActionResult(result=result)


def query_vectors(self: S3VectorsResponse) -> str:
    if self._get_param("queryTexts") is not None:
        raise ValidationException(
            "queryTexts",
            "full-text and hybrid search are not supported by the local service yet",
            "Query with queryVector only.",
        )
    result = ext.query_vectors(
        self.s3vectors_backend,
        **_index_params(self),
        top_k=self._get_param("topK"),
        query_vector=self._get_param("queryVector"),
        filter_document=self._get_param("filter"),
        query_mode=self._get_param("queryMode"),
        return_metadata=bool(self._get_param("returnMetadata")),
        return_distance=bool(self._get_param("returnDistance")),
        next_token=self._get_param("nextToken"),
    )
    # Already in the wire shape (plain JSON types): sent as is, since moto's model-driven
    # serializer costs about as much as the search itself for 100 results.
    return json.dumps(result)


PATCHES = {
    "call_action": call_action,
    "create_index": create_index,
    "get_index": get_index,
    "get_vector_bucket": get_vector_bucket,
    "put_vector_bucket_default_index_mode": put_vector_bucket_default_index_mode,
    "update_index_mode": update_index_mode,
    "list_indexes": list_indexes,
    "put_vectors": put_vectors,
    "get_vectors": get_vectors,
    "delete_vectors": delete_vectors,
    "list_vectors": list_vectors,
    "query_vectors": query_vectors,
}

# Operations moto's urls.py does not route yet.
NEW_OPERATIONS = ("QueryVectors", "UpdateIndexMode", "PutVectorBucketDefaultIndexMode")
