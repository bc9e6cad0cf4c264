"""availability_check / ping, describe_index, list_indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import __version__, client
from ..access import bucket_arn_of, index_arn_of
from ..arns import allowlist
from ..index_info import index_info
from ..models import OPERATIONS
from ..settings import settings

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
        "region": settings().region,
        "allowed_indexes": sorted(served.index_arns),
        "allowed_buckets": sorted(served.bucket_arns),
        "operations": list(OPERATIONS),
    }


def describe_index(request: DescribeIndex) -> dict[str, Any]:
    return index_info(index_arn_of(request), refresh=True).as_result()


def list_indexes(request: ListIndexes) -> dict[str, Any]:
    bucket_arn = bucket_arn_of(request)
    served = allowlist()
    params: dict[str, Any] = {"vectorBucketArn": bucket_arn}
    if request.prefix is not None:
        params["prefix"] = request.prefix
    indexes = []
    while True:
        page = client.call("list_indexes", **params)
        for item in page.get("indexes", ()):
            arn = item["indexArn"]
            if served.allows_index(arn):
                created = item.get("creationTime")
                indexes.append(
                    {
                        "index_name": item["indexName"],
                        "index_arn": arn,
                        "vector_bucket_name": item["vectorBucketName"],
                        "creation_time": created.isoformat()
                        if hasattr(created, "isoformat")
                        else created,
                    }
                )
        token = page.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    return {"indexes": indexes, "total_count": len(indexes)}
