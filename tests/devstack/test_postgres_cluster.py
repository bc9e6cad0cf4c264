"""The throwaway PostgreSQL cluster behind the SQL tests and the demo."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import psycopg
import pytest

from devstack.postgres import PostgresUnavailableError, TemporaryCluster

pytestmark = pytest.mark.slow


def test_the_cluster_accepts_psycopg_connections_on_its_url(cluster: TemporaryCluster) -> None:
    assert cluster.url == f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with psycopg.connect(cluster.url) as conn:
        user, db = conn.execute("select current_user, current_database()").fetchone()  # type: ignore[misc]
    assert (user, db) == ("postgres", "postgres")


def test_the_cluster_listens_on_loopback_only_and_is_tuned_for_speed(
    cluster: TemporaryCluster,
) -> None:
    with psycopg.connect(cluster.url) as conn:
        settings = dict(
            conn.execute(
                "select name, setting from pg_settings where name in "
                "('listen_addresses', 'fsync', 'unix_socket_directories', 'port')"
            ).fetchall()
        )
    assert settings["listen_addresses"] == "127.0.0.1"
    assert settings["fsync"] == "off"
    assert settings["port"] == str(cluster.port)
    assert Path(settings["unix_socket_directories"]) == cluster.data_dir.parent


def test_plpython3u_can_be_created(cluster: TemporaryCluster) -> None:
    url = cluster.create_database("plpython_check")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create extension if not exists plpython3u")
        conn.execute(
            "create function py_add(a int, b int) returns int language plpython3u as 'return a + b'"
        )
        assert conn.execute("select py_add(2, 3)").fetchone() == (5,)


def test_create_database_quotes_the_name_and_returns_its_url(cluster: TemporaryCluster) -> None:
    url = cluster.create_database('odd "name"; drop')
    assert url == cluster.dsn('odd "name"; drop')
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_database()").fetchone() == ('odd "name"; drop',)
    with psycopg.connect(cluster.url) as conn:
        names = {row[0] for row in conn.execute("select datname from pg_database")}
    assert 'odd "name"; drop' in names


def test_psql_runs_in_the_named_database_and_feeds_stdin(cluster: TemporaryCluster) -> None:
    cluster.create_database("psql_target")
    result = cluster.psql("-tA", dbname="psql_target", input="select current_database();\n")
    assert result.stdout.strip() == "psql_target"


def test_psql_stops_on_the_first_error_and_raises_when_checked(cluster: TemporaryCluster) -> None:
    script = "select 1/0;\nselect 'not reached';\n"
    with pytest.raises(subprocess.CalledProcessError) as excinfo:
        cluster.psql("-tA", input=script)
    assert "division by zero" in excinfo.value.stderr
    unchecked = cluster.psql("-tA", input=script, check=False)
    assert unchecked.returncode != 0
    assert "not reached" not in unchecked.stdout


def test_stop_shuts_the_server_down_removes_its_directory_and_is_idempotent() -> None:
    pg = TemporaryCluster().start()
    workdir, port = pg.data_dir.parent, pg.port
    pg.stop()
    assert not workdir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=2)
    pg.stop()


def test_a_requested_port_is_used() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with TemporaryCluster(port=port) as pg:
        assert pg.port == port
        assert pg.psql("-tA", "-c", "show port").stdout.strip() == str(port)


def test_the_context_manager_stops_the_cluster_on_error() -> None:
    workdirs: list[Path] = []

    def fail_inside() -> None:
        with TemporaryCluster() as pg:
            workdirs.append(pg.data_dir.parent)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert not workdirs[0].exists()


def test_missing_binaries_name_the_script_that_installs_them(tmp_path: Path) -> None:
    with pytest.raises(PostgresUnavailableError, match=r"bash devstack/system-deps\.sh"):
        TemporaryCluster(pg_bin=str(tmp_path)).start()


def test_missing_plpython3u_is_reported_with_its_package(tmp_path: Path) -> None:
    # A bin directory with the server's binaries but a library directory without plpython3.so.
    real_bin = TemporaryCluster().pg_bin
    fake_bin = tmp_path / "15" / "bin"
    fake_bin.mkdir(parents=True)
    for name in ("initdb", "pg_ctl", "postgres"):
        (fake_bin / name).symlink_to(real_bin / name)
    (tmp_path / "15" / "lib").mkdir()
    with pytest.raises(PostgresUnavailableError, match=r"postgresql-plpython3-15.*system-deps"):
        TemporaryCluster(pg_bin=str(fake_bin)).start()


def test_using_a_cluster_before_start_says_so() -> None:
    with pytest.raises(PostgresUnavailableError, match="not started"):
        TemporaryCluster().psql("-c", "select 1")


def test_the_server_gets_the_given_environment_but_not_the_callers_python_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", "/caller/venv/site-packages")
    with TemporaryCluster(environment={"S3VL_SERVER_SETTING": "given"}) as pg:
        pg.psql("-q", "-c", "CREATE EXTENSION plpython3u")
        pg.psql(
            "-q",
            "-c",
            "CREATE FUNCTION server_env(name text) RETURNS text LANGUAGE plpython3u "
            "AS 'import os; return os.environ.get(name)'",
        )
        query = "SELECT server_env('S3VL_SERVER_SETTING'), server_env('PYTHONPATH') IS NULL"
        assert pg.psql("-tA", "-c", query).stdout.strip() == "given|t"
