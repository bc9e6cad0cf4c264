"""Fixtures for the devstack tests: a throwaway PostgreSQL cluster for the folder and, per
module, a local Lambda endpoint hosting the scaffolding handler (tests.support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.lambda_invoke.server import LocalLambda
from tests.support.lambda_test_handlers import TEST_HANDLER
from tests.support.postgres import cluster

__all__ = ["cluster", "local_lambda"]


@pytest.fixture(scope="module")
def local_lambda() -> Iterator[LocalLambda]:
    with LocalLambda(
        handler=TEST_HANDLER, timeout_s=1, environment={"S3VL_TEST_SETTING": "from-env"}
    ) as function:
        yield function
