"""Section 1 of issue 9: s3vl's rights never reach code a user wrote.

An attacker holding s3vl_writer and a schema of its own plants code that records who runs it
(`current_user`, and whether that role is a superuser): casts of an enum type to json, jsonb
and text, an operator, and a row-level security policy on its table. Then it drives every path
that reads its table or its schema: sync_table (backfill), the capture triggers (INSERT,
UPDATE, DELETE, TRUNCATE), stale_keys, reconcile, the index views' INSTEAD OF triggers,
create_index_view and import_bucket. The planted code may run as the attacker (its own rights),
never as s3vl_owner nor a superuser. And a walk over every SECURITY DEFINER function checks its
owner holds no more than s3vl needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest

from tests.support.local_path import LocalPath

pytestmark = pytest.mark.slow

PLANT = """
CREATE TYPE {s}.mood AS ENUM ('happy', 'sad', 'calm');
CREATE TABLE {s}.log (who name, superuser boolean, via text);
GRANT USAGE ON SCHEMA {s} TO PUBLIC;
GRANT INSERT, SELECT ON {s}.log TO PUBLIC;
CREATE FUNCTION {s}.record(via text) RETURNS boolean LANGUAGE sql VOLATILE AS $$
    INSERT INTO {s}.log
    SELECT current_user,
           (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), via;
    SELECT true $$;
CREATE FUNCTION {s}.mood_json({s}.mood) RETURNS json LANGUAGE sql VOLATILE AS $$
    SELECT {s}.record('cast to json'); SELECT pg_catalog.to_json(pg_catalog.format('%s', $1)) $$;
CREATE FUNCTION {s}.mood_jsonb({s}.mood) RETURNS jsonb LANGUAGE sql VOLATILE AS $$
    SELECT {s}.record('cast to jsonb'); SELECT pg_catalog.to_jsonb(pg_catalog.format('%s', $1)) $$;
CREATE FUNCTION {s}.mood_text({s}.mood) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT {s}.record('cast to text'); SELECT pg_catalog.format('%s', $1) $$;
CREATE CAST ({s}.mood AS json) WITH FUNCTION {s}.mood_json({s}.mood);
CREATE CAST ({s}.mood AS jsonb) WITH FUNCTION {s}.mood_jsonb({s}.mood);
CREATE CAST ({s}.mood AS text) WITH FUNCTION {s}.mood_text({s}.mood);
CREATE FUNCTION {s}.text_eq(text, text) RETURNS boolean LANGUAGE sql VOLATILE AS $$
    SELECT {s}.record('operator'); SELECT $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR {s}.= (LEFTARG = text, RIGHTARG = text, FUNCTION = {s}.text_eq);
CREATE TABLE {s}.docs (id text PRIMARY KEY, emb real[], title text, m {s}.mood);
ALTER TABLE {s}.docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE {s}.docs FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON {s}.docs USING ({s}.record('row security policy'))
    WITH CHECK ({s}.record('row security check'));
