"""The local S3 Vectors service: moto's s3vectors backend plus what AWS does and moto lacks.

install() patches moto in place (QueryVectors, pagination, segments, modes, metadata
configuration and the limits), so both `moto.mock_aws()` and the threaded server in
`devstack.s3vectors.server` speak the extended API to the real boto3 client.
"""

from __future__ import annotations

import threading

__all__ = ["install", "reset"]

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Install the extensions into moto; idempotent and safe to call from any thread."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.s3vectors import urls
        from moto.s3vectors.models import S3VectorsBackend
        from moto.s3vectors.responses import S3VectorsResponse

        from . import backend, responses

        for name, function in backend.PATCHES.items():
            setattr(S3VectorsBackend, name, function)
        for name, function in responses.PATCHES.items():
            setattr(S3VectorsResponse, name, function)
        # moto builds its routes from this dict (mock_aws per request, the server per app).
        for operation in responses.NEW_OPERATIONS:
            urls.url_paths.setdefault(f"{{0}}/{operation}$", S3VectorsResponse.dispatch)
        _installed = True


def reset() -> None:
    """Empty every bucket, index and vector of every account and region, and clear faults."""
    from moto.s3vectors.models import s3vectors_backends

    from . import faults

    for account_backends in list(s3vectors_backends.values()):
        account_backends.reset()
    faults.clear()
