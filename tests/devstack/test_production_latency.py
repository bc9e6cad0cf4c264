"""Production-shaped latency (devstack/production_latency.py): the local S3 Vectors service and
the Invoke endpoint wait AWS's figures when it is switched on, and only then; concurrent
requests wait side by side. The waits are given a clock that stands still and a wait that
records (or meets the other request at a barrier), so nothing here sleeps or times anything."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from devstack import production_latency
from devstack.lambda_invoke.server import LocalLambda
from devstack.production_latency import ENVIRONMENT_VARIABLE, PROFILES, ProductionLatency
from devstack.s3vectors.server import LocalS3Vectors
from tests.support.lambda_test_handlers import TEST_HANDLER
from tests.support.s3vectors import create_index, make_client

pytestmark = pytest.mark.slow

BUCKET = "latency-bucket"
INDEX = "latency-index"
SELECTOR = {"vectorBucketName": BUCKET, "indexName": INDEX}


def standing_clock() -> float:
    return 0.0


def vectors(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"key": f"k{i}", "data": {"float32": [1.0, 2.0, float(i)]}}
        for i in range(start, start + count)
    ]


@pytest.fixture
def index() -> Iterator[None]:
    """The bucket and index, made on the service without latency (its state is the process's)."""
    with LocalS3Vectors() as url:
        client = make_client(url)
        client.create_vector_bucket(vectorBucketName=BUCKET)
        create_index(client, BUCKET, INDEX, 3)
        client.put_vectors(**SELECTOR, vectors=vectors(5))
        yield
        client.delete_index(**SELECTOR)
        client.delete_vector_bucket(vectorBucketName=BUCKET)


def test_the_service_waits_each_operations_figure_and_paces_writes(index: None) -> None:
    waits: list[float] = []
    latency = ProductionLatency(PROFILES["warm"], clock=standing_clock, wait=waits.append)
    with LocalS3Vectors(production_latency=latency) as url:
        client = make_client(url)
        client.query_vectors(**SELECTOR, queryVector={"float32": [1, 2, 3]}, topK=2)
        client.get_vectors(**SELECTOR, keys=["k1"])
        client.list_vectors(**SELECTOR)
        client.get_index(**SELECTOR)
        # 500 vectors take the index 0.2 s at 2,500 a second; the next write queues behind.
        client.put_vectors(**SELECTOR, vectors=vectors(500, start=10))
        client.put_vectors(**SELECTOR, vectors=vectors(500, start=510))
        client.delete_vectors(**SELECTOR, keys=["k1"])  # one request: 1/1,000 s
    assert waits == pytest.approx([0.100, 0.050, 0.100, 0.050, 0.2, 0.4, 0.401])
    # Stopped, the server takes its waits away: the next service answers at local speed.
    with LocalS3Vectors() as url:
        make_client(url).query_vectors(**SELECTOR, queryVector={"float32": [1, 2, 3]}, topK=2)
    assert len(waits) == 7


def test_the_cold_profile_waits_longer_for_a_query(index: None) -> None:
    waits: list[float] = []
    latency = ProductionLatency(PROFILES["cold"], clock=standing_clock, wait=waits.append)
    with LocalS3Vectors(production_latency=latency) as url:
        make_client(url).query_vectors(**SELECTOR, queryVector={"float32": [1, 2, 3]}, topK=2)
    assert waits == [0.5]


def both_at_once(call: Callable[[], Any]) -> list[Any]:
    with ThreadPoolExecutor(2) as pool:
        return [f.result() for f in [pool.submit(call), pool.submit(call)]]


def test_concurrent_queries_wait_side_by_side(index: None) -> None:
    # Each query's wait meets the other's: were requests served one at a time, the first would
    # wait alone until the barrier broke, and its answer would be an error.
    meeting = threading.Barrier(2, timeout=30)
    latency = ProductionLatency(wait=lambda seconds: meeting.wait())
    with LocalS3Vectors(production_latency=latency) as url:
        client = make_client(url)
        answers = both_at_once(
            lambda: client.query_vectors(**SELECTOR, queryVector={"float32": [1, 2, 3]}, topK=1)
        )
    assert [a["vectors"][0]["key"] for a in answers] == ["k3", "k3"]
    assert not meeting.broken


def test_one_latency_at_a_time_in_a_process() -> None:
    with (
        LocalS3Vectors(production_latency=ProductionLatency()),
        pytest.raises(RuntimeError, match="already applied"),
    ):
        LocalS3Vectors(production_latency=ProductionLatency()).start()


def invoke(function: LocalLambda, event: dict[str, Any]) -> Any:
    client = boto3.client(
        "lambda", endpoint_url=function.url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    answer = client.invoke(FunctionName=function.function_name, Payload=json.dumps(event))
    return json.loads(answer["Payload"].read())


def test_the_invoke_endpoint_adds_lambdas_overhead() -> None:
    waits: list[float] = []
    latency = ProductionLatency(clock=standing_clock, wait=waits.append)
    with LocalLambda(handler=TEST_HANDLER, production_latency=latency) as function:
        assert invoke(function, {"n": 1})["event"] == {"n": 1}
    with LocalLambda(handler=TEST_HANDLER) as function:
        assert invoke(function, {"n": 2})["event"] == {"n": 2}
    assert waits == [0.020]


def test_concurrent_invocations_wait_side_by_side() -> None:
    meeting = threading.Barrier(2, timeout=30)
    latency = ProductionLatency(wait=lambda seconds: meeting.wait())
    with LocalLambda(handler=TEST_HANDLER, production_latency=latency) as function:
        answers = both_at_once(lambda: invoke(function, {"n": 3}))
    assert [a["event"] for a in answers] == [{"n": 3}, {"n": 3}]
    assert not meeting.broken


def parse(*argv: str) -> ProductionLatency | None:
    parser = argparse.ArgumentParser()
    production_latency.add_argument(parser)
    return production_latency.from_arguments(parser.parse_args(argv))


def test_the_switch_is_off_unless_a_flag_or_the_variable_turns_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    assert parse() is None
    assert LocalS3Vectors().production_latency is None
    assert LocalLambda().production_latency is None
    assert parse("--production-latency").profile.name == "warm"  # type: ignore[union-attr]
    assert parse("--production-latency", "cold").profile.name == "cold"  # type: ignore[union-attr]
    for value, expected in [("1", "warm"), ("cold", "cold"), ("off", None), ("", None)]:
        monkeypatch.setenv(ENVIRONMENT_VARIABLE, value)
        found = parse()
        assert (found and found.profile.name) == expected, value


def test_a_bad_value_of_the_variable_names_it_and_the_profiles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "fast")
    with pytest.raises(ValueError, match=rf"{ENVIRONMENT_VARIABLE}='fast'.*warm, cold"):
        parse()
