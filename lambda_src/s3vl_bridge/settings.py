"""The bridge function's settings (BridgeSettings), read once per container from its
environment. Infra's deploy-time settings (infra/config.py) are another thing."""

from __future__ import annotations

import functools
import os
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigurationError

# A slow S3 Vectors call must surface here as a retryable error, not as a killed invocation:
# the worst case, max_attempts x (connect + read) plus backoff (4 x 6 s by default), stays
# below the function's timeout (30 s by default in infra). The caller's own limit (Aurora's
# request_timeout_ms) is set by the SQL side.
Seconds = Annotated[float, Field(gt=0, le=60)]


class BridgeSettings(BaseModel):
    # Built on first use, like the request models: a refused request never pays for it.
    model_config = ConfigDict(frozen=True, defer_build=True)

    index_arns: tuple[str, ...] = ()
    bucket_arns: tuple[str, ...] = ()
    # Bedrock model ids the function may invoke (embedding.py); Bedrock Runtime's endpoint
    # is botocore's own setting, AWS_ENDPOINT_URL_BEDROCK_RUNTIME, read by the client.
    embedding_models: tuple[str, ...] = ()
    # update_metadata_configuration and update_index_mode: off unless the deployment granted
    # their IAM actions (infra's context flag indexAdmin).
    index_admin: bool = False
    endpoint_url: str | None = None
    region: str = "us-east-1"
    connect_timeout_s: Seconds = 1.0
    read_timeout_s: Seconds = 5.0
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    # The fan-out of query_vectors_batch, get_vectors chunks and embed (operations/pool.py).
    # 32, from bench/bench_production.py (AWS's latencies, 100 queries on 10,000 x 768, five
    # runs): 100 statements took 13.4-15.9 s, one batch 1.7-2.6 s at 8 workers (the old
    # default) and 1.0-1.5 s at 32 (9.5-13.1x). From 16 workers up this machine's CPU set the
    # pace; the modelled waits alone fall from 0.72 s at 16 to 0.42 s at 25-32 (four rounds) and
    # 0.22 s from 50 (two), but 32 in flight already asks ~320 QueryVectors a second of one
    # index, where AWS states "hundreds": more leaves no room for another session's batch.
    max_workers: Annotated[int, Field(ge=1, le=64)] = 32

    @field_validator("index_arns", "bucket_arns", "embedding_models", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value


ENVIRONMENT = {
    "index_arns": "S3VL_INDEX_ARNS",
    "bucket_arns": "S3VL_BUCKET_ARNS",
    "embedding_models": "S3VL_EMBEDDING_MODELS",
    "index_admin": "S3VL_INDEX_ADMIN",
    "endpoint_url": "S3VECTORS_ENDPOINT_URL",
    "region": "AWS_REGION",
    "connect_timeout_s": "S3VL_CONNECT_TIMEOUT_S",
    "read_timeout_s": "S3VL_READ_TIMEOUT_S",
    "max_attempts": "S3VL_MAX_ATTEMPTS",
    "max_workers": "S3VL_MAX_WORKERS",
}


@functools.cache
def settings() -> BridgeSettings:
    """Settings of this container (after changing the environment, `reset_container()`)."""
    raw = {field: os.environ[var] for field, var in ENVIRONMENT.items() if os.environ.get(var)}
    try:
        return BridgeSettings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        var = ENVIRONMENT.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else "?"
        raise ConfigurationError(
            f"environment variable {var}: {first['msg']}; fix the function's configuration"
        ) from None
