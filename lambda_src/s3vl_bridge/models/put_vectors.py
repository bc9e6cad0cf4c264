import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .common import IndexSelector, Key, Vector


def _unwrap_float32(value: Any) -> Any:
    """Accept the put-vectors file format's `{"float32": [...]}` as well as a plain list."""
    if isinstance(value, dict) and set(value) == {"float32"}:
        return value["float32"]
    return value


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | bool | int)


def _metadata_value(value: Any) -> Any:
    """S3 Vectors stores strings, numbers, booleans and lists of those."""
    if _scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value)):
        return value
    raise ValueError("must be a string, a finite number, a boolean, or a list of those")


MetadataValue = Annotated[Any, AfterValidator(_metadata_value)]


class VectorRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    key: Key
    data: Annotated[Vector, BeforeValidator(_unwrap_float32)]
    metadata: dict[str, MetadataValue] | None = None


class PutVectors(IndexSelector):
    """Any number of vectors; all validated before the first write, then written in chunks."""

    operation: Literal["put_vectors"]
    vectors: Annotated[list[VectorRecord], Field(min_length=1)]
