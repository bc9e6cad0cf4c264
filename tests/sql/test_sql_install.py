"""install.sql: idempotent, upgrades to exactly a fresh install, refuses what it cannot do;
uninstall.sql removes everything."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import psycopg
import pytest

from devstack.postgres import TemporaryCluster
from tests.support.postgres import (
    COMPAT_SQL,
    DEMO_ARN,
    INSTALL_SQL,
    LAMBDA_ARN,
    ROOT,
    UNINSTALL_SQL,
    install,
    new_database,
    schema_dump,
    start_cluster,
)

pytestmark = pytest.mark.slow

AWS_SAMPLE_SCHEMA = Path(__file__).parent / "fixtures" / "aws_sample_schema.sql"
S3VL_0_1_0_SCHEMA = Path(__file__).parent / "fixtures" / "s3vl_0.1.0_schema.sql"


def fetch(cluster: TemporaryCluster, dbname: str, sql: str) -> list[tuple]:
    with psycopg.connect(cluster.dsn(dbname)) as conn:
        return conn.execute(sql).fetchall()


# Everything s3vl puts outside its schema, and the state of its own tables: what a rerun of
# install.sql must keep and what uninstall.sql must remove.
OUTSIDE_S3VL = """
    SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text FROM pg_trigger AS t
    WHERE NOT t.tgisinternal AND t.tgname LIKE 's3vl%'
    UNION ALL
    SELECT 'relation ' || c.oid::regclass::text FROM pg_class AS c
    WHERE c.relnamespace::regnamespace::text = 's3_vectors'
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc AS p
    WHERE p.pronamespace::regnamespace::text = 's3_vectors'
    ORDER BY 1"""
SYNC_STATE = """
    SELECT o.key, o.operation, o.done_at IS NULL, s.source_table::text, s.metadata_columns::text
    FROM s3vl.outbox AS o JOIN s3vl.sync_source AS s ON s.id = o.source_id ORDER BY o.id"""


def add_synced_table_and_view(cluster: TemporaryCluster, dbname: str) -> None:
    """A table synced with `demo-index` holding pending changes, and a view of the index: none
    of it invokes the Lambda function."""
    cluster.psql(
        "-c", f"SELECT s3vl.configure('{LAMBDA_ARN}', 'us-east-1', 45, validate => false)",
        "-c", f"SELECT s3vl.register_index('demo-index', '{DEMO_ARN}', 'demo', 5, 'cosine')",
        "-c", "CREATE TABLE docs (id text PRIMARY KEY, emb real[], title text)",
        "-c", "SELECT s3vl.sync_table('docs', 'id', 'emb', 'demo-index', ARRAY['title'])",
        "-c", "INSERT INTO docs VALUES ('a', '{1,2,3,4,5}', 'A'), ('b', '{5,4,3,2,1}', 'B')",
        "-c", "DELETE FROM docs WHERE id = 'b'",
        "-c", "SELECT s3vl.create_index_view('demo-index', 's3_vectors', 'demo')",
        dbname=dbname,
    )  # fmt: skip


def test_install_twice_changes_nothing_and_keeps_the_data(cluster: TemporaryCluster) -> None:
    dbname = new_database(cluster, "install_twice")
    install(cluster, dbname)
    add_synced_table_and_view(cluster, dbname)
    first = schema_dump(cluster, dbname)
    outside, sync_state = fetch(cluster, dbname, OUTSIDE_S3VL), fetch(cluster, dbname, SYNC_STATE)
    # Two triggers on docs, the view, its two triggers and its lookup function.
    assert len(outside) == 6 and len(sync_state) == 3
    result = cluster.psql("-f", str(INSTALL_SQL), dbname=dbname)
    assert "s3vl 0.2.0 installed (found: 0.2.0)" in result.stdout
    assert schema_dump(cluster, dbname) == first
    assert fetch(cluster, dbname, "SELECT lambda_arn, timeout_seconds FROM s3vl.get_config()") == [
        (LAMBDA_ARN, 45)
    ]
    assert fetch(cluster, dbname, "SELECT index_name, dimension FROM s3vl.list_indexes()") == [
        ("demo-index", 5)
    ]
    assert fetch(cluster, dbname, OUTSIDE_S3VL) == outside
    assert fetch(cluster, dbname, SYNC_STATE) == sync_state
    # The capture trigger still records changes after the rerun.
    cluster.psql("-c", "INSERT INTO docs VALUES ('c', '{1,1,1,1,1}', 'C')", dbname=dbname)
    assert fetch(cluster, dbname, "SELECT key FROM s3vl.outbox ORDER BY id DESC LIMIT 1") == [
        ("c",)
    ]


def test_install_runs_from_any_directory(cluster: TemporaryCluster) -> None:
    dbname = new_database(cluster, "install_elsewhere")
    cluster.psql("-q", "-f", str(COMPAT_SQL), dbname=dbname)
    result = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", cluster.dsn(dbname), "-f", str(INSTALL_SQL)],
        cwd="/", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert fetch(cluster, dbname, "SELECT s3vl.version()") == [("0.2.0",)]


def test_version_matches_the_project_version(cluster: TemporaryCluster, s3vl_db: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with psycopg.connect(s3vl_db) as conn:
        assert conn.execute("SELECT s3vl.version()").fetchone() == (project,)
    assert (
        f"\\set s3vl_target_version {project}"
        in (ROOT / "sql" / "parts" / "01_installed_version.sql").read_text()
    )


def test_upgrade_from_the_aws_sample_schema_equals_a_fresh_install(
    cluster: TemporaryCluster,
) -> None:
    fresh = new_database(cluster, "upgrade_fresh")
    install(cluster, fresh)
    upgraded = new_database(cluster, "upgrade_from_aws_sample")
    cluster.psql("-q", "-f", str(COMPAT_SQL), dbname=upgraded)
    cluster.psql("-q", "-f", str(AWS_SAMPLE_SCHEMA), dbname=upgraded)
    before = schema_dump(cluster, upgraded)
    assert before != schema_dump(cluster, fresh)  # the test starts from a different schema

    result = cluster.psql("-f", str(INSTALL_SQL), dbname=upgraded)

    assert "(found: aws-sample)" in result.stdout
    assert schema_dump(cluster, upgraded) == schema_dump(cluster, fresh)
    # The newest configuration and every registration survive; dimensions are unknown until
    # the indexes are registered again.
    assert fetch(
        cluster, upgraded, "SELECT lambda_arn, aws_region, timeout_seconds FROM s3vl.config"
    ) == [("arn:aws:lambda:us-west-2:123456789012:function:s3vl-vector-query", "us-west-2", 20)]
    assert fetch(
        cluster, upgraded,
        "SELECT index_name, is_active, description, dimension FROM s3vl.list_indexes()",
    ) == [
        ("demo-index", True, "the sample index", None),
        ("old-index", False, None, None),
    ]  # fmt: skip


def test_upgrade_from_0_1_0_equals_a_fresh_install_and_keeps_syncing(
    cluster: TemporaryCluster,
) -> None:
    fresh = new_database(cluster, "upgrade_fresh_010")
    install(cluster, fresh)
    upgraded = new_database(cluster, "upgrade_from_0_1_0")
    cluster.psql("-q", "-f", str(COMPAT_SQL), dbname=upgraded)
    cluster.psql("-q", "-f", str(S3VL_0_1_0_SCHEMA), dbname=upgraded)
    assert fetch(cluster, upgraded, "SELECT s3vl.version()") == [("0.1.0",)]

    result = cluster.psql("-f", str(INSTALL_SQL), dbname=upgraded)

    assert "(found: 0.1.0)" in result.stdout
    assert schema_dump(cluster, upgraded) == schema_dump(cluster, fresh)
    assert fetch(cluster, upgraded, "SELECT lambda_arn, timeout_seconds FROM s3vl.config") == [
        (LAMBDA_ARN, 45)
    ]
    # The keys 0.1.0's sync had put are known (b was deleted, c has no embedding), so a
    # TRUNCATE after the upgrade deletes them; the old trigger now runs 0.2.0's capture.
    assert fetch(cluster, upgraded, "SELECT key FROM s3vl.sync_key") == [("a",)]
    cluster.psql(
        "-c", "INSERT INTO docs VALUES ('d', '{1,1,1,1,2}', 'D')", "-c", "TRUNCATE docs",
        dbname=upgraded,
    )  # fmt: skip
    assert fetch(
        cluster, upgraded, "SELECT key, operation FROM s3vl.outbox WHERE id > 4 ORDER BY id"
    ) == [("d", "put"), ("a", "delete"), ("d", "delete")]


def test_install_refuses_a_version_it_does_not_know(cluster: TemporaryCluster) -> None:
    dbname = new_database(cluster, "install_newer")
    install(cluster, dbname)
    cluster.psql(
        "-c", "CREATE OR REPLACE FUNCTION s3vl.version() RETURNS text LANGUAGE sql"
              " AS $$ SELECT '9.9.9' $$",
        dbname=dbname,
    )  # fmt: skip
    result = cluster.psql("-f", str(INSTALL_SQL), dbname=dbname, check=False)
    assert result.returncode != 0
    assert "s3vl 9.9.9 is installed here" in result.stderr
    assert "HINT:" in result.stderr
    assert fetch(cluster, dbname, "SELECT s3vl.version()") == [("9.9.9",)]


def test_install_without_aws_lambda_stops_naming_the_compat_file(cluster: TemporaryCluster) -> None:
    dbname = new_database(cluster, "install_no_lambda")
    result = cluster.psql("-f", str(INSTALL_SQL), dbname=dbname, check=False)
    assert result.returncode != 0
    assert "sql/compat/aws_lambda.sql" in result.stderr
    assert fetch(cluster, dbname, "SELECT to_regnamespace('s3vl')") == [(None,)]


def test_every_function_has_a_comment(db: psycopg.Connection) -> None:
    missing = db.execute(
        """SELECT p.oid::regprocedure::text FROM pg_proc AS p
           WHERE p.pronamespace = 's3vl'::regnamespace
             AND obj_description(p.oid, 'pg_proc') IS NULL"""
    ).fetchall()
    assert missing == []


def test_function_bodies_read_their_arguments_by_name(db: psycopg.Connection) -> None:
    # $1, $2 ... only inside string literals (format() patterns, EXECUTE ... USING); comments
    # and literals are matched first, so a $ in them is skipped.
    token = re.compile(r"--[^\n]*|'(?:[^']|'')*'|\$[0-9]+")
    bodies = db.execute(
        """SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc AS p
           JOIN pg_language AS l ON l.oid = p.prolang
           WHERE p.pronamespace = 's3vl'::regnamespace AND l.lanname IN ('sql', 'plpgsql')"""
    ).fetchall()
    positional = [
        (name, m.group())
        for name, body in bodies
        for m in token.finditer(body)
        if m.group().startswith("$")
    ]
    assert len(bodies) > 50 and positional == []


def test_uninstall_removes_the_schema_and_the_roles() -> None:
    # Its own cluster: roles are cluster-wide, and other test databases hold grants to them.
    cluster = start_cluster()
    try:
        first, second = new_database(cluster, "first"), new_database(cluster, "second")
        install(cluster, first)
        install(cluster, second)
        roles = "SELECT rolname FROM pg_roles WHERE rolname LIKE 's3vl%' ORDER BY 1"

        add_synced_table_and_view(cluster, first)
        assert len(fetch(cluster, first, OUTSIDE_S3VL)) == 6

        kept = cluster.psql("-f", str(UNINSTALL_SQL), dbname=first)
        assert "role s3vl_reader kept" in kept.stderr and "t_second" in kept.stderr
        assert fetch(cluster, first, "SELECT to_regnamespace('s3vl')") == [(None,)]
        assert len(fetch(cluster, first, roles)) == 4
        # Nothing of s3vl is left on user tables: the formerly synced table takes writes.
        assert fetch(cluster, first, OUTSIDE_S3VL) == []
        cluster.psql(
            "-c", "INSERT INTO docs VALUES ('after', '{1,2,3,4,5}', 'kept')",
            "-c", "UPDATE docs SET title = 'changed'", "-c", "DELETE FROM docs WHERE id = 'a'",
            "-c", "TRUNCATE docs",
            dbname=first,
        )  # fmt: skip
        assert fetch(cluster, first, "SELECT count(*) FROM docs") == [(0,)]
        # The schema create_index_view made went too, once empty.
        assert fetch(cluster, first, "SELECT to_regnamespace('s3_vectors')") == [(None,)]

        add_synced_table_and_view(cluster, second)
        cluster.psql("-c", "CREATE TABLE s3_vectors.users_own (x integer)", dbname=second)
        last = cluster.psql("-f", str(UNINSTALL_SQL), dbname=second)
        assert "schema s3_vectors kept" in last.stderr
        assert fetch(cluster, second, OUTSIDE_S3VL) == [("relation s3_vectors.users_own",)]
        assert fetch(cluster, second, "SELECT to_regnamespace('s3vl')") == [(None,)]
        assert fetch(cluster, second, roles) == []
        # The compat layer is not s3vl's to remove.
        assert fetch(cluster, second, "SELECT to_regnamespace('aws_lambda') IS NOT NULL") == [
            (True,)
        ]
    finally:
        cluster.stop()
