"""aws_lambda.invoke keeps one connection per session to an endpoint override, and recovers
when the endpoint goes away or comes back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import psycopg
import pytest

from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
from tests.support.lambda_test_handlers import FUNCTION_TIMEOUT_S, TEST_HANDLER

pytestmark = pytest.mark.slow

INVOKE = "SELECT payload ->> 'function_name' FROM aws_lambda.invoke('s3vl-bridge', '{}'::json)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def session(compat_cluster: TemporaryCluster) -> Iterator[psycopg.Connection]:
    with psycopg.connect(compat_cluster.dsn("compat"), autocommit=True) as conn:
        yield conn


def connections_after_closing(function: LocalLambda, seconds: float = 30) -> int:
    """open_connections once the server has seen a closed connection (it notices a moment
    after the client closes); it returns as soon as none is open, `seconds` only bounds a
    failure."""
    deadline = time.monotonic() + seconds
    while function.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)
    return function.open_connections


def point_at(conn: psycopg.Connection, function: LocalLambda) -> None:
    conn.execute("SELECT set_config('aws_lambda.endpoint_override', %s, false)", [function.url])


def test_consecutive_invocations_of_a_session_share_one_connection(
    session: psycopg.Connection,
) -> None:
    with LocalLambda(handler=TEST_HANDLER, timeout_s=FUNCTION_TIMEOUT_S) as function:
        point_at(session, function)
        for _ in range(3):
            assert session.execute(INVOKE).fetchone() == ("s3vl-bridge",)
        assert function.open_connections == 1


def test_a_session_reconnects_when_the_endpoint_restarted_on_the_same_port(
    session: psycopg.Connection,
) -> None:
    port = free_port()
    with LocalLambda(handler=TEST_HANDLER, port=port, timeout_s=FUNCTION_TIMEOUT_S) as first:
        point_at(session, first)
        assert session.execute(INVOKE).fetchone() == ("s3vl-bridge",)
    with LocalLambda(
        handler=TEST_HANDLER, port=port, timeout_s=FUNCTION_TIMEOUT_S, function_name="restarted"
    ):
        error_free = session.execute(
            "SELECT payload ->> 'function_name' FROM aws_lambda.invoke('restarted', '{}'::json)"
        ).fetchone()
    assert error_free == ("restarted",)


def test_after_the_endpoint_stopped_a_session_gets_unable_to_connect_not_a_stale_answer(
    session: psycopg.Connection,
) -> None:
    with LocalLambda(handler=TEST_HANDLER, timeout_s=FUNCTION_TIMEOUT_S) as function:
        point_at(session, function)
        assert session.execute(INVOKE).fetchone() == ("s3vl-bridge",)
    with pytest.raises(psycopg.Error) as excinfo:
        session.execute(INVOKE)
    assert excinfo.value.diag.sqlstate == "58000"
    assert "Unable to connect to endpoint" in (excinfo.value.diag.message_detail or "")


def test_a_session_that_changes_the_endpoint_reaches_the_new_one(
    session: psycopg.Connection,
) -> None:
    with (
        LocalLambda(handler=TEST_HANDLER, timeout_s=FUNCTION_TIMEOUT_S) as first,
        LocalLambda(
            handler=TEST_HANDLER, timeout_s=FUNCTION_TIMEOUT_S, function_name="second"
        ) as second,
    ):
        point_at(session, first)
        assert session.execute(INVOKE).fetchone() == ("s3vl-bridge",)
        point_at(session, second)
        answer = session.execute(
            "SELECT payload ->> 'function_name' FROM aws_lambda.invoke('second', '{}'::json)"
        ).fetchone()
        assert answer == ("second",)
        assert connections_after_closing(first) == 0
