from typing import Annotated

from pydantic import Field

from .common import IndexSelector, Key


class GetVectors(IndexSelector):
    """Reference fields and defaults: vector_ids, include_vector_data=true,
    include_metadata=true. Any number of keys; the operation fetches them in chunks."""

    vector_ids: Annotated[list[Key], Field(min_length=1)]
    include_vector_data: bool = True
    include_metadata: bool = True
