"""Correlation id, EMF metrics per operation, and logs without stack traces for callers."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterator

import pytest
from s3vl_bridge.handler import logger

from tests.support.bridge import DOCS_ARN, ok, refused

Q = {
    "operation": "query_vectors",
    "index_arn": DOCS_ARN,
    "query_vector": [1.0, 0.0, 0.0, 0.0],
    "top_k": 3,
}


def _json_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The bridge's JSON log lines (the Powertools handler keeps the stdout it started with).
    The stream is swapped, not set with setStream, which flushes the old one: in a process that
    ran pytest before (mutmut's, `make mutate`) that stdout may already be closed."""
    handler = logger.registered_handler
    buffer = io.StringIO()
    previous, handler.stream = handler.stream, buffer
    yield buffer
    handler.stream = previous


def _emf(lines: list[dict]) -> dict:
    (blob,) = [line for line in lines if "_aws" in line]
    return blob


def test_a_correlation_id_sent_by_the_caller_is_logged_and_echoed(invoke, s3v, log_lines):
    response = invoke({**Q, "correlation_id": "sql-42", "top_k": 0})
    refused(response)
    assert response["correlation_id"] == "sql-42"
    logs = [line for line in _json_lines(log_lines.getvalue()) if "level" in line]
    assert logs
    assert all(line["correlation_id"] == "sql-42" for line in logs)


def test_without_a_correlation_id_the_lambda_request_id_is_used(
    invoke, s3v, log_lines, lambda_context
):
    response = invoke({**Q, "top_k": 0})
    assert "correlation_id" not in response
    logs = [line for line in _json_lines(log_lines.getvalue()) if "level" in line]
    assert logs[0]["correlation_id"] == lambda_context.aws_request_id


def test_each_request_emits_latency_errors_and_result_count_for_its_operation(invoke, s3v, capsys):
    ok(invoke(Q))
    emf = _emf(_json_lines(capsys.readouterr().out))
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "s3vl"
    assert emf["operation"] == "query_vectors"
    assert ["operation", "service"] in directive["Dimensions"] or ["operation"] in directive[
        "Dimensions"
    ]
    assert {m["Name"] for m in directive["Metrics"]} == {"latency", "errors", "result_count"}
    assert emf["result_count"] == [3.0]
    assert emf["errors"] == [0.0]
    assert emf["latency"][0] > 0


def test_a_refused_request_counts_as_an_error(invoke, s3v, capsys):
    refused(invoke({"operation": "nope"}))
    emf = _emf(_json_lines(capsys.readouterr().out))
    assert emf["operation"] == "invalid"
    assert emf["errors"] == [1.0]


def test_with_metrics_disabled_a_second_request_carries_no_stale_dimension(
    invoke, s3v, monkeypatch
):
    # Powertools only clears what it prints; disabled metrics print nothing.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok(invoke(Q))
        refused(invoke({"operation": "nope"}))
        ok(invoke(Q))
