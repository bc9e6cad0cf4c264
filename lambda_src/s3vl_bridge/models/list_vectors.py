from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ..limits import LIST_MAX_RESULTS, SEGMENT_COUNT_MAX
from .common import IndexSelector


class ListVectors(IndexSelector):
    """Reference fields and defaults: max_results=100, next_token, return_data=false,
    return_metadata=true; segment_count + segment_index split a scan across callers."""

    operation: Literal["list_vectors"]
    max_results: Annotated[int, Field(ge=1, le=LIST_MAX_RESULTS)] = 100
    next_token: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    return_data: bool = False
    return_metadata: bool = True
    segment_count: Annotated[int, Field(ge=1, le=SEGMENT_COUNT_MAX)] | None = None
    segment_index: Annotated[int, Field(ge=0, lt=SEGMENT_COUNT_MAX)] | None = None
