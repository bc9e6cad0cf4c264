"""Helpers shared by the compat tests and their conftest (a module of its own, because several
test folders have a conftest.py and `import conftest` would be ambiguous)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack.postgres import PostgresUnavailableError, TemporaryCluster

HERE = Path(__file__).resolve().parent
COMPAT_SQL = HERE.parents[1] / "sql" / "compat" / "aws_lambda.sql"
TEST_HANDLER = "lambda_test_handlers.handle"  # beside this file
FUNCTION_TIMEOUT_S = 2


def start_cluster(**kwargs: Any) -> TemporaryCluster:
    try:
        return TemporaryCluster(**kwargs).start()
    except PostgresUnavailableError as exc:
        pytest.fail(f"PostgreSQL with plpython3u is required for these tests: {exc}")


def install_compat(cluster: TemporaryCluster, dbname: str) -> None:
    cluster.psql("-q", "-f", str(COMPAT_SQL), dbname=dbname)
