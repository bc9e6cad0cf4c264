"""Section 2 of issue 9: no role can choose where invocations go.

A fake Lambda endpoint records every request and answers with a forged success (rows for a
query, "written" for a write). A reader or writer points aws_lambda.endpoint_override at it in
every way a role can (SET, set_config, ALTER ROLE itself, connection options), then uses s3vl,
or calls compat's aws_lambda.invoke directly: each is refused with 42501 before anything is
sent, and nothing reaches the fake endpoint. The administrator's setting (ALTER DATABASE by a
superuser, as the fixture does) keeps working.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest

from tests.support.local_path import LocalPath

pytestmark = pytest.mark.slow

V4 = "ARRAY[1, 2, 3, 4]::real[]"
FORGED = {
    "success": True,
    "result": [{"vector_id": "forged", "distance": 0.0, "similarity_score": 1.0, "metadata": {}}],
}


class FakeEndpoint:
    """A Lambda Invoke look-alike on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake.requests.append(self.path + " " + self.rfile.read(length).decode())
                body = json.dumps(FORGED).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/internal/admin"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    endpoint = FakeEndpoint()
    yield endpoint
    endpoint.close()


def assert_refused(conn: psycopg.Connection, sql: str, fake: FakeEndpoint) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql).fetchall()
    error = caught.value
    assert error.sqlstate == "42501", error.diag.message_primary
    assert "endpoint_override" in error.diag.message_primary
    assert "RESET aws_lambda.endpoint_override" in (error.diag.message_hint or "")
    assert fake.requests == []
    return error


SETTERS = {
    "SET": "SET aws_lambda.endpoint_override = '{url}'",
    "set_config": "SELECT set_config('aws_lambda.endpoint_override', '{url}', false)",
    "SET LOCAL in a transaction": "BEGIN; SET LOCAL aws_lambda.endpoint_override = '{url}'",
}


@pytest.mark.parametrize("setter", SETTERS.values(), ids=list(SETTERS))
def test_a_reader_cannot_redirect_query_vectors(
    attacker: Callable[..., psycopg.Connection], fake: FakeEndpoint, setter: str
) -> None:
    reader = attacker("s3vl_reader")
    reader.execute(setter.format(url=fake.url))
    assert_refused(reader, f"SELECT * FROM s3vl.query_vectors({V4}, 'items')", fake)


# Text to vectors: the embedding goes through the same invocation path, which reads the text a
# reader sends (a forged answer would be a vector of the attacker's choosing).
EMBEDDINGS = {
    "embed": "SELECT s3vl.embed('a thermos')",
    "embed many": "SELECT s3vl.embed(ARRAY['a thermos', 'a desk lamp'])",
}


@pytest.mark.parametrize("call", EMBEDDINGS.values(), ids=list(EMBEDDINGS))
def test_a_reader_cannot_redirect_embed(
    attacker: Callable[..., psycopg.Connection], fake: FakeEndpoint, call: str
) -> None:
    reader = attacker("s3vl_reader")
    reader.execute(f"SET aws_lambda.endpoint_override = '{fake.url}'")
    assert_refused(reader, call, fake)


# scan_vectors runs with the caller's rights (so it is inlined and streams); its pages come
# through the definer function s3vl._scan_page, which a reader may also call itself.
SCANS = {
    "scan_vectors": "SELECT * FROM s3vl.scan_vectors('items') LIMIT 1",
    "_scan_page": "SELECT s3vl._scan_page('items', NULL, false, true, 500, NULL, NULL, NULL)",
}


@pytest.mark.parametrize("scan", SCANS.values(), ids=list(SCANS))
def test_a_reader_cannot_redirect_scan_vectors(
    attacker: Callable[..., psycopg.Connection], fake: FakeEndpoint, scan: str
) -> None:
    reader = attacker("s3vl_reader")
    reader.execute(f"SET aws_lambda.endpoint_override = '{fake.url}'")
    assert_refused(reader, scan, fake)


