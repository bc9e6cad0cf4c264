"""Stand-ins for the unit tests of sql/compat/aws_lambda_invoke.py (no PostgreSQL needed):
PL/Python's plpy, the way PL/Python compiles and calls a function body, and a scriptable
Invoke endpoint."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sql.compat import aws_lambda_invoke as module

ROOT = Path(__file__).resolve().parents[2]
COMPAT_SQL = ROOT / "sql" / "compat" / "aws_lambda.sql"


def _words(query: str) -> str:
    # PL/Python puts a tab after every newline of the body, multi-line strings included.
    return " ".join(query.split())


@dataclass(frozen=True)
class Plan:
    query: str
    argtypes: tuple[str, ...]


class StandInPlpy:
    """plpy as the module uses it (prepare, execute), answering its four queries from what a
    test sets: the session's settings, whether the session is a superuser's, and where an
    administrator set aws_lambda.endpoint_override (ALTER DATABASE, the server's files)."""

    def __init__(
        self,
        settings: Mapping[str, str] | None = None,
        *,
        superuser_session: bool = False,
        database_endpoint: str | None = None,
        server_endpoint: str | None = None,
    ) -> None:
        self.settings = dict(settings or {})
        self.superuser_session = superuser_session
        self.database_endpoint = database_endpoint
        self.server_endpoint = server_endpoint
        self.prepared: list[str] = []
        self.executed: list[str] = []

    def prepare(self, query: str, argtypes: Sequence[str] = ()) -> Plan:
        self.prepared.append(_words(query))
        return Plan(query, tuple(argtypes))

    def execute(self, plan: Plan, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        assert isinstance(plan, Plan), "the module executes only plans it prepared"
        assert len(args) == len(plan.argtypes), (plan.query, args)
        query = _words(plan.query)
        self.executed.append(query)
        if query == _words(module.SETTING_QUERY):
            return [{"v": self.settings.get(args[0])}]
        if query == _words(module.TRUST_QUERY):
            return [
                {
                    "superuser_session": self.superuser_session,
                    "database_setting": args[0] == self.database_endpoint,
                }
            ]
        if query == _words(module.SERVER_ENDPOINT_QUERY):
            return [{"v": self.server_endpoint}]
        if query == _words(module.COMPOSITE_QUERY):
            # '(name,region)', the text form of aws_commons._lambda_function_arn_1
            name, _, region = args[0][1:-1].partition(",")
            return [{"function_name": name or None, "region": region or None}]
        raise AssertionError(f"a query the stand-in does not know: {query}")

    def ran(self, query: str) -> int:
        return self.executed.count(_words(query))


# -- PL/Python: how it compiles and calls aws_lambda._invoke_http ------------------------------


def function_body(sql: str, function: str = "aws_lambda._invoke_http") -> str:
    """The text between `AS $python$` and `$python$;` of function in sql."""
    start = sql.index(f"CREATE OR REPLACE FUNCTION {function}(")
    opened = sql.index("AS $python$\n", start) + len("AS $python$\n")
    return sql[opened : sql.index("$python$;\n", opened)]


def function_columns(
    sql: str, function: str = "aws_lambda._invoke_http"
) -> tuple[list[str], list[str]]:
    """The IN and OUT parameter names of function, in their order, as declared in sql."""
    start = sql.index(f"CREATE OR REPLACE FUNCTION {function}(")
    declaration = sql[start : sql.index("\n)\n", start)]
    names = re.findall(r"^    (OUT )?(\w+) \w+,?$", declaration, flags=re.MULTILINE)
    return [n for out, n in names if not out], [n for out, n in names if out]


def plpython_source(body: str, name: str = "__plpython_procedure_invoke_http") -> str:
    """The source PL/Python compiles for a body (PLy_procedure_munge_source): a `def` with every
    line after a tab, "\\r\\n" and "\\r" read as line ends."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\n\t")
    return f"def {name}():\n\t{lines}\n\n"


class PlpythonFunction:
    """A plpython3u function as PostgreSQL runs it: the body compiled once per session, its
    arguments set as globals p_* before each call, plpy and SD (kept across calls) as globals."""

    def __init__(self, sql: str, plpy: Any) -> None:
        self.arguments, self.out_columns = function_columns(sql)
        self.globals: dict[str, Any] = {"plpy": plpy, "SD": {}}
        source = plpython_source(function_body(sql))
        exec(compile(source, "<aws_lambda._invoke_http>", "exec"), self.globals)
        self.procedure = self.globals["__plpython_procedure_invoke_http"]

    @property
    def sd(self) -> dict[str, Any]:
        return self.globals["SD"]  # type: ignore[no-any-return]

    def __call__(self, **arguments: Any) -> dict[str, Any]:
        assert set(arguments) == set(self.arguments), sorted(arguments)
        self.globals.update(arguments)
        result = self.procedure()
        assert isinstance(result, dict)
        return result


# -- a scriptable Lambda Invoke endpoint on 127.0.0.1 -----------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int  # which TCP connection (numbered from 1 in order of accept)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0  # before the status line
    http10: bool = False  # an HTTP/1.0 answer, which closes the connection
    close: bool = False  # "Connection: close" on HTTP/1.1
    stall_after: int | None = None  # send this many bytes of the body, then nothing


STALL_S = 60  # a stalled body waits this long, or until the endpoint closes


class StandInEndpoint:
    """Answers every POST with reply(request); records requests and connections. Waits (for a
    delayed or stalled reply) end when the endpoint closes, so no test leaves a thread behind:
    `holding` is set when a wait began and `held_to_the_end` when one ran its whole length, so
    a caller that gave up while `held_to_the_end` was unset gave up while the reply was held."""

    def __init__(self, reply: Reply | Callable[[Request], Reply] = Reply()) -> None:
        self.reply = reply
        self.requests: list[Request] = []
        self.connections = 0
        self.closing = threading.Event()
        self.holding = threading.Event()
        self.held_to_the_end = threading.Event()
        self._sockets: list[Any] = []
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with endpoint._lock:
                    endpoint.connections += 1
                    self.number = endpoint.connections
                    endpoint._sockets.append(self.connection)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Request(self.path, dict(self.headers.items()), body, self.number)
                endpoint.requests.append(request)
                reply = endpoint.reply(request) if callable(endpoint.reply) else endpoint.reply
                if reply.delay_s and endpoint.hold(reply.delay_s):
                    return
                if reply.http10:
                    self.protocol_version = "HTTP/1.0"
                    self.close_connection = True
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.close:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.stall_after is None:
                    self.wfile.write(reply.body)
                    return
                self.wfile.write(reply.body[: reply.stall_after])
                self.wfile.flush()
                endpoint.hold(STALL_S)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def hold(self, seconds: float) -> bool:
        """Wait `seconds` or until the endpoint closes; True when it closed."""
        self.holding.set()
        closed = self.closing.wait(seconds)
        if not closed:
            self.held_to_the_end.set()
        return closed

    def drop_connections(self) -> None:
        """Close every open connection from the server's side, as an idle timeout would."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closing.set()
        self.drop_connections()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self) -> StandInEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
