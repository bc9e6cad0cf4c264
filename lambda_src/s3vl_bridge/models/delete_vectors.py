from typing import Annotated

from pydantic import Field

from .common import IndexSelector, Key


class DeleteVectors(IndexSelector):
    """Keys named vector_ids as in get_vectors; unknown keys are not an error (as in AWS)."""

    vector_ids: Annotated[list[Key], Field(min_length=1)]