def test_a_role_default_is_refused(
    db: psycopg.Connection,
    path: LocalPath,
    attacker: Callable[..., psycopg.Connection],
    fake: FakeEndpoint,
) -> None:
    reader = attacker("s3vl_reader")
    role = reader.execute("SELECT current_user").fetchone()[0]
    try:
        # Before PostgreSQL 15 a role may set its own default for a placeholder setting.
        reader.execute(f"ALTER ROLE CURRENT_USER SET aws_lambda.endpoint_override = '{fake.url}'")
    except psycopg.errors.InsufficientPrivilege:
        db.execute(f"ALTER ROLE \"{role}\" SET aws_lambda.endpoint_override = '{fake.url}'")
    again = psycopg.connect(path.cluster.dsn(path.dbname, user=role), autocommit=True)
    try:
        assert again.execute("SHOW aws_lambda.endpoint_override").fetchone() == (fake.url,)
        assert_refused(again, "SELECT * FROM s3vl.get_vectors(ARRAY['k'], 'items')", fake)
    finally:
        again.close()
        db.execute(f'ALTER ROLE "{role}" RESET ALL')


def test_a_role_default_in_this_database_is_refused(
    db: psycopg.Connection,
    path: LocalPath,
    attacker: Callable[..., psycopg.Connection],
    fake: FakeEndpoint,
) -> None:
    # ALTER ROLE ... IN DATABASE is kept beside the database's own setting (pg_db_role_setting,
    # the same database, the role's oid): it is still the role's, not the administrator's.
    reader = attacker("s3vl_reader")
    role = reader.execute("SELECT current_user").fetchone()[0]
    setting = f"SET aws_lambda.endpoint_override = '{fake.url}'"
    try:
        reader.execute(f'ALTER ROLE CURRENT_USER IN DATABASE "{path.dbname}" {setting}')
    except psycopg.errors.InsufficientPrivilege:
        db.execute(f'ALTER ROLE "{role}" IN DATABASE "{path.dbname}" {setting}')
    again = psycopg.connect(path.cluster.dsn(path.dbname, user=role), autocommit=True)
    try:
        assert again.execute("SHOW aws_lambda.endpoint_override").fetchone() == (fake.url,)
        assert_refused(again, f"SELECT * FROM s3vl.query_vectors({V4}, 'items')", fake)
    finally:
        again.close()
        db.execute(f'ALTER ROLE "{role}" IN DATABASE "{path.dbname}" RESET ALL')


def test_connection_options_are_refused(
    path: LocalPath, attacker: Callable[..., psycopg.Connection], fake: FakeEndpoint
) -> None:
    reader = attacker("s3vl_reader")
    role = reader.execute("SELECT current_user").fetchone()[0]
    with psycopg.connect(
        path.cluster.dsn(path.dbname, user=role),
        options=f"-c aws_lambda.endpoint_override={fake.url}",
        autocommit=True,
    ) as conn:
        assert_refused(conn, "SELECT * FROM s3vl.list_vectors(index_name => 'items')", fake)


def test_a_writer_cannot_make_flush_report_changes_sent_that_were_not(
    db: psycopg.Connection,
    path: LocalPath,
    attacker: Callable[..., psycopg.Connection],
    fake: FakeEndpoint,
) -> None:
    writer = attacker("s3vl_writer")
    db.execute("CREATE TABLE redirected (id text PRIMARY KEY, emb real[])")
    try:
        role = writer.execute("SELECT current_user").fetchone()[0]
        db.execute(f'GRANT ALL ON redirected TO "{role}"')
        writer.execute("SELECT s3vl.sync_table('redirected', 'id', 'emb', 'items')")
        writer.execute(
            "INSERT INTO redirected"
            " SELECT 'k' || i, ARRAY[i, 1, 2, 3]::real[] FROM generate_series(1, 5) i"
        )
        writer.execute(f"SET aws_lambda.endpoint_override = '{fake.url}'")
        # flush keeps a failed send's error with the changes, which stay pending.
        put_count, last_error = writer.execute(
            "SELECT put_count, last_error FROM s3vl.flush('items')"
        ).fetchone()
        assert put_count == 0 and "endpoint_override" in last_error
        # Nothing left, so no attempt is counted: refusals before sending never kill a change.
        assert db.execute("SELECT DISTINCT attempts, dead_at FROM s3vl.outbox").fetchall() == [
            (0, None)
        ]
        assert_refused(writer, f"SELECT s3vl.put_vectors('items', ARRAY['p'], ARRAY[{V4}])", fake)
        assert db.execute("SELECT count(*) FROM s3vl.outbox WHERE done_at IS NULL").fetchone() == (
            5,
        )
        assert fake.requests == []
        assert path.key_set() == set()
        # The administrator's endpoint still works once the session lets go of its own.
        writer.execute("RESET aws_lambda.endpoint_override")
        assert writer.execute("SELECT put_count FROM s3vl.flush('items')").fetchone() == (5,)
        assert path.key_set() == {f"k{i}" for i in range(1, 6)}
    finally:
        db.execute("DROP TABLE redirected")


