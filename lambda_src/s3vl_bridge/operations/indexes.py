"""availability_check / ping, describe_index, list_indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__, client
from ..allowlist import allowlist, served_bucket_arn, served_index_arn
from ..embedding import served_models
from ..index_info import index_info, iso_time
from ..registry import OPERATIONS

if TYPE_CHECKING:
    from ..models.availability_check import AvailabilityCheck
    from ..models.describe_index import DescribeIndex
    from ..models.list_indexes import ListIndexes


def availability_check(_request: AvailabilityCheck) -> dict[str, Any]:
    """No AWS call: proves the function is reachable and shows what it serves."""
    served = allowlist()
    return {
        "status": "available",
        "version": __version__,
        "region": served.region,
        "allowed_indexes": sorted(served.index_arns),
        "allowed_buckets": sorted(served.bucket_arns),
        "allowed_embedding_models": sorted(served_models()),
        "operations": list(OPERATIONS),
    }


def describe_index(request: DescribeIndex) -> dict[str, Any]:
    return index_info(served_index_arn(request), refresh=True).as_result()


def list_indexes(request: ListIndexes) -> dict[str, Any]:
    bucket_arn = served_bucket_arn(request)
    served = allowlist()
    params: dict[str, Any] = {"vectorBucketArn": bucket_arn}
    if request.prefix is not None:
        params["prefix"] = request.prefix
    indexes = []
    while True:
        page = client.call("list_indexes", **params).body
        for item in page.get("indexes", ()):
            arn = item["indexArn"]
            if served.allows_index(arn):
                indexes.append(
                    {
                        "index_name": item["indexName"],
                        "index_arn": arn,
                        "vector_bucket_name": item["vectorBucketName"],
                        "creation_time": iso_time(item.get("creationTime")),
                    }
                )
        token = page.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    return {"indexes": indexes, "total_count": len(indexes)}
