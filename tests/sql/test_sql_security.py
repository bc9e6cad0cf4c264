"""Privileges per role, the SECURITY DEFINER walk, and injection attempts."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.support.postgres import DEMO_ARN, LAMBDA_ARN, sql_error

pytestmark = pytest.mark.slow

V5 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]"
READER_CALLS = [
    f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')",
    f"SELECT * FROM s3vl.query_vectors_batch(ARRAY[{V5}], 'demo-index')",
    "SELECT * FROM s3vl.get_vectors(ARRAY['vec_001'], 'demo-index')",
    "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index')",
    "SELECT * FROM s3vl.scan_vectors('demo-index')",
]
ADMIN_CALLS = [
    f"SELECT s3vl.configure('{LAMBDA_ARN}', 'us-east-1', validate => false)",
    "SELECT * FROM s3vl.validate_config()",
    "SELECT * FROM s3vl.get_config()",
    f"SELECT s3vl.register_index('other', '{DEMO_ARN}', NULL, 5, 'cosine')",
    "SELECT s3vl.deactivate_index('demo-index')",
    "SELECT s3vl.activate_index('demo-index')",
    "SELECT s3vl.unregister_index('demo-index')",
    "SELECT * FROM s3vl.import_bucket('demo-bucket')",
]
PRIVATE = [
    "SELECT * FROM s3vl.config",
    "SELECT * FROM s3vl.index_registry",
    "UPDATE s3vl.config SET lambda_arn = 'evil'",
    "SELECT s3vl._invoke('x', '{\"operation\": \"availability_check\"}')",
    "SELECT * FROM s3vl._configuration('x'::text)",
]


def as_role(conn: psycopg.Connection, *granted: str) -> None:
    """Become a fresh login role holding `granted` (created inside the test's transaction)."""
    conn.execute("CREATE ROLE s3vl_test_user LOGIN")
    for role in granted:
        conn.execute(f"GRANT {role} TO s3vl_test_user")
    conn.execute("SET ROLE s3vl_test_user")


# Errors that mean the call itself is wrong, not that the role got in: they fail the test.
WRONG_CALL = (
    psycopg.errors.UndefinedFunction,
    psycopg.errors.UndefinedTable,
    psycopg.errors.SyntaxError,
    psycopg.errors.AmbiguousFunction,
)


def allowed(conn: psycopg.Connection, call: str) -> bool:
    """Whether the role may run `call`: 42501 means refused; any other error came from inside
    the function (it got in), except errors saying the call itself is wrong."""
    try:
        with conn.transaction():
            conn.execute(call).fetchall()
    except psycopg.errors.InsufficientPrivilege:
        return False
    except WRONG_CALL:
        raise
    except psycopg.Error:
        return True
    return True


@pytest.mark.parametrize(
    ("granted", "reads", "administers"),
    [
        ((), False, False),
        (("s3vl_reader",), True, False),
        (("s3vl_writer",), True, False),
        (("s3vl_admin",), True, True),
    ],
    ids=["no role", "reader", "writer", "admin"],
)
def test_each_role_gets_exactly_its_functions(
    db: psycopg.Connection, granted: tuple[str, ...], reads: bool, administers: bool
) -> None:
    as_role(db, *granted)
    assert [allowed(db, c) for c in READER_CALLS] == [reads] * len(READER_CALLS)
    assert [allowed(db, c) for c in ADMIN_CALLS] == [administers] * len(ADMIN_CALLS)
    assert [allowed(db, c) for c in PRIVATE] == [False] * len(PRIVATE)


def test_a_reader_can_look_up_the_registry_but_not_change_it(db: psycopg.Connection) -> None:
    as_role(db, "s3vl_reader")
    assert db.execute("SELECT index_name FROM s3vl.list_indexes()").fetchall() == [("demo-index",)]
    assert db.execute("SELECT s3vl.resolve_index_arn('demo-index')").fetchone() == (DEMO_ARN,)
    assert sql_error(db, "SELECT s3vl.deactivate_index('demo-index')").sqlstate == "42501"


def test_public_gets_nothing_on_the_schema(db: psycopg.Connection) -> None:
    grants = db.execute(
        """SELECT 'schema' FROM pg_namespace n, aclexplode(n.nspacl) a
           WHERE n.nspname = 's3vl' AND a.grantee = 0
           UNION ALL
           SELECT c.relname FROM pg_class c, aclexplode(c.relacl) a
           WHERE c.relnamespace = 's3vl'::regnamespace AND a.grantee = 0
           UNION ALL
           SELECT p.oid::regprocedure::text
           FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
           WHERE p.pronamespace = 's3vl'::regnamespace AND a.grantee = 0"""
    ).fetchall()
    assert grants == []


def test_every_security_definer_function_pins_search_path_with_pg_temp_last(
    db: psycopg.Connection,
) -> None:
    definers = db.execute(
        """SELECT p.oid::regprocedure::text,
                  (SELECT c FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%')
           FROM pg_proc p
           WHERE p.pronamespace = 's3vl'::regnamespace AND p.prosecdef"""
    ).fetchall()
    names = {name.split("(")[0] for name, _ in definers}
    assert names >= {
        "s3vl.configure", "s3vl.validate_config", "s3vl.get_config", "s3vl.register_index",
        "s3vl.resolve_index_arn", "s3vl.list_indexes", "s3vl.get_index_info",
        "s3vl.activate_index", "s3vl.deactivate_index", "s3vl.unregister_index",
        "s3vl.query_vectors", "s3vl.query_vectors_batch",
        "s3vl.get_vectors", "s3vl.list_vectors", "s3vl._scan_page",
        "s3vl.put_vectors", "s3vl.delete_vectors", "s3vl.flush", "s3vl.sync_status",
        "s3vl.purge_outbox", "s3vl._sync_capture", "s3vl._sync_truncate",
    }  # fmt: skip
    # These read or change the caller's own tables and schemas: they run with its rights
    # (tests/security/test_definer_rights.py holds why). scan_vectors runs with them too, so
    # PostgreSQL inlines it and its pages stream; it reaches the bridge through _scan_page.
    assert names.isdisjoint({
        "s3vl.sync_table", "s3vl.unsync_table", "s3vl.stale_keys", "s3vl.reconcile",
        "s3vl.create_index_view", "s3vl.import_bucket", "s3vl.scan_vectors",
    })  # fmt: skip
    for name, setting in definers:
        assert setting is not None, f"{name} has no pinned search_path"
        path = [s.strip() for s in setting.removeprefix("search_path=").split(",")]
        assert path[-1] == "pg_temp", f"{name}: pg_temp must come last in {path}"
        assert set(path) <= {"pg_catalog", "pg_temp"}, f"{name}: writable schema in {path}"


def test_public_functions_reach_configuration_registry_and_lambda_only_as_definer(
    db: psycopg.Connection,
) -> None:
    # A public function running with the caller's rights that read s3vl.config or the registry,
    # or invoked the Lambda itself, would need grants the roles do not have (and must not).
    bodies = db.execute(
        """SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p
           WHERE p.pronamespace = 's3vl'::regnamespace AND NOT p.prosecdef
             AND p.proname NOT LIKE '\\_%'"""
    ).fetchall()
    direct = re.compile(r"s3vl\.(config|index_registry)\b|aws_lambda\.invoke|s3vl\._invoke\(")
    assert [name for name, body in bodies if direct.search(body)] == []
    assert len(bodies) >= 5  # version() and the real[] / numeric[] overloads at least


def test_a_definer_function_ignores_a_hostile_search_path(db: psycopg.Connection) -> None:
    # A user schema first in search_path with a look-alike of a catalog function must not be
    # picked up by the definer functions (they qualify names and pin their own path).
    db.execute("CREATE SCHEMA hostile")
    db.execute(
        "CREATE FUNCTION hostile.cardinality(anyarray) RETURNS integer LANGUAGE sql AS 'SELECT 5'"
    )
    db.execute("SET search_path = hostile, public")
    error = sql_error(db, "SELECT * FROM s3vl.query_vectors(ARRAY[0.1, 0.2], 'demo-index')")
    assert error.sqlstate == "22023" and "has 2 elements" in error.diag.message_primary


def test_dynamic_sql_is_only_built_with_format(db: psycopg.Connection) -> None:
    # EXECUTE must take pg_catalog.format(...) (with %I / %L) directly, never a concatenation.
    bodies = db.execute(
        "SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p"
        " JOIN pg_language l ON l.oid = p.prolang"
        " WHERE p.pronamespace = 's3vl'::regnamespace AND l.lanname = 'plpgsql'"
    ).fetchall()
    statements = re.compile(
        r"\bEXECUTE\s+(?!(pg_catalog\.)?format\(|FUNCTION\b|PROCEDURE\b|ON\b)", re.I
    )
    offenders = [name for name, body in bodies if statements.search(body)]
    assert offenders == []


INJECTED_NAMES = [
    "demo-index'; DROP TABLE s3vl.config; --",
    'demo-index"); DROP SCHEMA s3vl CASCADE; --',
    "x' OR '1'='1",
]


@pytest.mark.parametrize("name", INJECTED_NAMES)
def test_an_injected_index_name_is_just_an_unknown_name(db: psycopg.Connection, name: str) -> None:
    error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, index_name => %s)", [name])
    assert error.sqlstate == "42704"
    assert db.execute("SELECT count(*) FROM s3vl.config").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM s3vl.index_registry").fetchone() == (1,)


@pytest.mark.parametrize("name", INJECTED_NAMES)
def test_an_injected_index_name_cannot_be_registered(db: psycopg.Connection, name: str) -> None:
    error = sql_error(db, "SELECT s3vl.register_index(%s, %s, NULL, 5, 'cosine')", [name, DEMO_ARN])
    assert error.sqlstate == "22023"
    assert db.execute("SELECT count(*) FROM s3vl.index_registry").fetchone() == (1,)


def test_an_injected_index_arn_is_refused(db: psycopg.Connection) -> None:
    arn = DEMO_ARN + "'; DROP TABLE s3vl.index_registry; --"
    assert (
        sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, index_arn => %s)", [arn]).sqlstate
        == "22023"
    )
    assert db.execute("SELECT count(*) FROM s3vl.index_registry").fetchone() == (1,)


def test_a_filter_that_is_not_an_object_is_refused(db: psycopg.Connection) -> None:
    error = sql_error(
        db,
        f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', metadata_filter => %s::jsonb)",
        ['"category\'; DROP TABLE s3vl.config; --"'],
    )
    assert error.sqlstate == "22023" and '"metadata_filter"' in error.diag.message_primary
