"""Building blocks shared by the request models: strict types, the selectors of an index or a
bucket, and the options of a search.

A check across fields is a model validator that raises InvalidRequest naming the field at
fault: pydantic would report a ValueError raised there against the request as a whole, with
no field. It runs only once every field is valid on its own, so an operation receives a
request that is already whole.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from ..arns import check_bucket_arn, check_bucket_name, check_index_arn, check_index_name
from ..errors import InvalidRequest
from ..json_checks import check_filter
from ..limits import (
    CORRELATION_ID_LENGTH_MAX,
    DIMENSION_MAX,
    FLOAT32_MAX,
    KEY_LENGTH_MAX,
    TOP_K_MAX,
)

# JSON numbers only (strict: no "1.5" strings), never NaN or infinity, and within float32's
# range (S3 Vectors stores float32: 1e39 would become infinity).
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, ge=-FLOAT32_MAX, le=FLOAT32_MAX)]
Vector = Annotated[list[FiniteFloat], Field(min_length=1, max_length=DIMENSION_MAX)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=KEY_LENGTH_MAX)]
TopK = Annotated[int, Field(ge=1, le=TOP_K_MAX)]
IndexArn = Annotated[str, AfterValidator(check_index_arn)]
BucketArn = Annotated[str, AfterValidator(check_bucket_arn)]
BucketName = Annotated[str, AfterValidator(check_bucket_name)]
IndexName = Annotated[str, AfterValidator(check_index_name)]
# S3 Vectors takes the filter as a JSON document; its operators are checked by the service.
MetadataFilter = dict[str, Any]


class Request(BaseModel):
    """Every request: strict types, unknown fields refused (a typo must not pass silently).
    Schemas are built on a model's first validation (defer_build), so only the operation
    a container is asked for pays for its model."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    # Which model a request gets is decided by this name first (registry.py), so here it is
    # only carried along.
    operation: str
    # Optional id the caller sends to follow one request through the logs.
    correlation_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=CORRELATION_ID_LENGTH_MAX)] | None
    ) = None


class IndexSelector(Request):
    """index_arn, or vector_bucket_name + index_name (never both); allowlist.py resolves the
    one given to a served ARN."""

    index_arn: IndexArn | None = None
    vector_bucket_name: BucketName | None = None
    index_name: IndexName | None = None

    @model_validator(mode="after")
    def _one_index_selected(self) -> Self:
        by_name = self.vector_bucket_name is not None or self.index_name is not None
        if self.index_arn is not None:
            if by_name:
                raise InvalidRequest(
                    "give either index_arn or vector_bucket_name + index_name, not both",
                    field="index_arn",
                )
        elif self.vector_bucket_name is None or self.index_name is None:
            if self.index_name is not None:
                missing = "vector_bucket_name"
            elif self.vector_bucket_name is not None:
                missing = "index_name"
            else:
                missing = "index_arn"
            raise InvalidRequest(
                "index_arn is required (or vector_bucket_name together with index_name)",
                field=missing,
            )
        return self


class BucketSelector(Request):
    """vector_bucket_arn or vector_bucket_name (never both)."""

    vector_bucket_arn: BucketArn | None = None
    vector_bucket_name: BucketName | None = None

    @model_validator(mode="after")
    def _one_bucket_selected(self) -> Self:
        if self.vector_bucket_arn is not None and self.vector_bucket_name is not None:
            raise InvalidRequest(
                "give either vector_bucket_arn or vector_bucket_name, not both",
                field="vector_bucket_arn",
            )
        if self.vector_bucket_arn is None and self.vector_bucket_name is None:
            raise InvalidRequest(
                "vector_bucket_arn or vector_bucket_name is required", field="vector_bucket_arn"
            )
        return self


class Search(IndexSelector):
    """What every QueryVectors search of a request shares. Reference fields and defaults:
    top_k=10, return_metadata=true, metadata_filter; the rest are additions of the contract."""

    top_k: TopK = 10
    return_metadata: bool = True
    metadata_filter: MetadataFilter | None = None
    return_distance: bool = True
    query_mode: Literal["CLASSIC", "ENHANCED"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _filter_checked_first(cls, data: object) -> object:
        """Before any field is validated: a filter nested 1,000 deep would exhaust the stack
        further on (botocore validates a document recursively)."""
        if isinstance(data, dict) and data.get("metadata_filter") is not None:
            check_filter(data["metadata_filter"])
        return data
