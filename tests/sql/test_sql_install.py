"""install.sql: idempotent, upgrades to exactly a fresh install, refuses what it cannot do;
uninstall.sql removes everything."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import psycopg
import pytest
from sqlsupport import (
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

from devstack.postgres import TemporaryCluster

pytestmark = pytest.mark.slow

AWS_SAMPLE_SCHEMA = Path(__file__).parent / "fixtures" / "aws_sample_schema.sql"


def fetch(cluster: TemporaryCluster, dbname: str, sql: str) -> list[tuple]:
    with psycopg.connect(cluster.dsn(dbname)) as conn:
        return conn.execute(sql).fetchall()


def test_install_twice_changes_nothing_and_keeps_the_data(pg: TemporaryCluster) -> None:
    dbname = new_database(pg, "install_twice")
    install(pg, dbname)
    pg.psql(
        "-c", f"SELECT s3vl.configure('{LAMBDA_ARN}', 'us-east-1', 45, validate => false)",
        "-c", f"SELECT s3vl.register_index('demo-index', '{DEMO_ARN}', 'demo', 5, 'cosine')",
        dbname=dbname,
    )  # fmt: skip
    first = schema_dump(pg, dbname)
    result = pg.psql("-f", str(INSTALL_SQL), dbname=dbname)
    assert "s3vl 0.1.0 installed (found: 0.1.0)" in result.stdout
    assert schema_dump(pg, dbname) == first
    assert fetch(pg, dbname, "SELECT lambda_arn, timeout_seconds FROM s3vl.get_config()") == [
        (LAMBDA_ARN, 45)
    ]
    assert fetch(pg, dbname, "SELECT index_name, dimension FROM s3vl.list_indexes()") == [
        ("demo-index", 5)
    ]


def test_install_runs_from_any_directory(pg: TemporaryCluster) -> None:
    dbname = new_database(pg, "install_elsewhere")
    pg.psql("-q", "-f", str(COMPAT_SQL), dbname=dbname)
    result = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", pg.dsn(dbname), "-f", str(INSTALL_SQL)],
        cwd="/", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert fetch(pg, dbname, "SELECT s3vl.version()") == [("0.1.0",)]


def test_version_matches_the_project_version(pg: TemporaryCluster, s3vl_db: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with psycopg.connect(s3vl_db) as conn:
        assert conn.execute("SELECT s3vl.version()").fetchone() == (project,)
    assert (
        f"\\set s3vl_target_version {project}"
        in (ROOT / "sql" / "parts" / "01_installed_version.sql").read_text()
    )


def test_upgrade_from_the_aws_sample_schema_equals_a_fresh_install(pg: TemporaryCluster) -> None:
    fresh = new_database(pg, "upgrade_fresh")
    install(pg, fresh)
    upgraded = new_database(pg, "upgrade_from_aws_sample")
    pg.psql("-q", "-f", str(COMPAT_SQL), dbname=upgraded)
    pg.psql("-q", "-f", str(AWS_SAMPLE_SCHEMA), dbname=upgraded)
    before = schema_dump(pg, upgraded)
    assert before != schema_dump(pg, fresh)  # the test starts from a different schema

    result = pg.psql("-f", str(INSTALL_SQL), dbname=upgraded)

    assert "(found: aws-sample)" in result.stdout
    assert schema_dump(pg, upgraded) == schema_dump(pg, fresh)
    # The newest configuration and every registration survive; dimensions are unknown until
    # the indexes are registered again.
    assert fetch(
        pg, upgraded, "SELECT lambda_arn, aws_region, timeout_seconds FROM s3vl.config"
    ) == [("arn:aws:lambda:us-west-2:123456789012:function:s3vl-vector-query", "us-west-2", 20)]
    assert fetch(
        pg, upgraded,
        "SELECT index_name, is_active, description, dimension FROM s3vl.list_indexes()",
    ) == [
        ("demo-index", True, "the sample index", None),
        ("old-index", False, None, None),
    ]  # fmt: skip


def test_install_refuses_a_version_it_does_not_know(pg: TemporaryCluster) -> None:
    dbname = new_database(pg, "install_newer")
    install(pg, dbname)
    pg.psql(
        "-c", "CREATE OR REPLACE FUNCTION s3vl.version() RETURNS text LANGUAGE sql"
              " AS $$ SELECT '9.9.9' $$",
        dbname=dbname,
    )  # fmt: skip
    result = pg.psql("-f", str(INSTALL_SQL), dbname=dbname, check=False)
    assert result.returncode != 0
    assert "s3vl 9.9.9 is installed here" in result.stderr
    assert "HINT:" in result.stderr
    assert fetch(pg, dbname, "SELECT s3vl.version()") == [("9.9.9",)]


def test_install_without_aws_lambda_stops_naming_the_compat_file(pg: TemporaryCluster) -> None:
    dbname = new_database(pg, "install_no_lambda")
    result = pg.psql("-f", str(INSTALL_SQL), dbname=dbname, check=False)
    assert result.returncode != 0
    assert "sql/compat/aws_lambda.sql" in result.stderr
    assert fetch(pg, dbname, "SELECT to_regnamespace('s3vl')") == [(None,)]


def test_every_function_has_a_comment(db: psycopg.Connection) -> None:
    missing = db.execute(
        """SELECT p.oid::regprocedure::text FROM pg_proc AS p
           WHERE p.pronamespace = 's3vl'::regnamespace
             AND obj_description(p.oid, 'pg_proc') IS NULL"""
    ).fetchall()
    assert missing == []


def test_uninstall_removes_the_schema_and_the_roles() -> None:
    # Its own cluster: roles are cluster-wide, and other test databases hold grants to them.
    cluster = start_cluster()
    try:
        first, second = new_database(cluster, "first"), new_database(cluster, "second")
        install(cluster, first)
        install(cluster, second)
        roles = "SELECT rolname FROM pg_roles WHERE rolname LIKE 's3vl%' ORDER BY 1"

        kept = cluster.psql("-f", str(UNINSTALL_SQL), dbname=first)
        assert "role s3vl_reader kept" in kept.stderr and "t_second" in kept.stderr
        assert fetch(cluster, first, "SELECT to_regnamespace('s3vl')") == [(None,)]
        assert len(fetch(cluster, first, roles)) == 3

        cluster.psql("-f", str(UNINSTALL_SQL), dbname=second)
        assert fetch(cluster, second, "SELECT to_regnamespace('s3vl')") == [(None,)]
        assert fetch(cluster, second, roles) == []
        # The compat layer is not s3vl's to remove.
        assert fetch(cluster, second, "SELECT to_regnamespace('aws_lambda') IS NOT NULL") == [
            (True,)
        ]
    finally:
        cluster.stop()
