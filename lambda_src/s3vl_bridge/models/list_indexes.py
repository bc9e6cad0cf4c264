from typing import Annotated

from pydantic import StringConstraints

from ..limits import NAME_LENGTH_MAX
from .common import BucketSelector


class ListIndexes(BucketSelector):
    """All indexes of one vector bucket: vector_bucket_arn or vector_bucket_name."""

    prefix: Annotated[str, StringConstraints(min_length=1, max_length=NAME_LENGTH_MAX)] | None = (
        None
    )
