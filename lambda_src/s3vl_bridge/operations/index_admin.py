"""update_metadata_configuration and update_index_mode: the index administration, served only
where the deployment enabled it (S3VL_INDEX_ADMIN, set with the IAM that allows it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import client
from ..allowlist import served_index_arn
from ..errors import AccessDenied
from ..index_info import index_info
from ..settings import settings

if TYPE_CHECKING:
    from ..models.update_index_mode import UpdateIndexMode
    from ..models.update_metadata_configuration import UpdateMetadataConfiguration


def update_metadata_configuration(request: UpdateMetadataConfiguration) -> dict[str, Any]:
    """Returns the index as describe_index does, with each searchable key's status (a key
    added to an index holding vectors is BUILDING until S3 Vectors has backfilled it)."""
    index_arn = _administered(request)
    params: dict[str, Any] = {"indexArn": index_arn}
    if request.add:
        params["add"] = {
            "textSearchConfigurations": [
                {"metadataKey": item.metadata_key}
                | ({"language": item.language} if item.language else {})
                for item in request.add
            ]
        }
    if request.delete:
        params["delete"] = {
            "textSearchConfigurations": [{"metadataKey": key} for key in request.delete]
        }
    client.call("update_metadata_configuration", **params)
    return index_info(index_arn, refresh=True).as_result()


def update_index_mode(request: UpdateIndexMode) -> dict[str, Any]:
    index_arn = _administered(request)
    client.call("update_index_mode", indexArn=index_arn, indexMode=request.index_mode)
    return index_info(index_arn, refresh=True).as_result()


def _administered(request: UpdateIndexMode | UpdateMetadataConfiguration) -> str:
    index_arn = served_index_arn(request)
    if not settings().index_admin:
        raise AccessDenied(
            f"{request.operation} is not enabled on this function; deploy the stack with the "
            "context flag indexAdmin=true (it sets S3VL_INDEX_ADMIN and grants the IAM actions)",
            field="operation",
        )
    return index_arn
