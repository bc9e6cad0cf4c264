"""A throwaway PostgreSQL cluster from Debian's packages, for tests and the demo.

The cluster lives in a temporary directory, listens on 127.0.0.1 only, trusts local
connections, and is tuned for speed over durability (fsync off): it holds nothing worth
keeping and is removed on `stop()`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

PG_ROOT = Path("/usr/lib/postgresql")
SYSTEM_DEPS_HINT = "run `bash devstack/system-deps.sh` to install them"
START_TIMEOUT_S = 60
STARTUP_ATTEMPTS = 3  # a free port found by probing can be taken before the server binds it

# Throwaway clusters trade durability for speed; the rest keeps the footprint small.
FAST_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "shared_buffers": "32MB",
    "max_connections": "100",
    "log_min_messages": "warning",
    "log_min_error_statement": "error",
    "timezone": "'UTC'",
}


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL binaries or plpython3u are missing, or the cluster would not start."""


def find_pg_bin() -> Path:
    """The bin directory of the newest PostgreSQL server under /usr/lib/postgresql."""
    majors = []
    if PG_ROOT.is_dir():
        majors = sorted(
            (
                p
                for p in PG_ROOT.iterdir()
                if p.name.isdigit() and (p / "bin" / "postgres").is_file()
            ),
            key=lambda p: int(p.name),
        )
    if not majors:
        raise PostgresUnavailableError(
            f"no PostgreSQL server found under {PG_ROOT}/<major>/bin; {SYSTEM_DEPS_HINT}"
        )
    return majors[-1] / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryCluster:
    """A throwaway cluster: `with TemporaryCluster() as pg: pg.psql("-c", "select 1")`."""

    def __init__(
        self,
        *,
        port: int = 0,
        pg_bin: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """`environment`: extra variables for the server process (plpython3u code sees them)."""
        self._requested_port = port
        self._pg_bin = Path(pg_bin) if pg_bin else None
        self._environment = dict(environment or {})
        self.port = port
        self._workdir: Path | None = None  # set from start() until stop(): the cluster's life

    # -- names -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.dsn()

    def dsn(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{quote(user, safe='')}@127.0.0.1:{self.port}/{quote(dbname, safe='')}"

    @property
    def data_dir(self) -> Path:
        return self._require_workdir() / "data"

    @property
    def log_file(self) -> Path:
        return self._require_workdir() / "postgres.log"

    @property
    def pg_bin(self) -> Path:
        if self._pg_bin is None:
            self._pg_bin = find_pg_bin()
        return self._pg_bin

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> TemporaryCluster:
        if self._workdir is not None:
            return self
        self._check_installation()
        self._workdir = Path(tempfile.mkdtemp(prefix="s3vl-pg-"))
        atexit.register(self.stop)
        try:
            if os.geteuid() == 0:
                # initdb refuses to run as root; the cluster belongs to `postgres`.
                account = pwd.getpwnam("postgres")
                os.chown(self._workdir, account.pw_uid, account.pw_gid)
            self._as_server_user(
                str(self.pg_bin / "initdb"),
                "-D", str(self.data_dir),
                "-U", "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                what="initdb",
            )  # fmt: skip
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Fast shutdown and remove the directory; safe to call more than once."""
        workdir, self._workdir = self._workdir, None
        atexit.unregister(self.stop)
        if workdir is None:
            return
        if (workdir / "data" / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._run(
                    [
                        *self._server_user_prefix(),
                        str(self.pg_bin / "pg_ctl"),
                        "-D", str(workdir / "data"),
                        "-m", "fast",
                        "-w", "-t", "30",
                        "stop",
                    ],
                    timeout=60,
                )  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)

    def __enter__(self) -> TemporaryCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- use -------------------------------------------------------------------------------

    def create_database(self, name: str) -> str:
        """Create database `name` (any spelling; quoted by psql) and return its url."""
        self.psql("-v", f"name={name}", input='CREATE DATABASE :"name";\n')
        return self.dsn(name)

    def psql(
        self,
        *args: str,
        dbname: str = "postgres",
        input: str | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run psql (no psqlrc, stop on the first error) against `dbname`; output is captured."""
        self._require_workdir()
        command = [
            self._psql_binary(),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            self.dsn(dbname),
            *args,
        ]
        result = subprocess.run(
            command,
            input=input,
            capture_output=True,
            text=True,
            check=False,
            env=self._client_env(),
        )
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, command, output=result.stdout, stderr=result.stderr
            )
        return result

    # -- internals -------------------------------------------------------------------------

    def _check_installation(self) -> None:
        missing = [
            name for name in ("initdb", "pg_ctl", "postgres") if not (self.pg_bin / name).is_file()
        ]
        if missing:
            raise PostgresUnavailableError(
                f"PostgreSQL binaries {', '.join(missing)} missing in {self.pg_bin}; "
                f"{SYSTEM_DEPS_HINT}"
            )
        pkglibdir = self.pg_bin.parent / "lib"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            pkglibdir = Path(
                subprocess.run(
                    [str(self.pg_bin / "pg_config"), "--pkglibdir"],
                    capture_output=True, text=True, check=True, timeout=10,
                ).stdout.strip()
            )  # fmt: skip
        if not (pkglibdir / "plpython3.so").is_file():
            major = self.pg_bin.parent.name
            raise PostgresUnavailableError(
                f"plpython3u is not installed for PostgreSQL {major} (no {pkglibdir}/plpython3.so; "
                f"Debian package postgresql-plpython3-{major}); {SYSTEM_DEPS_HINT}"
            )
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailableError(
                    "running as root, but there is no `postgres` user to own the cluster; "
                    f"{SYSTEM_DEPS_HINT}"
                ) from None

    def _start_server(self) -> None:
        conf = self.data_dir / "postgresql.conf"
        base_conf = conf.read_text()
        for attempt in range(1, STARTUP_ATTEMPTS + 1):
            self.port = self._requested_port or _free_port()
            settings = {
                **FAST_SETTINGS,
                "port": str(self.port),
                "unix_socket_directories": f"'{self._require_workdir()}'",
            }
            lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
            conf.write_text(base_conf + "\n# s3vl devstack: throwaway cluster\n" + lines)
            try:
                self._as_server_user(
                    str(self.pg_bin / "pg_ctl"),
                    "-D", str(self.data_dir),
                    "-l", str(self.log_file),
                    "-w", "-t", str(START_TIMEOUT_S),
                    "start",
                    what="pg_ctl start",
                )  # fmt: skip
                return
            except PostgresUnavailableError:
                if self._requested_port or attempt == STARTUP_ATTEMPTS:
                    raise

    def _as_server_user(self, *command: str, what: str) -> None:
        result = self._run(
            [*self._server_user_prefix(), *command],
            timeout=START_TIMEOUT_S + 30,
            env=self._server_env(),
        )
        if result.returncode != 0:
            log_tail = ""
            with contextlib.suppress(OSError, PostgresUnavailableError):
                log_tail = "\n".join(self.log_file.read_text().splitlines()[-20:])
            raise PostgresUnavailableError(
                f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
                + (f"\nserver log:\n{log_tail}" if log_tail else "")
            )

    def _server_env(self) -> dict[str, str]:
        """The server's environment: the system's Python, not the caller's venv, runs
        plpython3u, so the caller's PYTHON*, VIRTUAL_ENV and PG* variables stay out."""
        kept = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTHON", "PG")) and key != "VIRTUAL_ENV"
        }
        return {**kept, **self._environment}

    @staticmethod
    def _server_user_prefix() -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @staticmethod
    def _run(
        command: list[str], *, timeout: float, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        # cwd=/ so runuser's user can always read its working directory; runuser keeps env.
        return subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=timeout, cwd="/", env=env
        )

    def _psql_binary(self) -> str:
        # The server's own psql matches its version; the one on PATH is a fallback.
        own = self.pg_bin / "psql"
        return str(own) if own.is_file() else (shutil.which("psql") or "psql")

    @staticmethod
    def _client_env() -> dict[str, str]:
        # A caller's PG* variables (PGHOST, PGOPTIONS, ...) must not redirect the test cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PGCONNECT_TIMEOUT"] = "10"
        return env

    def _require_workdir(self) -> Path:
        if self._workdir is None:
            raise PostgresUnavailableError("the cluster is not started; call start() first")
        return self._workdir
