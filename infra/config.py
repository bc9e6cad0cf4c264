"""The deployment settings, read from CDK context and checked before anything is built.

Values come from cdk.json (JSON types) or from `-c key=value` (always strings), so every
reader accepts both. Each error names the context key and says what to write instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from infra.text_search_config import TextSearchConfigError, TextSearchSettings, text_search

ContextLookup = Callable[[str], Any]

NetworkMode = Literal["new", "existing"]
Architecture = Literal["arm64", "x86_64"]
Metric = Literal["cosine", "euclidean"]

# Naming rules of S3 Vectors (3-63 characters: lowercase letters, digits, hyphens; index
# names may also hold dots) and the limits of an index.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
# EC2 ids: a prefix and 8 or 17 hexadecimal digits (what CDK itself accepts).
_EC2_ID = re.compile(r"(vpc|subnet|sg|pl)-([0-9a-f]{8}|[0-9a-f]{17})")
# The Bedrock embedding models the bridge can call (lambda_src/s3vl_bridge/embedding.py).
EMBEDDING_MODELS = (
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "cohere.embed-multilingual-v3",
)
_MAX_DIMENSION = 4096
_MAX_NON_FILTERABLE_KEYS = 10
_INDEX_FIELDS = (
    "name",
    "dimension",
    "metric",
    "nonFilterableKeys",
    "searchableKeys",
    "indexMode",
)
_LAMBDA_MAX_TIMEOUT_SECONDS = 900


class ConfigError(ValueError):
    """A context value that cannot be deployed; the message names the key and the fix."""


@dataclass(frozen=True, kw_only=True)
class IndexSettings:
    """One vector index: its shape is fixed once created, so it is checked up front."""

    name: str
    dimension: int
    metric: Metric = "cosine"
    non_filterable_keys: tuple[str, ...] = ()
    # Searchable keys and index mode, applied after creation (infra/index_setup.py).
    text_search: TextSearchSettings = field(default_factory=TextSearchSettings)


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """Where the function runs: a new isolated VPC, or subnets of an existing one."""

    mode: NetworkMode = "new"
    vpc_cidr: str = "10.42.0.0/16"
    vpc_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    aurora_security_group_id: str = ""
    # An existing VPC whose subnets route to a NAT gateway needs no interface endpoints;
    # the function then reaches AWS on 443 through the NAT (to these prefix lists if given).
    nat_egress: bool = False
    egress_prefix_list_ids: tuple[str, ...] = ()
    # Without NAT, Aurora needs a Lambda interface endpoint to call the function; turn this
    # off when the VPC already has one (its private DNS name can exist only once).
    aurora_lambda_endpoint: bool = True


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    architecture: Architecture = "arm64"
    memory_mb: int = 512
    timeout_seconds: int = 30
    reserved_concurrency: int | None = None
    log_retention_days: int = 30
    # Lambda SnapStart on the published versions (the `live` alias): docs/deploy.md.
    snap_start: bool = False


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the stack needs; built by `from_context`, never by the constructs."""

    stack_name: str = "S3vl"
    vector_bucket_name: str = "s3vl-vectors"
    kms_key_arn: str = ""
    # Deleting the stack keeps the bucket and indexes (and so the vectors) unless false.
    retain_vector_store: bool = True
    indexes: tuple[IndexSettings, ...] = field(default_factory=tuple)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    function: FunctionSettings = field(default_factory=FunctionSettings)
    aurora_cluster_id: str = ""
    # Bedrock models the function may invoke (bedrock:InvokeModel on exactly these); none by
    # default: embedding is opt-in, and in a VPC without NAT it adds an interface endpoint.
    embedding_models: tuple[str, ...] = ()
    # update_metadata_configuration and update_index_mode (searchable keys, index mode) from
    # SQL: off by default; on, the function may call those two actions on its indexes.
    index_admin: bool = False

    @classmethod
    def from_context(cls, lookup: ContextLookup) -> Settings:
        """Read and check every context key; raise ConfigError on the first bad one."""
        return cls(
            stack_name=_text(lookup, "stackName", "S3vl"),
            vector_bucket_name=_bucket_name(lookup),
            kms_key_arn=_kms_key_arn(lookup),
            retain_vector_store=_flag(lookup, "retainVectorStore", default=True),
            indexes=_indexes(lookup),
            network=_network(lookup),
            function=_function(lookup),
            aurora_cluster_id=_text(lookup, "auroraClusterId", ""),
            embedding_models=_embedding_models(lookup),
            index_admin=_flag(lookup, "indexAdmin"),
        )


