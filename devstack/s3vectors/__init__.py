"""The local S3 Vectors service: moto's s3vectors service plus what AWS does and moto lacks.

devstack extends moto by subclassing, never by changing moto's classes: a backend
(backend.LocalS3VectorsBackend, kept in backend.local_backends) and a response
(responses.LocalS3VectorsResponse) swapped in at one point, moto's route table for s3vectors
(`moto.s3vectors.urls.url_paths`), which both `moto.mock_aws()` and moto's server
(`devstack.s3vectors.server`) read. install() points every s3vectors route, and the
operations moto does not route yet, at LocalS3VectorsResponse; uninstall() puts moto's own
table back. The moto range this relies on is pinned in pyproject.toml, and
tests/s3vectors/test_moto_surface.py checks the parts of moto it uses.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["install", "installed", "reset", "uninstall"]

_lock = threading.Lock()
_moto_routes: dict[str, Any] | None = None  # moto's table while ours is installed


def install() -> None:
    """Route s3vectors requests to the local service; idempotent and safe from any thread.
    A moto server app builds its routes when it first serves s3vectors, so install before."""
    global _moto_routes
    with _lock:
        if _moto_routes is not None:
            return
        from moto.s3vectors import urls

        from .responses import NEW_OPERATIONS, LocalS3VectorsResponse

        routes = dict.fromkeys(urls.url_paths, LocalS3VectorsResponse.dispatch)
        for operation in NEW_OPERATIONS:
            routes.setdefault(f"{{0}}/{operation}$", LocalS3VectorsResponse.dispatch)
        _moto_routes, urls.url_paths = urls.url_paths, routes


def uninstall() -> None:
    """Give moto its own s3vectors routes back (the local service's data stays until reset);
    a no-op when not installed. Servers already serving keep the routes they built."""
    global _moto_routes
    with _lock:
        if _moto_routes is None:
            return
        from moto.s3vectors import urls

        urls.url_paths, _moto_routes = _moto_routes, None


def installed() -> bool:
    with _lock:
        return _moto_routes is not None


def reset() -> None:
    """Empty every bucket, index and vector of every account and region, and clear faults."""
    from . import faults
    from .backend import local_backends

    for account_backends in list(local_backends.values()):
        account_backends.reset()
    faults.clear()
