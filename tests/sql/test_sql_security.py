"""Privileges per role, the SECURITY DEFINER walk, and injection attempts."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.support.postgres import DEMO_ARN, LAMBDA_ARN, sql_error

pytestmark = pytest.mark.slow

V5 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]"

# What a call does for a role that may run it, in this database (configured for an endpoint
# nobody listens on): None, it returns; (SQLSTATE, start of the message), it fails from inside
# the function, where only a role that got in can be.
Outcome = tuple[str, str] | None


def reaches_the_lambda(name: str) -> Outcome:
    return ("58000", f"s3vl.{name}: invoking the Lambda function failed")


READER_CALLS: list[tuple[str, Outcome]] = [
    (f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')", reaches_the_lambda("query_vectors")),
    (
        f"SELECT * FROM s3vl.query_vectors_batch(ARRAY[{V5}], 'demo-index')",
        reaches_the_lambda("query_vectors_batch"),
    ),
    (
        "SELECT * FROM s3vl.get_vectors(ARRAY['vec_001'], 'demo-index')",
        reaches_the_lambda("get_vectors"),
    ),
    (
        "SELECT * FROM s3vl.list_vectors(index_name => 'demo-index')",
        reaches_the_lambda("list_vectors"),
    ),
    ("SELECT * FROM s3vl.scan_vectors('demo-index')", reaches_the_lambda("scan_vectors")),
    (
        "SELECT * FROM s3vl.search_text('{\"title\": \"red\"}', 'demo-index')",
        reaches_the_lambda("search_text"),
    ),
    (
        f"SELECT * FROM s3vl.hybrid_search({V5}, '{{\"title\": \"red\"}}', 'demo-index')",
        reaches_the_lambda("hybrid_search"),
    ),
    ("SELECT * FROM s3vl.searchable_keys('demo-index')", reaches_the_lambda("searchable_keys")),
    ("SELECT s3vl.embed('a thermos')", reaches_the_lambda("embed")),
    ("SELECT s3vl.embed(ARRAY['a thermos', 'a lamp'])", reaches_the_lambda("embed")),
    # demo-index (5 dimensions) has no model: refused from inside, before invoking
    ("SELECT * FROM s3vl.query_text('a thermos', 'demo-index')", ("22023", "s3vl.query_text")),
    ("SELECT * FROM s3vl.embedding_models()", None),
    ("SELECT * FROM s3vl.embedding_model('demo-index')", None),
]
ADMIN_CALLS: list[tuple[str, Outcome]] = [
    (f"SELECT s3vl.configure('{LAMBDA_ARN}', 'us-east-1', validate => false)", None),
    ("SELECT * FROM s3vl.validate_config()", None),  # is_valid false: nobody listens
    ("SELECT * FROM s3vl.get_config()", None),
    (f"SELECT s3vl.register_index('other', '{DEMO_ARN}', NULL, 5, 'cosine')", None),
    ("SELECT s3vl.deactivate_index('demo-index')", None),
    ("SELECT s3vl.activate_index('demo-index')", None),
    ("SELECT s3vl.unregister_index('demo-index')", None),
    ("SELECT * FROM s3vl.import_bucket('demo-bucket')", reaches_the_lambda("import_bucket")),
    (
        "SELECT * FROM s3vl.add_searchable_keys('demo-index', ARRAY['title'])",
        reaches_the_lambda("add_searchable_keys"),
    ),
    (
        "SELECT * FROM s3vl.remove_searchable_keys('demo-index', ARRAY['title'])",
        reaches_the_lambda("remove_searchable_keys"),
    ),
    (
        "SELECT s3vl.set_index_mode('demo-index', 'ENHANCED')",
        reaches_the_lambda("set_index_mode"),
    ),
    (
        "SELECT * FROM s3vl.refresh_text_search('demo-index')",
        reaches_the_lambda("refresh_text_search"),
    ),
    ("SELECT s3vl.set_embedding_model('demo-index', NULL)", None),
    (
        "SELECT s3vl.set_embedding_model('demo-index', 'amazon.titan-embed-text-v2:0')",
        ("22023", "s3vl.set_embedding_model"),
    ),
]
PRIVATE: list[tuple[str, Outcome]] = [
    ("SELECT * FROM s3vl.config", None),
    ("SELECT * FROM s3vl.index_registry", None),
    ("SELECT * FROM s3vl.index_text_search", None),
    ("SELECT * FROM s3vl.index_embedding", None),
    ("SELECT * FROM s3vl._embedding_models()", None),
    ("UPDATE s3vl.config SET lambda_arn = 'evil'", None),
    (
        "SELECT s3vl._invoke('x', '{\"operation\": \"availability_check\"}')",
        reaches_the_lambda("x"),
    ),
    (
        "SELECT s3vl._invoke_json('x', '{\"operation\": \"availability_check\"}')",
        reaches_the_lambda("x"),
    ),
    (
        "SELECT s3vl._invoke_envelope('x', '{\"operation\": \"availability_check\"}')",
        reaches_the_lambda("x"),
    ),
    ("SELECT * FROM s3vl._configuration('x'::text)", None),
]


def as_role(conn: psycopg.Connection, *granted: str) -> None:
    """Become a fresh login role holding `granted` (created inside the test's transaction)."""
    conn.execute("CREATE ROLE s3vl_test_user LOGIN")
    for role in granted:
        conn.execute(f"GRANT {role} TO s3vl_test_user")
    conn.execute("SET ROLE s3vl_test_user")


def refusal(call: str) -> re.Pattern[str]:
    """PostgreSQL's own refusal of `call`: on the schema, or on the function or table the call
    names. A 42501 about anything else came from inside, after the role got in."""
    match = re.search(r"s3vl\.(\w+)", call)
    assert match is not None, call
    return re.compile(rf"permission denied for (schema s3vl|(function|table) {match[1]})")


def allowed(conn: psycopg.Connection, call: str, granted: Outcome) -> bool:
    """Whether the role may run `call`: False when PostgreSQL refuses it, True when it does
    what it does for a role that may (`granted`). Any other outcome fails the test: it shows
    neither. Each call is rolled back, so none changes what the next one finds."""
    try:
        with conn.transaction(force_rollback=True):
            cursor = conn.execute(call)
            if cursor.description is not None:
                cursor.fetchall()
    except psycopg.errors.InsufficientPrivilege as error:
        message = error.diag.message_primary or ""
        if not refusal(call).fullmatch(message):
            pytest.fail(f"{call}: 42501 from inside, not a refusal of the call: {message}")
        return False
    except psycopg.Error as error:
        message = error.diag.message_primary or ""
        if granted is None or error.sqlstate != granted[0] or not message.startswith(granted[1]):
            pytest.fail(
                f"{call}: {error.sqlstate} {message}; a role that may run it gets {granted}"
            )
        return True
    if granted is not None:
        pytest.fail(f"{call} returned; a role that may run it gets {granted}")
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
    assert [allowed(db, *c) for c in READER_CALLS] == [reads] * len(READER_CALLS)
    assert [allowed(db, *c) for c in ADMIN_CALLS] == [administers] * len(ADMIN_CALLS)
    assert [allowed(db, *c) for c in PRIVATE] == [False] * len(PRIVATE)


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
    direct = re.compile(
        r"s3vl\.(config|index_registry)\b|aws_lambda\.invoke|s3vl\._invoke(_json)?\("
    )
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