def _text(lookup: ContextLookup, key: str, default: str) -> str:
    value = lookup(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ConfigError(f"context {key!r} must be a string, got {value!r}")
    return value.strip()


def _integer(
    lookup: ContextLookup, key: str, default: int | None, low: int, high: int
) -> int | None:
    value = lookup(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ConfigError(f"context {key!r} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"context {key!r} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"context {key!r} must be between {low} and {high}, got {number}")
    return number


def _flag(lookup: ContextLookup, key: str, *, default: bool = False) -> bool:
    value = lookup(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ConfigError(f"context {key!r} must be true or false, got {value!r}")


def _id_list(lookup: ContextLookup, key: str, prefix: str) -> tuple[str, ...]:
    """A list of AWS ids from a JSON list or a comma-separated string."""
    value = lookup(key)
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ConfigError(f"context {key!r} must be a list or comma-separated ids, got {value!r}")
    ids = tuple(str(item).strip() for item in items if str(item).strip())
    for item in ids:
        if not item.startswith(prefix) or not _EC2_ID.fullmatch(item):
            raise ConfigError(
                f"context {key!r}: {item!r} is not an id like {prefix}0123456789abcdef0"
            )
    return ids


def _bucket_name(lookup: ContextLookup) -> str:
    name = _text(lookup, "vectorBucketName", "s3vl-vectors")
    if not _BUCKET_NAME.fullmatch(name):
        raise ConfigError(
            f"context 'vectorBucketName' {name!r} is not a vector bucket name: use 3-63 "
            "lowercase letters, digits or hyphens, starting and ending with a letter or digit"
        )
    return name


def _kms_key_arn(lookup: ContextLookup) -> str:
    arn = _text(lookup, "kmsKeyArn", "")
    if arn and not _KMS_KEY_ARN.fullmatch(arn):
        raise ConfigError(
            f"context 'kmsKeyArn' {arn!r} is not a KMS key ARN: give "
            "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID, or leave it empty for SSE-S3"
        )
    return arn


def _indexes(lookup: ContextLookup) -> tuple[IndexSettings, ...]:
    raw = lookup("indexes")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ConfigError(f"context 'indexes' is not valid JSON: {error}") from None
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            "context 'indexes' must be a non-empty JSON list such as "
            '[{"name": "products", "dimension": 384, "metric": "cosine"}]'
        )
    indexes = tuple(_index(position, item) for position, item in enumerate(raw))
    names = [index.name for index in indexes]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"context 'indexes' names each index once; repeated: {duplicates}")
    return indexes


def _index(position: int, item: Any) -> IndexSettings:
    where = f"context 'indexes[{position}]'"
    if not isinstance(item, dict):
        raise ConfigError(f"{where} must be an object with name, dimension and metric")
    unknown = sorted(set(item) - set(_INDEX_FIELDS))
    if unknown:
        raise ConfigError(f"{where} has unknown keys {unknown}: use {', '.join(_INDEX_FIELDS)}")
    name = item.get("name")
    if not isinstance(name, str) or not _INDEX_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}.name {name!r} is not an index name: use 3-63 lowercase letters, digits, "
            "hyphens or dots, starting and ending with a letter or digit"
        )
    dimension = item.get("dimension")
    if isinstance(dimension, bool) or not isinstance(dimension, int):
        raise ConfigError(f"{where}.dimension must be a whole number, got {dimension!r}")
    if not 1 <= dimension <= _MAX_DIMENSION:
        raise ConfigError(f"{where}.dimension must be between 1 and {_MAX_DIMENSION}")
    metric = item.get("metric", "cosine")
    if metric not in ("cosine", "euclidean"):
        raise ConfigError(f"{where}.metric must be 'cosine' or 'euclidean', got {metric!r}")
    keys = item.get("nonFilterableKeys", [])
    if not isinstance(keys, list) or not all(isinstance(key, str) and key for key in keys):
        raise ConfigError(f"{where}.nonFilterableKeys must be a list of metadata key names")
    if len(keys) > _MAX_NON_FILTERABLE_KEYS:
        raise ConfigError(
            f"{where}.nonFilterableKeys holds at most {_MAX_NON_FILTERABLE_KEYS} keys"
        )
    try:
        searchable = text_search(where, item)
    except TextSearchConfigError as error:
        raise ConfigError(str(error)) from None
    return IndexSettings(
        name=name,
        dimension=dimension,
        metric=metric,
        non_filterable_keys=tuple(keys),
        text_search=searchable,
    )


