"""Injected faults reach boto3 with AWS's error shape, for the calls asked and no others."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from devstack.s3vectors import faults
from tests.support.s3vectors import make_client


@pytest.fixture
def index(client, make_index):
    selector = make_index(dimension=2)
    client.put_vectors(**selector, vectors=[{"key": "a", "data": {"float32": [1, 0]}}])
    return selector


def query(client, selector):
    return client.query_vectors(**selector, topK=1, queryVector={"float32": [1, 0]})


def outcome(call):
    try:
        call()
    except ClientError as error:
        meta = error.response["ResponseMetadata"]
        return error.response["Error"]["Code"], meta["HTTPStatusCode"]
    return "ok"


def test_skip_then_times_then_normal_again(client, index):
    faults.inject("QueryVectors", times=2, skip=1)
    results = [outcome(lambda: query(client, index)) for _ in range(4)]
    assert results == [
        "ok",
        ("TooManyRequestsException", 429),
        ("TooManyRequestsException", 429),
        "ok",
    ]


def test_a_fault_carries_the_code_status_and_message_asked_for(client, index):
    faults.inject(
        "get_vectors", code="ServiceUnavailableException", status=503, message="try later"
    )
    with pytest.raises(ClientError) as caught:
        client.get_vectors(**index, keys=["a"])
    assert caught.value.response["Error"] == {
        "Code": "ServiceUnavailableException",
        "Message": "try later",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_other_operations_are_not_affected(client, index):
    faults.inject("PutVectors", times=5)
    assert query(client, index)["vectors"] == [{"key": "a"}]
    assert faults.pending()[0]["times"] == 5


def test_clear_removes_every_fault(client, index):
    faults.inject("QueryVectors", times=3)
    faults.clear()
    assert faults.pending() == []
    assert query(client, index)["vectors"] == [{"key": "a"}]


def test_faults_queue_in_the_order_injected(client, index):
    faults.inject("QueryVectors", code="ThrottlingException", status=429)
    faults.inject("QueryVectors", code="InternalServerException", status=500)
    assert outcome(lambda: query(client, index)) == ("ThrottlingException", 429)
    assert outcome(lambda: query(client, index)) == ("InternalServerException", 500)
    assert outcome(lambda: query(client, index)) == "ok"


def test_boto3_retries_a_throttled_call_transparently(client, index):
    retrying = make_client(retries=3)
    faults.inject("QueryVectors", times=2)
    assert query(retrying, index)["vectors"] == [{"key": "a"}]
    assert faults.pending() == []


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"operation": "Query Vectors"}, "operation"),
        ({"operation": "QueryVectors", "times": 0}, "times"),
        ({"operation": "QueryVectors", "skip": -1}, "skip"),
        ({"operation": "QueryVectors", "status": 200}, "status"),
    ],
    ids=str,
)
def test_a_bad_injection_is_refused_with_the_reason(arguments, named):
    operation = arguments.pop("operation")
    with pytest.raises(ValueError, match=rf"^{named} must be"):
        faults.inject(operation, **arguments)
    assert faults.pending() == []
