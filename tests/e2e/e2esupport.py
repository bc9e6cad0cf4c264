"""Shared by the end-to-end tests: what the session's stack holds, and a cold bridge container."""

from __future__ import annotations

from dataclasses import dataclass

from devstack import up
from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster


@dataclass(frozen=True)
class Stack:
    cluster: TemporaryCluster
    s3vectors_url: str
    function: LocalLambda
    demo: up.DemoIndex


def new_bridge_container() -> None:
    """The handler runs in this process, where other tests may have used the bridge with
    other settings: start from a cold container, as a real Lambda would."""
    from s3vl_bridge import arns, client, index_info, settings

    settings.settings.cache_clear()
    arns.allowlist.cache_clear()
    client.reset()
    index_info.reset()
