"""LocalS3VectorsResponse: moto's S3VectorsResponse serving LocalS3VectorsBackend.

moto parses each request with botocore's model (after shapes.py checked its JSON types) and
calls the method named after the operation; the methods here read the parameters, call the
local backend and shape the answer. Injected faults (faults.py) answer in call_action,
before any work; test hooks (hooks.py) step around the rest.

The requests that carry vectors (RAW_JSON_OPERATIONS) are read as plain JSON instead: their
members are all in the body, and moto's model-driven parser visits every float of every
vector in Python (about 0.5 s of a 500 x 768 PutVectors, ten times the store's own work). The
backend checks each value itself (checks.py), so nothing the model parser refused passes.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pydantic_core
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import get_service_model
from moto.s3vectors.responses import S3VectorsResponse
from moto.utilities.utils import get_partition

from . import checks, faults, hooks, shapes
from .backend import LocalS3VectorsBackend, local_backends
from .errors import ValidationException

# Operations moto's routes (moto/s3vectors/urls.py) do not include yet.
NEW_OPERATIONS = (
    "QueryVectors",
    "UpdateIndexMode",
    "PutVectorBucketDefaultIndexMode",
    "UpdateMetadataConfiguration",
)
# Operations whose body is read as plain JSON (see the module's docstring).
RAW_JSON_OPERATIONS = frozenset({"PutVectors", "QueryVectors"})


def json_body(body: bytes | str | None) -> dict[str, Any]:
    """A request body that must be a JSON object, parsed (empty is {}). pydantic_core's
    parser is exact and several times faster than json's on floats; it stops at 200 levels
    of nesting, where json's parser takes over (the server refuses bodies deeper than 512)."""
    if not body:
        return {}
    try:
        try:
            value = pydantic_core.from_json(body)
        except ValueError as error:
            if "recursion limit" not in str(error):
                raise
            value = json.loads(body)
    except ValueError as error:
        raise ValidationException(
            "body", f"is not valid JSON ({error})", "Send the request as a JSON object."
        ) from None
    if not isinstance(value, dict):
        raise ValidationException("body", "must be a JSON object", "Send a JSON object.")
    return value


