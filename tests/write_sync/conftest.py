"""The whole local path for the write and sync tests: a real PostgreSQL cluster with compat
and s3vl, the local S3 Vectors service and the Lambda Invoke endpoint with the real bridge.

The cluster lives for the session; the service and the endpoint live per module. Each module
gets a fresh database and its own indexes. The fixtures are tests.support's, shared with
tests/security.
"""

from __future__ import annotations

from tests.support.local_path import clean, db, path, spy
from tests.support.postgres import cluster

__all__ = ["clean", "cluster", "db", "path", "spy"]
