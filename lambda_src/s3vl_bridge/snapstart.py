"""Lambda SnapStart (infra context `snapStart`, docs/deploy.md): Lambda runs the function's
init once per published version, snapshots the microVM, and resumes new containers from that
snapshot instead of running the init again.

When this init is the one snapshotted (Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE to
"snap-start"), it also loads what a cold start would otherwise load on its first request:
every operation's model (validator built) and module, the settings, botocore and an S3
Vectors client. None of it calls AWS, so the snapshot holds no connection.

After each restore (the runtime's snapshot_restore_py hooks, in every Python managed
runtime), before the first request:
- the S3 Vectors client is dropped and made again on first use: its session read the
  credentials at init, and a container restored days later needs those of its own restore
  (SnapStart functions get container credentials, which a new session reads afresh);
- `random` is seeded again from the OS: botocore's retry jitter and Powertools' log sampling
  draw from it, and every container restored from one snapshot would otherwise draw the same
  sequence.
Ids need nothing: request ids come from Lambda, and botocore's invocation ids and X-Ray's
trace ids are drawn from os.urandom when they are made, never at init.

Outside SnapStart nothing here runs: a cold start loads only what its first request needs.
"""

from __future__ import annotations

import os
import random

SNAP_START = "snap-start"


def prepare() -> bool:
    """At init: load everything and register the restore hook when this init is the one
    snapshotted and the runtime's hook library is there; True when it did."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != SNAP_START:
        return False
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:  # not Lambda's runtime: no snapshot will be restored
        return False
    load_everything()
    register_after_restore(after_restore)
    return True


def after_restore() -> None:
    """Run by the runtime in each container restored from the snapshot."""
    from . import client

    client.reset()
    random.seed()


def load_everything() -> None:
    """Every operation's model (built) and module, the settings, botocore and a client: what
    any first request could load (also what infra/bundling.py records precompiled code of)."""
    from . import client, registry
    from .settings import settings

    for operation in registry.OPERATIONS:
        registry.model_for(operation).model_rebuild()
        registry.function_for(operation)
    settings()
    client.s3vectors()  # imports botocore and loads the service model; dropped at restore