INSERT INTO {s}.docs VALUES ('a', '{{1,2,3,4}}', 'A', 'happy'), ('b', '{{4,3,2,1}}', 'B', 'sad');
"""


@dataclass
class Attacker:
    conn: psycopg.Connection
    role: str
    schema: str

    def run(self, sql: str, *params: object) -> list[tuple]:
        cursor = self.conn.execute(sql.format(s=self.schema), params or None)
        return cursor.fetchall() if cursor.description else []

    def error(self, sql: str) -> psycopg.Error:
        try:
            self.run(sql)
        except psycopg.Error as exc:
            return exc
        pytest.fail(f"expected an error from: {sql}")


@pytest.fixture
def planted(
    db: psycopg.Connection, attacker: Callable[..., psycopg.Connection]
) -> Iterator[Attacker]:
    conn = attacker("s3vl_writer")
    role = conn.execute("SELECT current_user").fetchone()[0]
    schema = f"{role}_s"
    db.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
    planted = Attacker(conn, role, schema)
    conn.execute(PLANT.format(s=schema))
    # Its own operator comes first wherever it calls s3vl from.
    conn.execute(f'SET search_path = "{schema}", pg_catalog, public')
    conn.execute(f"TRUNCATE {schema}.log")
    yield planted
    db.execute(f'DROP SCHEMA "{schema}" CASCADE')


def who_ran(db: psycopg.Connection, a: Attacker) -> set[tuple[str, bool]]:
    return set(db.execute(f"SELECT DISTINCT who, superuser FROM {a.schema}.log").fetchall())


def assert_only_the_attacker_ran(db: psycopg.Connection, a: Attacker) -> None:
    ran = who_ran(db, a)
    assert ran <= {(a.role, False)}, f"planted code ran as {ran}"


# -- the walk over every definer function ---------------------------------------------------


def test_every_definer_function_is_owned_by_s3vl_owner_which_is_no_superuser(
    db: psycopg.Connection,
) -> None:
    owners = db.execute(
        """SELECT DISTINCT r.rolname, r.rolsuper, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb,
                  r.rolbypassrls, r.rolreplication,
                  EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid)
           FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
           WHERE p.pronamespace = 's3vl'::regnamespace AND p.prosecdef"""
    ).fetchall()
    assert owners == [("s3vl_owner", False, False, False, False, False, False, False)]
    count = db.execute(
        "SELECT count(*) FROM pg_proc WHERE pronamespace = 's3vl'::regnamespace AND prosecdef"
    ).fetchone()[0]
    assert count >= 25  # the walk saw the definer functions, not an empty schema


def test_s3vl_owner_owns_the_tables_and_cannot_log_in_or_reach_user_tables(
    db: psycopg.Connection, planted: Attacker
) -> None:
    tables = db.execute(
        """SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class
           WHERE relnamespace = 's3vl'::regnamespace AND relkind = 'r'"""
    ).fetchall()
    assert tables == [("s3vl_owner",)]
    assert db.execute(
        f"SELECT has_table_privilege('s3vl_owner', '{planted.schema}.docs', 'SELECT')"
    ).fetchone() == (False,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(db.info.dsn.replace("user=postgres", "user=s3vl_owner")).close()


def test_install_refuses_an_s3vl_owner_that_holds_more(path: LocalPath) -> None:
    with psycopg.connect(path.dsn, autocommit=True) as conn:
        conn.execute("ALTER ROLE s3vl_owner SUPERUSER")
        try:
            result = path.cluster.psql("-f", "sql/install.sql", dbname=path.dbname, check=False)
        finally:
            conn.execute("ALTER ROLE s3vl_owner NOSUPERUSER")
    assert result.returncode != 0
    assert "role s3vl_owner exists and holds more" in result.stderr


# -- sync: a column whose type a user made is refused ---------------------------------------


@pytest.mark.parametrize(
    ("key", "metadata", "argument"),
    [("id", "ARRAY['m']", "metadata_columns"), ("m", "NULL", "key_column")],
)
def test_sync_refuses_a_column_of_a_user_made_type(
    db: psycopg.Connection, planted: Attacker, key: str, metadata: str, argument: str
) -> None:
    error = planted.error(
        f"SELECT s3vl.sync_table('{{s}}.docs', '{key}', 'emb', 'items', {metadata})"
    )
    assert error.sqlstate == "22023"
    assert f'argument "{argument}"' in error.diag.message_primary
    assert "not built in" in error.diag.message_primary
    assert "GENERATED ALWAYS AS" in error.diag.message_hint
    assert db.execute("SELECT count(*) FROM s3vl.sync_source").fetchone() == (0,)
    assert db.execute(
        f"SELECT count(*) FROM pg_trigger WHERE tgrelid = '{planted.schema}.docs'::regclass"
        " AND NOT tgisinternal"
    ).fetchone() == (0,)
    assert_only_the_attacker_ran(db, planted)


def test_backfill_reads_the_table_with_the_callers_rights(
    db: psycopg.Connection, planted: Attacker
) -> None:
    assert planted.run(
        "SELECT s3vl.sync_table('{s}.docs', 'id', 'emb', 'items', ARRAY['title'])"
    ) == [(2,)]
    # The row security policy ran, as the attacker: that is who read the rows.
    assert who_ran(db, planted) == {(planted.role, False)}
    assert db.execute("SELECT key FROM s3vl.outbox ORDER BY key").fetchall() == [("a",), ("b",)]


# Each statement valid after `changed` became a mood ('a' became happy, 'b' sad).
CAPTURE_PATHS = {
    ("title", "INSERT"): "INSERT INTO {s}.docs VALUES ('c', '{{1,1,1,1}}', 'calm', 'happy')",
    ("title", "UPDATE"): "UPDATE {s}.docs SET title = 'calm' WHERE id = 'a'",
    ("title", "DELETE"): "DELETE FROM {s}.docs WHERE id = 'a'",
    ("title", "TRUNCATE"): "TRUNCATE {s}.docs",
    ("id", "INSERT"): "INSERT INTO {s}.docs VALUES ('calm', '{{1,1,1,1}}', 'C', 'happy')",
    ("id", "UPDATE"): "UPDATE {s}.docs SET title = 'changed' WHERE id = 'happy'",
    ("id", "DELETE"): "DELETE FROM {s}.docs WHERE id = 'happy'",
    ("id", "TRUNCATE"): "TRUNCATE {s}.docs",
}


@pytest.mark.parametrize(("changed", "statement"), CAPTURE_PATHS, ids="-".join)
def test_a_column_changed_to_a_user_type_after_sync_stops_the_capture_trigger(
    db: psycopg.Connection, planted: Attacker, changed: str, statement: str
) -> None:
    planted.run("SELECT s3vl.sync_table('{s}.docs', 'id', 'emb', 'items', ARRAY['title'])")
    planted.run(
        f"ALTER TABLE {{s}}.docs ALTER COLUMN {changed} TYPE {{s}}.mood"
        f" USING (CASE WHEN {changed} < 'b' THEN 'happy' ELSE 'sad' END)::{{s}}.mood"
    )
    queued = db.execute("SELECT count(*) FROM s3vl.outbox").fetchone()
    planted.run("TRUNCATE {s}.log")
    error = planted.error(CAPTURE_PATHS[changed, statement])
    assert error.sqlstate == "22023"
    assert f"names column {changed} of" in error.diag.message_primary
    assert db.execute("SELECT count(*) FROM s3vl.outbox").fetchone() == queued
    assert_only_the_attacker_ran(db, planted)


@pytest.mark.parametrize(
    "call",
    [
        "SELECT * FROM s3vl.stale_keys('{s}.docs', 'items')",
        "SELECT * FROM s3vl.reconcile('{s}.docs', 'items')",
        "SELECT * FROM s3vl.reconcile('{s}.docs', 'items', repair => true)",
    ],
)
def test_stale_keys_and_reconcile_read_with_the_callers_rights_and_refuse_user_types(
    db: psycopg.Connection, planted: Attacker, call: str
) -> None:
    planted.run("SELECT s3vl.sync_table('{s}.docs', 'id', 'emb', 'items', ARRAY['title'])")
    planted.run("SELECT * FROM s3vl.flush('items')")
    planted.run("TRUNCATE {s}.log")
    planted.run(call)
    assert who_ran(db, planted) == {(planted.role, False)}  # the policy ran, as the attacker

    planted.run("ALTER TABLE {s}.docs ALTER COLUMN title TYPE {s}.mood USING 'sad'")
    planted.run("TRUNCATE {s}.log")
    error = planted.error(call)
    assert error.sqlstate == "22023" and "not built in" in error.diag.message_primary
    assert_only_the_attacker_ran(db, planted)


def test_an_app_role_writing_a_synced_table_runs_the_planted_code_as_itself(
    db: psycopg.Connection, planted: Attacker, attacker: Callable[..., psycopg.Connection]
) -> None:
    planted.run("SELECT s3vl.sync_table('{s}.docs', 'id', 'emb', 'items', ARRAY['title'])")
    app = attacker()
    app_role = app.execute("SELECT current_user").fetchone()[0]
    planted.run(f'GRANT INSERT, SELECT, UPDATE ON {{s}}.docs TO "{app_role}"')
    planted.run("TRUNCATE {s}.log")
    app.execute(f"INSERT INTO {planted.schema}.docs VALUES ('z', '{{1,2,2,1}}', 'Z', 'sad')")
    app.execute(f"UPDATE {planted.schema}.docs SET title = 'zz' WHERE id = 'z'")
    assert who_ran(db, planted) == {(app_role, False)}
    assert ("z", "put") in db.execute("SELECT key, operation FROM s3vl.outbox").fetchall()


def test_a_capture_trigger_naming_another_tables_sync_records_nothing(
    db: psycopg.Connection, planted: Attacker
) -> None:
    db.execute("CREATE TABLE victim (id text PRIMARY KEY, emb real[])")
    try:
        db.execute("SELECT s3vl.sync_table('victim', 'id', 'emb', 'items')")
        victim = db.execute("SELECT id FROM s3vl.sync_source").fetchone()[0]
        planted.run("CREATE TABLE {s}.mine (id text, emb real[])")
        planted.run(
            "CREATE TRIGGER hijack AFTER INSERT ON {s}.mine FOR EACH ROW"
            f" EXECUTE FUNCTION s3vl._sync_capture('{victim}')"
        )
        error = planted.error("INSERT INTO {s}.mine VALUES ('x', '{{1,2,3,4}}')")
        assert error.sqlstate == "55000"
        assert db.execute("SELECT count(*) FROM s3vl.outbox").fetchone() == (0,)
    finally:
        db.execute("DROP TABLE victim")


# -- index views ----------------------------------------------------------------------------


def test_writes_through_an_index_view_run_the_planted_code_as_the_writer(
    db: psycopg.Connection, planted: Attacker, path: LocalPath
) -> None:
    db.execute("SELECT s3vl.create_index_view('items')")
    planted.run(
        "INSERT INTO s3_vectors.items"
        " SELECT id, emb, pg_catalog.jsonb_build_object('m', m) FROM {s}.docs"
    )
    assert path.vectors()["a"][1] == {"m": "happy"}
    assert who_ran(db, planted) == {(planted.role, False)}


@pytest.fixture
def admin(
    db: psycopg.Connection, attacker: Callable[..., psycopg.Connection]
) -> Iterator[psycopg.Connection]:
    """A login holding s3vl_admin and CREATE on the database, but no superuser."""
    conn = attacker("s3vl_admin")
    role = conn.execute("SELECT current_user").fetchone()[0]
    db.execute(f'GRANT CREATE ON DATABASE "{conn.info.dbname}" TO "{role}"')
    yield conn
    db.execute(f'REVOKE CREATE ON DATABASE "{conn.info.dbname}" FROM "{role}"')
    db.execute("DROP SCHEMA IF EXISTS admin_views CASCADE")


def test_create_index_view_makes_objects_owned_by_the_caller(
    db: psycopg.Connection, admin: psycopg.Connection
) -> None:
    admin.execute("SELECT s3vl.create_index_view('items', 'admin_views')")
    role = admin.execute("SELECT current_user").fetchone()[0]
    owners = db.execute(
        """SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c
           WHERE c.relnamespace = 'admin_views'::regnamespace
           UNION SELECT DISTINCT pg_get_userbyid(p.proowner) FROM pg_proc p
           WHERE p.pronamespace = 'admin_views'::regnamespace
           UNION SELECT pg_get_userbyid(n.nspowner) FROM pg_namespace n
           WHERE n.nspname = 'admin_views'"""
    ).fetchall()
    assert owners == [(role,)]


def test_create_index_view_never_takes_over_a_look_alike_planted_in_a_shared_schema(
    db: psycopg.Connection, planted: Attacker, admin: psycopg.Connection
) -> None:
    # The attacker's own view, with a trigger named like s3vl's, in its schema, which it
    # opens to everyone; an administrator is asked to make the index view there.
    planted.run("GRANT CREATE ON SCHEMA {s} TO PUBLIC")
    planted.run(
        "CREATE VIEW {s}.items AS"
        " SELECT 'k'::text AS key, NULL::real[] AS data, NULL::jsonb AS metadata"
    )
    planted.run(
        "CREATE FUNCTION {s}.fake() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM {s}.record('look-alike trigger'); RETURN NEW; END $$"
    )
    planted.run(
        "CREATE TRIGGER s3vl_write INSTEAD OF INSERT ON {s}.items"
        " FOR EACH ROW EXECUTE FUNCTION {s}.fake()"
    )
    before = db.execute(f"SELECT pg_get_viewdef('{planted.schema}.items'::regclass)").fetchone()
    # create_index_view must not replace a view it did not make.
    with pytest.raises(psycopg.Error) as refused:
        admin.execute(f"SELECT s3vl.create_index_view('items', '{planted.schema}')")
    assert refused.value.sqlstate == "22023"
    assert "is not an index view of yours" in refused.value.diag.message_primary
    assert (
        db.execute(f"SELECT pg_get_viewdef('{planted.schema}.items'::regclass)").fetchone()
        == before
    )
    assert_only_the_attacker_ran(db, planted)


def test_import_bucket_makes_its_views_with_the_callers_rights(
    db: psycopg.Connection, admin: psycopg.Connection, path: LocalPath
) -> None:
    rows = admin.execute(
        "SELECT index_name, view_name::text"
        " FROM s3vl.import_bucket(%s, into_schema => 'admin_views')",
        [path.bucket],
    ).fetchall()
    assert ("items", "admin_views.items") in rows
    role = admin.execute("SELECT current_user").fetchone()[0]
    assert db.execute(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
        " WHERE relnamespace = 'admin_views'::regnamespace"
    ).fetchall() == [(role,)]


def test_the_functions_that_touch_user_objects_run_with_the_callers_rights(
    db: psycopg.Connection,
) -> None:
    definers = db.execute(
        """SELECT p.proname FROM pg_proc p
           WHERE p.pronamespace = 's3vl'::regnamespace AND p.prosecdef
             AND p.proname IN ('sync_table', 'unsync_table', 'stale_keys', 'reconcile',
                               'create_index_view', 'import_bucket', 'index_rows',
                               '_index_view_write', '_index_view_send')"""
    ).fetchall()
    assert definers == []
