from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ..json_checks import FLOAT64_HINT, not_float64
from .common import IndexSelector, Key, Vector


def _unwrap_float32(value: Any) -> Any:
    """Accept the put-vectors file format's `{"float32": [...]}` as well as a plain list."""
    if isinstance(value, dict) and set(value) == {"float32"}:
        return value["float32"]
    return value


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
    data: Annotated[Vector, BeforeValidator(_unwrap_float32)]
    metadata: dict[str, MetadataValue] | None = None


class PutVectors(IndexSelector):
    """Any number of vectors; all validated before the first write, then written in chunks."""

    operation: Literal["put_vectors"]
    vectors: Annotated[list[VectorRecord], Field(min_length=1)]
