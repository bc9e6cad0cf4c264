"""LocalStack: the whole local path in one `with`, and nothing of it left after."""

from __future__ import annotations

import json
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from botocore.exceptions import ClientError

from devstack.bedrock.catalog import MODELS
from devstack.postgres import TemporaryCluster
from devstack.stack import IndexSpec, LocalStack, StackError

pytestmark = pytest.mark.slow

QUERY = "SELECT count(*) FROM s3vl.query_vectors(ARRAY[0.1, 0.2, 0.3, 0.4, 0.5], 'demo-index')"


def listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def test_a_stack_answers_sql_through_the_bridge_and_leaves_a_given_cluster_running(
    cluster: TemporaryCluster,
) -> None:
    with LocalStack(cluster=cluster, database="stack_demo", database_sql=()) as stack:
        with psycopg.connect(stack.dsn()) as conn:
            assert conn.execute(QUERY).fetchone() == (10,)
        assert stack.loaded == {"demo-index": 50}
        assert stack.index_arn() == stack.index_arns["demo-index"]
        # The bridge embeds through the stack's local Bedrock Runtime, every model allowed.
        embedded = invoke_function(stack, {"operation": "embed", "texts": ["a thermos"]})
        assert len(embedded["result"]["embeddings"][0]) == 1024, embedded
        assert stack.bedrock.invocations()["amazon.titan-embed-text-v2:0"] == 1
        allowed = invoke_function(stack, {"operation": "ping"})["result"]
        assert allowed["allowed_embedding_models"] == sorted(MODELS)
        urls = [stack.s3vectors_url, stack.bedrock_url, stack.function.url]
    assert not any(listening(url) for url in urls)
    with psycopg.connect(cluster.dsn("stack_demo")) as conn:  # the caller's cluster stays
        assert conn.execute("SELECT 1").fetchone() == (1,)


def invoke_function(stack: LocalStack, event: dict[str, Any]) -> dict[str, Any]:
    """The stack's function through its Invoke endpoint, as aws_lambda.invoke calls it."""
    request = urllib.request.Request(
        f"{stack.function.url}/2015-03-31/functions/{stack.function.function_name}/invocations",
        data=json.dumps(event).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        response: dict[str, Any] = json.loads(answer.read())
    return response


def test_a_stack_without_embeddings_starts_no_bedrock(cluster: TemporaryCluster) -> None:
    with LocalStack(cluster=cluster, database=None, embeddings=False) as stack:
        with pytest.raises(StackError, match="bedrock is not started"):
            _ = stack.bedrock_url
        assert (
            invoke_function(stack, {"operation": "ping"})["result"]["allowed_embedding_models"]
            == []
        )


def test_a_failing_step_stops_what_was_started(cluster: TemporaryCluster) -> None:
    steps: list[str] = []
    stack = LocalStack(
        cluster=cluster,
        indexes=[IndexSpec("fine", 3), IndexSpec("bad", 5000)],
        database=None,
        on_step=lambda step, _: steps.append(step),
    )
    with pytest.raises(ClientError, match="dimension"), stack:
        pass
    assert steps == ["s3vectors"]  # the indexes never got made
    with pytest.raises(RuntimeError, match="not started"):  # the service was stopped
        _ = stack.s3vectors.url
    with LocalStack(cluster=cluster, indexes=[IndexSpec("fine", 3)], database=None):
        pass  # the half-made bucket was deleted: the same one can be made again
    with psycopg.connect(cluster.dsn()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_add_database_makes_another_database_with_every_index_registered(
    cluster: TemporaryCluster,
) -> None:
    indexes = [IndexSpec("one", 3), IndexSpec("two", 4, "euclidean", ("body",))]
    with LocalStack(cluster=cluster, bucket="stack-two", indexes=indexes, database=None) as stack:
        for name in ("stack_a", "stack_b"):
            with psycopg.connect(stack.add_database(name)) as conn:
                rows = conn.execute(
                    "SELECT index_name, dimension, distance_metric FROM s3vl.list_indexes() "
                    "ORDER BY 1"
                ).fetchall()
            assert rows == [("one", 3, "cosine"), ("two", 4, "euclidean")]