class LocalS3VectorsResponse(S3VectorsResponse):
    # A body shapes.py refused (parse_parameters, which moto skips for a request naming no
    # operation: hence the class default).
    _refused: ValidationException | None = None

    @property
    def s3vectors_backend(self) -> LocalS3VectorsBackend:
        return local_backends[self.current_account][get_partition(self.region)]

    def parse_parameters(self, request: Any) -> None:
        self._refused = None
        action = self._get_action()
        if action in RAW_JSON_OPERATIONS:
            # Read in the operation's method, where a bad body becomes an AWS error answer.
            self.params = {}
            self._raw_body: bytes = request.data
            return
        try:
            # moto's parser coerces or crashes on a member of the wrong JSON type (shapes.py).
            operation = get_service_model(self.boto3_service_name).operation_model(action)
            shapes.check(operation.input_shape, json_body(request.data))
        except ValidationException as refused:
            self._refused = refused  # answered by call_action, as any AWS error
            self.params = {}
            return
        super().parse_parameters(request)

    def _read_raw_body(self) -> None:
        self.params = json_body(self._raw_body)

    def call_action(self) -> TYPE_RESPONSE:
        action = self._get_action() or ""
        fault = faults.take(action)
        if fault is not None:
            return fault.response()
        if self._refused is not None:
            return self.serialized(ActionResult(self._refused))
        return cast(TYPE_RESPONSE, hooks.serve(action, super().call_action))

    def _index_params(self) -> dict[str, str]:
        """The index selector as the backend's keyword arguments, checked: ARN xor
        bucket+name."""
        bucket = self._get_param("vectorBucketName")
        name = self._get_param("indexName")
        arn = self._get_param("indexArn")
        checks.index_selector(arn, bucket, name)
        return {"vector_bucket_name": bucket, "index_name": name, "index_arn": arn}

    # -- buckets and indexes ----------------------------------------------------------------

    def create_index(self) -> ActionResult:
        self.s3vectors_backend.create_index(
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

    def get_index(self) -> ActionResult:
        index = self.s3vectors_backend.get_index(**self._index_params())
        result: dict[str, Any] = {
            "vectorBucketName": index.vectorBucketName,
            "indexName": index.index_name,
            "indexArn": index.index_arn,
            "creationTime": index.creation_time,
            "dataType": index.data_type,
            "dimension": index.dimension,
            "distanceMetric": index.distance_metric,
            "indexMode": index.index_mode,
        }
        configuration: dict[str, Any] = {}
        if index.non_filterable_keys:
            configuration["nonFilterableMetadataKeys"] = list(index.non_filterable_keys)
        if index.text.keys:
            configuration["textSearchConfigurations"] = index.text.report()
        if configuration:
            result["metadataConfiguration"] = configuration
        return ActionResult(result={"index": result})

    def update_metadata_configuration(self) -> ActionResult:
        index = self.s3vectors_backend.update_metadata_configuration(
            **self._index_params(), add=self._get_param("add"), delete=self._get_param("delete")
        )
        return ActionResult(result={"indexArn": index.index_arn})

    def get_vector_bucket(self) -> ActionResult:
        bucket = self.s3vectors_backend.get_vector_bucket(
            vector_bucket_name=self._get_param("vectorBucketName"),
            vector_bucket_arn=self._get_param("vectorBucketArn"),
        )
        return ActionResult(
            result={
                "vectorBucket": {
                    "vectorBucketName": bucket.vector_bucket_name,
                    "vectorBucketArn": bucket.vector_bucket_arn,
                    "creationTime": bucket.creation_time,
                    "encryptionConfiguration": bucket.encryption_configuration,
                    "defaultIndexMode": bucket.default_index_mode,
                }
            }
        )

    def put_vector_bucket_default_index_mode(self) -> ActionResult:
        self.s3vectors_backend.put_vector_bucket_default_index_mode(
            self._get_param("vectorBucketName"),
            self._get_param("vectorBucketArn"),
            self._get_param("defaultIndexMode"),
        )
        return EmptyResult()

    def update_index_mode(self) -> ActionResult:
        self.s3vectors_backend.update_index_mode(
            **self._index_params(), mode=self._get_param("indexMode")
        )
        return EmptyResult()

    def list_indexes(self) -> ActionResult:
        indexes, token = self.s3vectors_backend.list_indexes_page(
            self._get_param("vectorBucketName"),
            self._get_param("vectorBucketArn"),
            max_results=self._get_param("maxResults"),
            next_token=self._get_param("nextToken"),
            prefix=self._get_param("prefix"),
        )
        summaries = [
            {
                "vectorBucketName": index.vectorBucketName,
                "indexName": index.index_name,
                "indexArn": index.index_arn,
                "creationTime": index.creation_time,
            }
            for index in indexes
        ]
        result: dict[str, Any] = {"indexes": summaries}
        if token:
            result["nextToken"] = token
        return ActionResult(result=result)

    # -- vectors ----------------------------------------------------------------------------

    def put_vectors(self) -> ActionResult:
        checks.put_request_bytes(len(self._raw_body or b""))
        self._read_raw_body()
        self.s3vectors_backend.put_vectors(
            **self._index_params(), vectors=self._get_param("vectors")
        )
        return EmptyResult()

    def get_vectors(self) -> ActionResult:
        vectors = self.s3vectors_backend.get_vectors_in_order(
            **self._index_params(),
            keys=self._get_param("keys"),
            return_data=bool(self._get_param("returnData")),
            return_metadata=bool(self._get_param("returnMetadata")),
        )
        return ActionResult(result={"vectors": [vector.wire() for vector in vectors]})

    def delete_vectors(self) -> ActionResult:
        self.s3vectors_backend.delete_vectors(**self._index_params(), keys=self._get_param("keys"))
        return EmptyResult()

    def list_vectors(self) -> ActionResult:
        vectors, token = self.s3vectors_backend.list_vectors_page(
            **self._index_params(),
            max_results=self._get_param("maxResults"),
            next_token=self._get_param("nextToken"),
            segment_count=self._get_param("segmentCount"),
            segment_index=self._get_param("segmentIndex"),
            return_data=bool(self._get_param("returnData")),
            return_metadata=bool(self._get_param("returnMetadata")),
        )
        result: dict[str, Any] = {"vectors": [vector.wire() for vector in vectors]}
        if token:
            result["nextToken"] = token
        return ActionResult(result=result)

    def query_vectors(self) -> str:
        self._read_raw_body()
        result = self.s3vectors_backend.query_vectors(
            **self._index_params(),
            top_k=self._get_param("topK"),
            query_vector=self._get_param("queryVector"),
            filter_document=self._get_param("filter"),
            query_mode=self._get_param("queryMode"),
            return_metadata=bool(self._get_param("returnMetadata")),
            return_distance=bool(self._get_param("returnDistance")),
            next_token=self._get_param("nextToken"),
            query_texts=self._get_param("queryTexts"),
            return_scores=bool(self._get_param("returnScores")),
        )
        # Already in the wire shape (plain JSON types): sent as is, since moto's model-driven
        # serializer costs about as much as the search itself for 100 results.
        return json.dumps(result)
