from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from .. import float32_binary
from ..errors import InvalidRequest
from ..json_checks import FLOAT64_HINT, metadata_bytes, not_float64
from ..limits import METADATA_KEYS_MAX, METADATA_TOTAL_BYTES
from .common import IndexSelector, Key, Vector


def _vector_data(value: Any, numbers: ValidatorFunctionWrapHandler) -> list[float]:
    """A plain list of numbers, the put-vectors file format's `{"float32": [...]}`, or a row in
    binary form (`{"float32_be_base64": "..."}`, big-endian float32s, what SQL sends): decoded
    and checked whole by float32_binary (float32 already, so nothing for the per-number checks)."""
    if isinstance(value, dict) and len(value) == 1:
        if float32_binary.FIELD in value:
            return float32_binary.decode(value[float32_binary.FIELD])
        if "float32" in value:
            value = value["float32"]
    result: list[float] = numbers(value)
    return result


def _metadata_value(value: Any) -> Any:
    """S3 Vectors stores strings, numbers (as float64), booleans and lists of those."""
    items = value if isinstance(value, list) else (value,)
    for position, item in enumerate(items):
        if isinstance(item, str | bool):
            continue
        if not isinstance(item, int | float):
            raise ValueError("must be a string, a finite number, a boolean, or a list of those")
        problem = not_float64(item)
        if problem is not None:
            where = f" (element [{position}])" if isinstance(value, list) else ""
            raise ValueError(f"{problem}{where}; {FLOAT64_HINT}")
    return value


MetadataValue = Annotated[Any, AfterValidator(_metadata_value)]


class VectorRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    key: Key
    data: Annotated[Vector, WrapValidator(_vector_data)]
    metadata: dict[str, MetadataValue] | None = None


class PutVectors(IndexSelector):
    """Any number of vectors; all validated before the first write, then written in chunks.
    What needs the index (its dimension, metric, non-filterable keys) is checked by the
    operation, still before the first write."""

    vectors: Annotated[list[VectorRecord], Field(min_length=1)]

    @model_validator(mode="after")
    def _vectors_fit_together(self) -> Self:
        """One dimension across the request, each key once, metadata key count and size
        (finite float32 values and key lengths are the field types')."""
        seen: dict[str, int] = {}
        dimension = len(self.vectors[0].data)
        for i, record in enumerate(self.vectors):
            if len(record.data) != dimension:
                raise InvalidRequest(
                    f"has {len(record.data)} values but vectors[0] has {dimension}; every vector "
                    "of one request must have the index's dimension",
                    field=f"vectors[{i}].data",
                )
            if record.key in seen:
                raise InvalidRequest(
                    f"duplicate key {record.key!r} (also vectors[{seen[record.key]}]); "
                    "send each key once",
                    field=f"vectors[{i}].key",
                )
            seen[record.key] = i
            if record.metadata:
                if len(record.metadata) > METADATA_KEYS_MAX:
                    raise InvalidRequest(
                        f"has {len(record.metadata)} keys; S3 Vectors allows {METADATA_KEYS_MAX}",
                        field=f"vectors[{i}].metadata",
                    )
                size = metadata_bytes(record.metadata)
                if size > METADATA_TOTAL_BYTES:
                    raise InvalidRequest(
                        f"is {size} bytes; S3 Vectors allows {METADATA_TOTAL_BYTES} per vector",
                        field=f"vectors[{i}].metadata",
                    )
        return self
