from typing import Annotated, Literal

from pydantic import StringConstraints

from .common import BucketArn, BucketName, Request


class ListIndexes(Request):
    """All indexes of one vector bucket: vector_bucket_arn or vector_bucket_name."""

    operation: Literal["list_indexes"]
    vector_bucket_arn: BucketArn | None = None
    vector_bucket_name: BucketName | None = None
    prefix: Annotated[str, StringConstraints(min_length=1, max_length=63)] | None = None
