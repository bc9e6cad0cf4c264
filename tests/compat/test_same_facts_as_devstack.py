"""The compat module (sql/compat/aws_lambda_invoke.py) and the local Invoke endpoint
(devstack/lambda_invoke/server.py) state the same facts of Lambda's Invoke API. The module runs
inside PostgreSQL and cannot import devstack, so each layer keeps its own copy, and this test
checks that the copies agree: invocation and log types, the spelling of a function name and of
a qualifier, how a function identifier reads, and the path of an invocation."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from devstack.lambda_invoke import server
from sql.compat import aws_lambda_invoke as module
from tests.compat.plpy_stand_in import StandInEndpoint, StandInPlpy

ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:s3vl-bridge"
NAME_64, QUALIFIER_128 = "n" * 64, "q" * 128

ACCEPTED = [
    "s3vl-bridge",
    "s3vl-bridge:$LATEST",
    "s3vl-bridge:prod",
    "s3vl_bridge-2:7",
    NAME_64,
    f"{NAME_64}:{QUALIFIER_128}",
    f"{ACCOUNT}:function:s3vl-bridge",
    f"{ACCOUNT}:function:s3vl-bridge:prod",
    f"{ACCOUNT}:function:{NAME_64}:{QUALIFIER_128}",
    ARN,
    f"{ARN}:$LATEST",
    f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:function:s3vl-bridge",
    f"arn:aws-us-gov:lambda:us-gov-west-1:{ACCOUNT}:function:{NAME_64}:{QUALIFIER_128}",
]
REFUSED = [
    "",
    "s3vl bridge",
    "no/such-function",
    "s3vl-bridge\n",
    "\ns3vl-bridge",
    "s3vl-bridge:",
    "s3vl-bridge:a:b",
    "s3vl-bridge:pr od",
    "s3vl.bridge",
    "12345678901:function:s3vl-bridge",
    f"{ACCOUNT}:function:",
    f"{ACCOUNT}:lambda:s3vl-bridge",
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:",
    f"arn:aws:s3:us-east-1:{ACCOUNT}:function:s3vl-bridge",
    f"arn:azure:lambda:us-east-1:{ACCOUNT}:function:s3vl-bridge",
    f"arn:aws:lambda:US-EAST-1:{ACCOUNT}:function:s3vl-bridge",
    f"{ARN}\n",
    "n" * 65,
]
# Longer than Lambda allows, refused by the compat module before any request. The endpoint's
# patterns bound neither a name inside an ARN nor a qualifier inside a name (its Qualifier
# parameter is bounded), so it reads these and answers 404: no function has such a name.
LONGER_THAN_LAMBDA_ALLOWS = [
    f"s3vl-bridge:{QUALIFIER_128}q",
    f"{ACCOUNT}:function:{NAME_64}n",
    f"{ACCOUNT}:function:s3vl-bridge:{QUALIFIER_128}q",
    f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{NAME_64}n",
    f"{ARN}:{QUALIFIER_128}q",
]
FIELDS = ("name", "qualifier", "region", "account")


def read_by_compat(identifier: str) -> dict[str, str | None] | None:
    parts = module.function_parts(identifier)
    return None if parts is None else {field: parts.get(field) for field in FIELDS}


def read_by_devstack(identifier: str) -> dict[str, str | None] | None:
    match = (
        server._FULL_ARN.fullmatch(identifier)
        or server._PARTIAL_ARN.fullmatch(identifier)
        or server._NAME.fullmatch(identifier)
    )
    return None if match is None else {field: match.groupdict().get(field) for field in FIELDS}


def test_invocation_and_log_types_are_the_same() -> None:
    assert module.INVOCATION_TYPES == server.INVOCATION_TYPES
    assert module.LOG_TYPES == server.LOG_TYPES


def test_a_name_and_a_qualifier_are_spelled_the_same() -> None:
    assert server._QUALIFIER.pattern == module.QUALIFIER
    assert f"(?P<name>{module.FUNCTION_NAME})" in server._NAME.pattern


@pytest.mark.parametrize("identifier", ACCEPTED)
def test_an_identifier_both_accept_reads_the_same(identifier: str) -> None:
    compat = read_by_compat(identifier)
    assert compat is not None
    assert read_by_devstack(identifier) == compat


@pytest.mark.parametrize("identifier", REFUSED)
def test_an_identifier_compat_refuses_the_endpoint_refuses(identifier: str) -> None:
    assert read_by_compat(identifier) is None
    assert read_by_devstack(identifier) is None


@pytest.mark.parametrize("identifier", LONGER_THAN_LAMBDA_ALLOWS)
def test_only_lengths_past_lambdas_limits_are_read_by_the_endpoint_alone(identifier: str) -> None:
    assert read_by_compat(identifier) is None
    local = read_by_devstack(identifier)
    if local is not None:  # the endpoint's patterns may come to bound them too
        assert len(local["name"] or "") > 64 or len(local["qualifier"] or "") > 128


def test_the_path_compat_posts_to_is_the_one_the_endpoint_serves() -> None:
    with StandInEndpoint() as endpoint:
        plpy = StandInPlpy({"aws_lambda.endpoint_override": endpoint.url}, superuser_session=True)
        for name, qualifier in [(f"{ARN}:$LATEST", "$LATEST"), ("s3vl-bridge", "prod")]:
            module.Call(
                plpy,
                {},
                function_name=name,
                payload="{}",
                region=None,
                invocation_type="RequestResponse",
                log_type="None",
                context=None,
                qualifier=qualifier,
            ).run()
    for request, name, qualifier in zip(
        endpoint.requests, [f"{ARN}:$LATEST", "s3vl-bridge"], ["$LATEST", "prod"], strict=True
    ):
        url = urlsplit(request.path)
        served = server._INVOKE_PATH.fullmatch(url.path)
        assert served is not None, request.path
        assert unquote(served["name"]) == name
        assert url.query == f"Qualifier={qualifier.replace('$', '%24')}"
