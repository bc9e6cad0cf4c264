"""The bridge's botocore session (aws_session.py) registers only the built-in handlers that can
fire for its services, and its clients do what botocore's default session's clients do.

Clients of both sessions make the same calls against the local S3 Vectors service and the
local Bedrock Runtime: for every event a call emits, the same handlers run in the same order,
and the requests sent and the answers parsed are the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import handlers
from botocore.config import Config
from botocore.exceptions import ClientError
from s3vl_bridge import aws_session, client

from tests.support.bedrock import TITAN, local_bedrock
from tests.support.s3vectors import local_service_with_index

BUCKET = "session-bucket"
INDEX_ARN = f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{BUCKET}/index/docs"
SEED = [{"key": f"v{i}", "data": {"float32": [0.1 * i, 0.2, 0.3, 0.4]}} for i in range(6)]
# Differ on every request: when it was signed, and botocore's random invocation id.
VOLATILE_HEADERS = {"x-amz-date", "authorization", "amz-sdk-invocation-id"}


def _handler_name(handler: Any) -> str:
    target = getattr(handler, "func", handler)  # functools.partial
    target = getattr(target, "__func__", target)  # bound methods
    name = getattr(target, "__qualname__", type(target).__qualname__)
    return f"{getattr(target, '__module__', '?')}.{name}"


class Recorded:
    """A client whose events (its making's too), handlers and requests are noted as they
    happen."""

    def __init__(self, session: Any, make: Callable[[Any], Any]) -> None:
        self.events: list[str] = []
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        making = session.get_component("event_emitter")
        for method in ("emit", "emit_until_response"):
            self._note(making, method)
        self.client = make(session)
        emitter = self.client.meta.events  # the session's, copied for the client
        for method in ("emit", "emit_until_response"):
            self._note(emitter, method)
        emitter.register_last("before-send", self._sent)

    def _note(self, emitter: Any, method: str) -> None:
        original = getattr(emitter, method)

        def noted(event_name: str, **kwargs: Any) -> Any:
            self.events.append(event_name)
            return original(event_name, **kwargs)

        setattr(emitter, method, noted)

    def _sent(self, request: Any, **_: Any) -> None:
        headers = {
            name.lower(): value.decode() if isinstance(value, bytes) else str(value)
            for name, value in request.headers.items()
            if name.lower() not in VOLATILE_HEADERS
        }
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        self.requests.append((request.method, request.url, headers, body))

    def handlers_for(self, event_name: str) -> list[str]:
        # botocore's own lookup: the handlers an emit of this event calls, in order.
        emitter = self.client.meta.events._emitter
        return [_handler_name(h) for h in emitter._handlers.prefix_search(event_name)]


def _pair(make: Callable[[Any], Any]) -> tuple[Recorded, Recorded]:
    """The same client made from botocore's default session and from the bridge's."""
    return (
        Recorded(botocore.session.get_session(), make),
        Recorded(aws_session.new_session(), make),
    )


def _calls(recorded: Recorded, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    answers = []
    for operation, params in calls:
        try:
            answer = getattr(recorded.client, operation)(**params)
        except ClientError as error:
            answer = {"error": error.response["Error"]}
        answer.pop("ResponseMetadata", None)
        if "body" in answer:
            answer["body"] = json.loads(answer["body"].read())
        answers.append(answer)
    return answers


def _same_behaviour(default: Recorded, ours: Recorded, answers: tuple[Any, Any]) -> None:
    assert answers[0] == answers[1]
    assert dir(ours.client) == dir(default.client)  # the same operations offered
    assert ours.requests == default.requests
    assert ours.events == default.events
    for event_name in dict.fromkeys(default.events):
        assert ours.handlers_for(event_name) == default.handlers_for(event_name), event_name


@pytest.fixture
def s3vectors_pair() -> Iterator[tuple[Recorded, Recorded]]:
    with local_service_with_index(BUCKET, INDEX_ARN, 4, SEED) as service:
        config = Config(retries={"mode": "adaptive", "total_max_attempts": 2})

        def make(session: Any) -> Any:
            return session.create_client(
                "s3vectors",
                region_name="us-east-1",
                endpoint_url=service.meta.endpoint_url,
                config=config,
            )

        yield _pair(make)


def test_s3_vectors_clients_of_both_sessions_run_the_same_handlers_and_send_the_same(
    s3vectors_pair,
):
    default, ours = s3vectors_pair
    selector = {"indexArn": INDEX_ARN}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_index", selector),
        ("list_indexes", {"vectorBucketName": BUCKET}),
        (
            "query_vectors",
            {**selector, "queryVector": {"float32": [0.1, 0.2, 0.3, 0.4]}, "topK": 3},
        ),
        ("get_vectors", {**selector, "keys": ["v1", "v2"], "returnData": True}),
        ("list_vectors", {**selector, "maxResults": 2}),
        ("put_vectors", {**selector, "vectors": [{"key": "n", "data": {"float32": [1.0] * 4}}]}),
        ("delete_vectors", {**selector, "keys": ["n"]}),
        ("query_vectors", {**selector, "queryVector": {"float32": [0.1]}, "topK": 3}),  # refused
    ]
    answers = (_calls(default, calls), _calls(ours, calls))
    assert "error" in answers[0][-1]
    _same_behaviour(default, ours, answers)


def test_bedrock_runtime_clients_of_both_sessions_run_the_same_handlers_and_send_the_same():
    url = local_bedrock().url

    def make(session: Any) -> Any:
        return session.create_client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    default, ours = _pair(make)
    body = json.dumps({"inputText": "red running shoes", "dimensions": 256})
    calls: list[tuple[str, dict[str, Any]]] = [
        ("invoke_model", {"modelId": TITAN, "body": body, "contentType": "application/json"}),
        ("invoke_model", {"modelId": "no.such-model", "body": body}),  # refused
    ]
    answers = (_calls(default, calls), _calls(ours, calls))
    assert "embedding" in answers[0][0]["body"]
    _same_behaviour(default, ours, answers)


# Where the bridge names a service to botocore: create_client("...").
_CLIENT_FOR = re.compile(r"""create_client\(\s*["']([a-z0-9-]+)["']""")


def test_the_session_is_made_for_every_service_the_bridge_makes_a_client_for():
    named = {
        service
        for module in Path(aws_session.__file__).parent.rglob("*.py")
        for service in _CLIENT_FOR.findall(module.read_text())
    }
    assert named == set(aws_session.CLIENT_SERVICES)


def test_the_session_leaves_out_the_handlers_of_other_services():
    kept = aws_session.kept_handlers()
    assert len(kept) < len(handlers.BUILTIN_HANDLERS) / 4
    named = {aws_session.service_named(spec[0]) for spec in kept}
    assert {None, "bedrock-runtime", "sts"} <= named <= {None, "*", *aws_session.SERVICES}
    # Every handler of these, with the credential providers' sts, sso...
    for spec in handlers.BUILTIN_HANDLERS:
        if aws_session.service_named(spec[0]) in (None, "*", *aws_session.SERVICES):
            assert spec in kept, spec[0]


def test_the_bridges_client_is_made_from_that_session(monkeypatch):
    monkeypatch.setenv("S3VECTORS_ENDPOINT_URL", "http://127.0.0.1:9")
    made = client.s3vectors()
    s3_only = "before-parameter-build.s3.PutObject"
    default = botocore.session.get_session().create_client("s3", region_name="us-east-1")
    s3_handlers = {
        _handler_name(h) for h in default.meta.events._emitter._handlers.prefix_search(s3_only)
    }
    ours = {_handler_name(h) for h in made.meta.events._emitter._handlers.prefix_search(s3_only)}
    assert "botocore.handlers.sse_md5" in s3_handlers
    assert ours < s3_handlers
    assert "botocore.handlers.sse_md5" not in ours


@pytest.mark.parametrize(
    ("event_name", "service"),
    [
        ("before-call.s3.PutObject", "s3"),
        ("docs.*.s3.CopyObject.complete-section", "s3"),
        ("creating-client-class.bedrock-runtime", "bedrock-runtime"),
        ("choose-signer", None),
        ("needs-retry.*", "*"),
    ],
)
def test_the_service_an_event_name_names(event_name, service):
    assert aws_session.service_named(event_name) == service