def _embedding_models(lookup: ContextLookup) -> tuple[str, ...]:
    """Model ids from a JSON list or a comma-separated string."""
    value = lookup("embeddingModels")
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise ConfigError(
            f"context 'embeddingModels' must be a list of Bedrock model ids, got {value!r}"
        )
    models = tuple(item.strip() for item in items if item.strip())
    for model_id in models:
        if model_id not in EMBEDDING_MODELS:
            raise ConfigError(
                f"context 'embeddingModels': {model_id!r} is not a model the bridge can call; "
                f"use some of {', '.join(EMBEDDING_MODELS)}"
            )
    if len(set(models)) != len(models):
        raise ConfigError(f"context 'embeddingModels' names each model once, got {list(models)}")
    return models


def _network(lookup: ContextLookup) -> NetworkSettings:
    mode = _text(lookup, "networkMode", "new")
    if mode == "new":
        return NetworkSettings(mode="new", vpc_cidr=_text(lookup, "vpcCidr", "10.42.0.0/16"))
    if mode != "existing":
        raise ConfigError(f"context 'networkMode' must be 'new' or 'existing', got {mode!r}")
    vpc_id = _text(lookup, "vpcId", "")
    if not vpc_id.startswith("vpc-") or not _EC2_ID.fullmatch(vpc_id):
        raise ConfigError(
            "context 'vpcId' is required with networkMode=existing: give the id (vpc-...) "
            "of the VPC that holds the Aurora cluster"
        )
    subnet_ids = _id_list(lookup, "subnetIds", "subnet-")
    if not subnet_ids:
        raise ConfigError(
            "context 'subnetIds' is required with networkMode=existing: give the private "
            "subnet ids (subnet-...) for the function, comma-separated"
        )
    aurora_sg = _text(lookup, "auroraSecurityGroupId", "")
    if not aurora_sg.startswith("sg-") or not _EC2_ID.fullmatch(aurora_sg):
        raise ConfigError(
            "context 'auroraSecurityGroupId' is required with networkMode=existing: give "
            "the security group (sg-...) of the Aurora cluster"
        )
    return NetworkSettings(
        mode="existing",
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        aurora_security_group_id=aurora_sg,
        nat_egress=_flag(lookup, "natEgress"),
        egress_prefix_list_ids=_id_list(lookup, "egressPrefixListIds", "pl-"),
        aurora_lambda_endpoint=_flag(lookup, "auroraLambdaEndpoint", default=True),
    )


def _function(lookup: ContextLookup) -> FunctionSettings:
    architecture = _text(lookup, "architecture", "arm64")
    if architecture not in ("arm64", "x86_64"):
        raise ConfigError(
            f"context 'architecture' must be 'arm64' or 'x86_64', got {architecture!r}"
        )
    memory = _integer(lookup, "memoryMb", 512, 128, 10240)
    timeout = _integer(lookup, "timeoutSeconds", 30, 3, _LAMBDA_MAX_TIMEOUT_SECONDS)
    assert memory is not None and timeout is not None  # both have defaults
    return FunctionSettings(
        architecture=cast(Architecture, architecture),
        memory_mb=memory,
        timeout_seconds=timeout,
        reserved_concurrency=_integer(lookup, "reservedConcurrency", None, 1, 10000),
        log_retention_days=_retention(lookup),
        snap_start=_flag(lookup, "snapStart"),
    )


# The retention periods CloudWatch Logs accepts.
_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _retention(lookup: ContextLookup) -> int:
    days = _integer(lookup, "logRetentionDays", 30, 1, 3653)
    assert days is not None
    if days not in _RETENTION_DAYS:
        raise ConfigError(
            f"context 'logRetentionDays' must be one of CloudWatch's periods {_RETENTION_DAYS}"
        )
    return days
