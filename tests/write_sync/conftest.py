"""The whole local path for the write and sync tests: a real PostgreSQL cluster with compat
and s3vl, the local S3 Vectors service and the Lambda Invoke endpoint with the real bridge.

The cluster lives for the session; the service and the endpoint live per module, because the
hosted handler reads process-wide environment (another folder's session stack may hold it too:
the caches are cleared on both ends). Each module gets a fresh database and its own indexes.
The fixtures are in local_path_fixtures.py, shared with tests/security.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Reuse the SQL and e2e helpers rather than copying them.
TESTS = Path(__file__).resolve().parents[1]
for folder in ("sql", "e2e", "write_sync"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))
from local_path_fixtures import clean, cluster, db, path, spy  # noqa: E402

__all__ = ["clean", "cluster", "db", "path", "spy"]
