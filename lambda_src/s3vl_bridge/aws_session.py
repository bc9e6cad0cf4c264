"""The botocore session each of the bridge's clients is made from: botocore's own, with its
built-in event handlers registered only where they can fire for the services it calls.

Made, a botocore session registers its 127 built-in handlers, most of them for other services
(37 for S3, others for EC2, RDS, Glacier, their documentation...), aliasing each name and
inspecting each handler's signature: about 50 M instructions, a twentieth of a cold start
(bench_cold_start, counted with callgrind). A handler registered under another service's name
never fires here: botocore names a client's events <event>.<service>.<operation> (and
docs.<section>.<service>... its documentation's) and matches a handler by whole dotted parts.
So this session gets, in botocore's order and ahead of anything else (as botocore registers
them), those of its handlers whose name names no service, any ('*'), or one of SERVICES.
"""

from __future__ import annotations

from typing import Any

# The services the bridge makes clients for, and those botocore's credential providers may
# make clients for from the same session (assumed roles, SSO, console sign-in).
CLIENT_SERVICES = ("s3vectors", "bedrock-runtime")
CREDENTIAL_SERVICES = ("sts", "sso", "sso-oidc", "signin")
SERVICES = CLIENT_SERVICES + CREDENTIAL_SERVICES


def new_session() -> Any:
    """A new session, as botocore.session.get_session() makes one, with the built-in handlers
    that can fire for SERVICES only."""
    import botocore.session
    from botocore import handlers
    from botocore.hooks import EventAliaser, HierarchicalEmitter

    emitter = HierarchicalEmitter()
    events = EventAliaser(emitter)
    for spec in kept_handlers():
        event_name, handler = spec[0], spec[1]
        if len(spec) == 2:
            events.register(event_name, handler)
        elif spec[2] is handlers.REGISTER_FIRST:
            events.register_first(event_name, handler)
        elif spec[2] is handlers.REGISTER_LAST:
            events.register_last(event_name, handler)
    return botocore.session.Session(event_hooks=emitter, include_builtin_handlers=False)


def kept_handlers() -> list[tuple[Any, ...]]:
    """botocore's built-in handler specs that can fire for SERVICES, in botocore's order."""
    from botocore import handlers
    from botocore.utils import EVENT_ALIASES

    # A service's older names, which botocore aliases to it when a handler is registered.
    names = set(SERVICES) | {
        old.split(".")[0] for old, new in EVENT_ALIASES.items() if new in SERVICES
    }
    return [
        spec
        for spec in handlers.BUILTIN_HANDLERS
        if (service := service_named(spec[0])) is None or service == "*" or service in names
    ]


def service_named(event_name: str) -> str | None:
    """The part of an event name that names a service, None when it names none:
    before-call.s3.PutObject -> s3, docs.*.s3.CopyObject.complete-section -> s3."""
    parts = event_name.split(".")
    at = 2 if parts[0] == "docs" else 1
    return parts[at] if len(parts) > at else None
