"""Fixtures for the local Bedrock Runtime: the process's server (tests.support.bedrock) and a
boto3 client on it; faults are cleared after every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.bedrock.server import LocalBedrock
from tests.support.bedrock import local_bedrock, make_client


@pytest.fixture
def server() -> Iterator[LocalBedrock]:
    bedrock = local_bedrock()
    yield bedrock
    bedrock.faults.clear()


@pytest.fixture
def client(server: LocalBedrock) -> Any:
    return make_client(server.url)