@pytest.fixture
def lambda_caller(
    db: psycopg.Connection, attacker: Callable[..., psycopg.Connection]
) -> Iterator[tuple[psycopg.Connection, str]]:
    """A login granted aws_lambda as Aurora's documentation grants it (USAGE on the schemas,
    EXECUTE on every function), and a schema of its own: (connection, role)."""
    caller = attacker()
    role = caller.execute("SELECT current_user").fetchone()[0]
    db.execute(f'CREATE SCHEMA "{role}" AUTHORIZATION "{role}"')
    db.execute(f'GRANT USAGE ON SCHEMA aws_lambda, aws_commons TO "{role}"')
    db.execute(f'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA aws_lambda TO "{role}"')
    yield caller, role
    db.execute(f'DROP SCHEMA "{role}" CASCADE')
    db.execute(f'REVOKE ALL ON SCHEMA aws_lambda, aws_commons FROM "{role}"')
    db.execute(f'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA aws_lambda FROM "{role}"')


def assert_compat_refuses(caller: psycopg.Connection, fake: FakeEndpoint) -> None:
    caller.execute(f"SET aws_lambda.endpoint_override = '{fake.url}'")
    with pytest.raises(psycopg.Error) as caught:
        caller.execute("SELECT * FROM aws_lambda.invoke('s3vl-bridge', '{}'::jsonb)")
    assert caught.value.sqlstate == "42501"
    assert "was not set by an administrator" in caught.value.diag.message_primary
    assert fake.requests == []


def test_compat_refuses_a_session_endpoint_for_a_role_granted_aws_lambda(
    lambda_caller: tuple[psycopg.Connection, str], fake: FakeEndpoint
) -> None:
    assert_compat_refuses(lambda_caller[0], fake)


def test_the_database_setting_of_a_superuser_and_a_superuser_session_are_honoured(
    db: psycopg.Connection,
    path: LocalPath,
    attacker: Callable[..., psycopg.Connection],
    fake: FakeEndpoint,
) -> None:
    reader = attacker("s3vl_reader")
    # The fixture's ALTER DATABASE ... SET (by a superuser) reaches the real bridge.
    assert reader.execute(f"SELECT * FROM s3vl.query_vectors({V4}, 'items')").fetchall() == []
    # A superuser's own session is the administrator's choice: the forged rows come back.
    db.execute(f"SET aws_lambda.endpoint_override = '{fake.url}'")
    try:
        rows = db.execute(f"SELECT vector_id FROM s3vl.query_vectors({V4}, 'items')").fetchall()
    finally:
        db.execute("RESET aws_lambda.endpoint_override")
    assert rows == [("forged",)] and len(fake.requests) == 1


def test_compat_trust_check_ignores_a_callers_own_operators(
    lambda_caller: tuple[psycopg.Connection, str], fake: FakeEndpoint
) -> None:
    caller, role = lambda_caller
    # An `=` on text that is always true, found before pg_catalog's.
    caller.execute(
        f"CREATE FUNCTION \"{role}\".yes(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true'"
    )
    caller.execute(
        f'CREATE OPERATOR "{role}".= (LEFTARG = text, RIGHTARG = text, FUNCTION = "{role}".yes)'
    )
    caller.execute(f'SET search_path = "{role}", pg_catalog')
    assert_compat_refuses(caller, fake)
