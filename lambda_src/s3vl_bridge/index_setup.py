"""A CloudFormation custom resource: an index's searchable keys and mode, applied at deploy.

CloudFormation's AWS::S3Vectors::Index has no property for full-text search or the index
mode, so the stack declares them on a `Custom::S3vlIndexSetup` resource per index
(infra/index_setup.py) served by this handler. It runs in a function of its own with the
bridge's bundle, whose boto3 is pinned to a version that knows UpdateMetadataConfiguration
and UpdateIndexMode (the runtime's own SDK lags and may not). Nothing of the bridge's request
path is imported.

Properties: IndexArn; IndexMode ('' leaves the mode alone); SearchableKeys, a list of
{metadataKey, language?} (absent: the keys are left alone).

- Create and Update: the mode first (full-text search needs ENHANCED), then the keys, each
  UpdateMetadataConfiguration call doing one thing: keys this resource configured before
  and no longer lists are deleted, as are listed keys whose language changed; listed keys the
  index lacks are added. Keys added by others (SQL's s3vl.add_searchable_keys) stay.
- Delete: nothing. The index keeps its configuration, and goes with its own resource.

The outcome goes to CloudFormation's pre-signed ResponseURL, as every custom resource's does.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.parse
import urllib.request
from typing import Any

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

RESOURCE_TYPE = "Custom::S3vlIndexSetup"
# CloudFormation keeps at most 4,096 bytes of a response; the reason is cut well below that.
_REASON_CHARACTERS = 1_000
# Connect and read timeouts and attempts: at most about 3 minutes, inside the function's 5.
_BOTOCORE = {"connect_timeout": 5, "read_timeout": 30, "retries": {"total_max_attempts": 5}}
# Where the answer may go: CloudFormation's pre-signed S3 URL is https; loopback over http
# serves tests and local stand-ins. Nothing else (no file:, no other host in clear).
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

Keys = dict[str, str | None]  # metadata key -> language (None: the standard analyzer)


def on_event(event: dict[str, Any], context: Any = None) -> None:
    """Lambda's entry point: apply the event, then answer CloudFormation either way."""
    physical_id = event.get("PhysicalResourceId") or f"{event.get('LogicalResourceId')}-failed"
    try:
        physical_id = apply(event)
    except Exception as error:  # any failure must reach CloudFormation, or it waits an hour
        logger.exception("index setup failed")
        answer(event, "FAILED", physical_id, reason=_reason(error))
        return
    answer(event, "SUCCESS", physical_id)


def apply(event: dict[str, Any], s3vectors: Any = None) -> str:
    """Do what the event asks; returns the physical resource id (the index's, so a replaced
    index is a new resource and the old one's Delete changes nothing)."""
    properties = event["ResourceProperties"]
    index_arn = properties["IndexArn"]
    physical_id = f"{index_arn}/setup"
    if event["RequestType"] == "Delete":
        return event.get("PhysicalResourceId") or physical_id
    s3vectors = s3vectors or _client()
    index = s3vectors.get_index(indexArn=index_arn)["index"]
    mode = properties.get("IndexMode") or None
    if mode is not None and index.get("indexMode") != mode:
        logger.info("index %s: mode %s -> %s", index_arn, index.get("indexMode"), mode)
        s3vectors.update_index_mode(indexArn=index_arn, indexMode=mode)
    wanted = _keys(properties.get("SearchableKeys"))
    if wanted is None:
        return physical_id
    old = event.get("OldResourceProperties") or {}
    configured = _keys(old.get("SearchableKeys")) if old.get("IndexArn") == index_arn else None
    current = _keys(
        (index.get("metadataConfiguration") or {}).get("textSearchConfigurations") or []
    )
    assert current is not None
    delete, add = changes(current=current, configured=configured or {}, wanted=wanted)
    if delete:
        logger.info("index %s: searchable keys deleted %s", index_arn, delete)
        s3vectors.update_metadata_configuration(
            indexArn=index_arn,
            delete={"textSearchConfigurations": [{"metadataKey": key} for key in delete]},
        )
    if add:
        logger.info("index %s: searchable keys added %s", index_arn, add)
        s3vectors.update_metadata_configuration(
            indexArn=index_arn,
            add={
                "textSearchConfigurations": [
                    {"metadataKey": key} | ({"language": language} if language else {})
                    for key, language in add.items()
                ]
            },
        )
    return physical_id


def changes(*, current: Keys, configured: Keys, wanted: Keys) -> tuple[list[str], Keys]:
    """(keys to delete, keys to add with their language), from the index's keys now, those
    this resource configured before and those it lists now."""
    delete = [
        key
        for key, language in current.items()
        if (key in configured and key not in wanted) or (key in wanted and wanted[key] != language)
    ]
    add = {key: language for key, language in wanted.items() if key not in current or key in delete}
    return delete, add


def _keys(value: Any) -> Keys | None:
    """Searchable keys from a property or GetIndex's configurations; None when absent."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(
            f"SearchableKeys must be a list of {{metadataKey, language}}, got {value!r}"
        )
    keys: Keys = {}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("metadataKey"), str):
            raise ValueError(f"a searchable key must be {{metadataKey, language}}, got {item!r}")
        keys[item["metadataKey"]] = item.get("language") or None
    return keys


def _client() -> Any:
    import boto3
    from botocore.config import Config

    # Lambda sets AWS_REGION (and AWS_DEFAULT_REGION); botocore alone reads only the latter.
    region = os.environ.get("AWS_REGION") or None
    return boto3.client("s3vectors", region_name=region, config=Config(**_BOTOCORE))


def _reason(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:_REASON_CHARACTERS]


def answer(event: dict[str, Any], status: str, physical_id: str, *, reason: str = "") -> None:
    """PUT the outcome to the event's ResponseURL (CloudFormation's custom resource protocol)."""
    url = event["ResponseURL"]
    parts = urllib.parse.urlsplit(url)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
        raise ValueError(
            f"ResponseURL must be https (CloudFormation's pre-signed URL), got {url!r}"
        )
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"See the log stream of the function for {event.get('RequestId')}",
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
            "Data": {},
        }
    ).encode()
    # The pre-signed URL was signed without a content type: send none.
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (scheme checked)
        response.read()
