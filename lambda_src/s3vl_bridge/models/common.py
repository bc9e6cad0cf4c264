"""Building blocks shared by the request models: strict types and the index selector."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..arns import check_bucket_arn, check_bucket_name, check_index_arn, check_index_name
from ..limits import DIMENSION_MAX, FLOAT32_MAX, KEY_LENGTH_MAX, TOP_K_MAX

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

    # Optional id the caller sends to follow one request through the logs.
    correlation_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class IndexSelector(Request):
    """index_arn, or vector_bucket_name + index_name (never both); resolved in access.py."""

    index_arn: IndexArn | None = None
    vector_bucket_name: BucketName | None = None
    index_name: IndexName | None = None
