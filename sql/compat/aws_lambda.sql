-- aws_lambda for plain PostgreSQL 13+ (plpython3u): Aurora's and RDS's aws_lambda.invoke and
-- aws_commons.create_lambda_function_arn with the same signatures, so SQL written for Aurora
-- runs unchanged on a self-managed server and against the local Lambda endpoint.
--
--   psql -v ON_ERROR_STOP=1 -f sql/compat/aws_lambda.sql     (as a superuser; idempotent)
--
-- Settings (custom GUCs):
--   aws_lambda.endpoint_override   base URL of a Lambda Invoke endpoint, e.g. the local
--                                  http://127.0.0.1:PORT; requests go unsigned, standard
--                                  library only, over one kept-alive connection per session.
--                                  Empty or unset: a real, signed Invoke through boto3 in the
--                                  server's Python. Only an administrator chooses it: it is
--                                  honoured from postgresql.conf / ALTER SYSTEM, from ALTER
--                                  DATABASE ... SET on a database a superuser owns, or in a
--                                  session whose login role is a superuser. Any other value
--                                  (SET, ALTER ROLE, connection options) is refused with 42501,
--                                  so no role can make the server POST to an address it picks.
--   aws_lambda.connect_timeout_ms  1..900000, default 1000 (Aurora's)
--   aws_lambda.request_timeout_ms  1..900000, default 3000 (Aurora's)
--
-- Errors, with Aurora's messages:
--   38000 "lambda invocation failed"  the function failed (X-Amz-Function-Error); DETAIL
--                                     '"<function>" returned error "Unhandled", details: "<payload>".'
--   58000 "invoke API failed"         no connection, no answer in time, or the Invoke API refused
--   22023                             a bad argument or setting, named in the message
--   0A000                             no endpoint override and no boto3 in the server's Python
--   42501                             an endpoint override an administrator did not set
--
-- Runs in one transaction; do not \i it inside another one.
--
-- The Python of aws_lambda._invoke_http is sql/compat/aws_lambda_invoke.py (linted, typed and
-- unit-tested there): edit it there and run `python -m sql.compat.generate`, which copies it
-- between the $python$ markers below; tests/compat fail while this file is not current.

BEGIN;
SET LOCAL client_min_messages = warning;  -- a second run is silent: it changes nothing

CREATE EXTENSION IF NOT EXISTS plpython3u;
CREATE SCHEMA IF NOT EXISTS aws_commons;
CREATE SCHEMA IF NOT EXISTS aws_lambda;

-- The function identifier Aurora's helper builds: a name or ARN, and an optional region.
DO $$
BEGIN
    IF to_regtype('aws_commons._lambda_function_arn_1') IS NULL THEN
        CREATE TYPE aws_commons._lambda_function_arn_1 AS (function_name text, region text);
    END IF;
END
$$;

-- aws_commons.create_lambda_function_arn: name, partial ARN or full ARN, plus an optional
-- region, as one value for aws_lambda.invoke.
CREATE OR REPLACE FUNCTION aws_commons.create_lambda_function_arn(
    function_name text,
    region text DEFAULT NULL
) RETURNS aws_commons._lambda_function_arn_1
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ROW($1, $2)::aws_commons._lambda_function_arn_1 $$;

COMMENT ON FUNCTION aws_commons.create_lambda_function_arn(text, text) IS
    'Aurora-compatible: the function identifier (name or ARN, optional region) for aws_lambda.invoke';

-- aws_lambda._server_endpoint: aws_lambda.endpoint_override as the server's configuration files
-- set it (postgresql.conf, ALTER SYSTEM), or NULL. pg_file_settings is for superusers only, so
-- this narrow reader runs as its owner, the superuser who ran this file; it takes no input.
CREATE OR REPLACE FUNCTION aws_lambda._server_endpoint()
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f.setting FROM pg_catalog.pg_file_settings AS f
    WHERE f.name = 'aws_lambda.endpoint_override' AND f.error IS NULL
    ORDER BY f.seqno DESC LIMIT 1
$$;

COMMENT ON FUNCTION aws_lambda._server_endpoint() IS
    'Private: aws_lambda.endpoint_override from the server''s configuration files, or NULL';

-- aws_lambda._invoke_http: the Invoke call itself (plpython3u). It never raises for an
-- expected failure: it returns the error's SQLSTATE, message, detail and hint, so that
-- aws_lambda._invoke raises them with Aurora's plain message (PL/Python would prefix
-- "plpy.Error: " and append a Python traceback).
CREATE OR REPLACE FUNCTION aws_lambda._invoke_http(
    p_function_name text,
    p_payload text,
    p_region text,
    p_invocation_type text,
    p_log_type text,
    p_context text,
    p_qualifier text,
    OUT status_code integer,
    OUT payload text,
    OUT executed_version text,
    OUT log_result text,
    OUT error_sqlstate text,
    OUT error_message text,
    OUT error_detail text,
    OUT error_hint text
)
LANGUAGE plpython3u VOLATILE
-- Its queries (the settings, the trust check) must not resolve a caller's own functions or
-- operators: a look-alike `=` in the caller's search_path would pass any endpoint as trusted.
SET search_path = pg_catalog, pg_temp
AS $python$
# Generated from sql/compat/aws_lambda_invoke.py by `python -m sql.compat.generate`:
# edit it there, then run that command.
"""The body of aws_lambda._invoke_http (sql/compat/aws_lambda.sql): one Lambda Invoke, checked.

`python -m sql.compat.generate` copies this file, as it is, into that function's body in
aws_lambda.sql and adds EPILOGUE (sql/compat/generate.py), which calls `invoke` with the
function's arguments and PL/Python's plpy and SD. PL/Python runs the body inside a function of
its own, once per call, on the database server's Python, so this file keeps to:

- Python 3.9 (Debian 11 and Amazon Linux 2023 servers): typing.Optional, no `X | Y` at run time;
- a parameter or return annotation with brackets is quoted: PL/Python evaluates the others on
  every call (Optional[str] and the like cost 8 us a call unquoted, nothing quoted);
- no `from __future__` import (an error inside a function) and no `global` (it would reach
  PL/Python's globals, not this module's names);
- no top-level name plpy, SD or p_*: it would hide PL/Python's own;
- the standard library at top level (boto3 only where it is used);
- multi-line strings only where the tab PL/Python puts after each newline does no harm (SQL).
"""

import base64
import json
import re
import time
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # for the type checker only: never runs inside PostgreSQL
    import http.client
    from collections.abc import Mapping, Sequence
    from typing import Protocol
    from urllib.parse import SplitResult

    Answer = tuple[int, Optional[str], Optional[str], Optional[str]]

    class Plpy(Protocol):
        """What this module uses of PL/Python's plpy."""

        def prepare(self, query: str, argtypes: Sequence[str] = ..., /) -> object: ...

        def execute(
            self, plan: object, args: Sequence[object] = ..., /
        ) -> Sequence[Mapping[str, Any]]: ...


# Lambda's patterns, spelled once here: tests/compat/test_same_facts_as_devstack.py checks that
# the local Invoke endpoint (devstack/lambda_invoke/server.py) agrees. All used with fullmatch:
# `$` would also match before a trailing newline.
FUNCTION_NAME = r"[A-Za-z0-9_-]{1,64}"
QUALIFIER = r"[A-Za-z0-9$_-]{1,128}"
ACCOUNT = r"\d{12}"
_NAME_AND_QUALIFIER = rf"(?P<name>{FUNCTION_NAME})(?::(?P<qualifier>{QUALIFIER}))?"
FULL_ARN = re.compile(
    rf"arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>{ACCOUNT}):"
    rf"function:{_NAME_AND_QUALIFIER}"
)
PARTIAL_ARN = re.compile(rf"(?P<account>{ACCOUNT}):function:{_NAME_AND_QUALIFIER}")
NAME = re.compile(_NAME_AND_QUALIFIER)
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")
MAX_CLIENT_CONTEXT = 3583  # bytes of X-Amz-Client-Context, base64-encoded
MAX_TIMEOUT_MS = 900000
REQUEST_HINT = (
    f"raise the limit with SET aws_lambda.request_timeout_ms = <ms> (1..{MAX_TIMEOUT_MS}), "
    "or make the function answer sooner"
)

SETTING_QUERY = "SELECT current_setting($1, true) AS v"
SERVER_ENDPOINT_QUERY = "SELECT aws_lambda._server_endpoint() AS v"
COMPOSITE_QUERY = "SELECT (($1)::aws_commons._lambda_function_arn_1).*"
# Run with search_path = pg_catalog, pg_temp (the function's SET): a caller's own `=` or
# functions cannot take part.
TRUST_QUERY = """
SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles AS r
                 WHERE r.rolname = session_user), false) AS superuser_session,
       EXISTS (SELECT 1
               FROM pg_catalog.pg_db_role_setting AS s
               JOIN pg_catalog.pg_database AS d ON d.oid = s.setdatabase
               JOIN pg_catalog.pg_roles AS o ON o.oid = d.datdba
               WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0 AND o.rolsuper
                 AND ('aws_lambda.endpoint_override=' || $1) = ANY (s.setconfig))
       AS database_setting
"""

# The OUT columns of aws_lambda._invoke_http, in their order.
RESULT_COLUMNS = ("status_code", "payload", "executed_version", "log_result")
ERROR_COLUMNS = ("error_sqlstate", "error_message", "error_detail", "error_hint")


class Failure(Exception):
    """An expected failure, returned to aws_lambda._invoke as SQLSTATE, message, detail, hint."""

    def __init__(
        self,
        sqlstate: str,
        message: str,
        detail: "Optional[str]" = None,
        hint: "Optional[str]" = None,
    ) -> None:
        super().__init__(message)
        self.fields: dict[str, Optional[str]] = {
            "error_sqlstate": sqlstate,
            "error_message": message,
            "error_detail": detail,
            "error_hint": hint,
        }


def bad_argument(message: str, hint: str) -> Failure:
    return Failure("22023", message, hint=hint)


def invoke_api_failed(detail: str, hint: str) -> Failure:
    return Failure("58000", "invoke API failed", detail, hint)


def function_failed(function_name: str, function_error: str, text: str) -> Failure:
    return Failure(
        "38000",
        "lambda invocation failed",
        f'"{function_name}" returned error "{function_error}", details: "{text}".',
        "the function raised or timed out; log_type => 'Tail' returns the end of its log",
    )


def setting(plpy: "Plpy", sd: "dict[str, Any]", name: str) -> str:
    if "setting_plan" not in sd:
        sd["setting_plan"] = plpy.prepare(SETTING_QUERY, ["text"])
    value = plpy.execute(sd["setting_plan"], [name])[0]["v"]
    return value.strip() if value is not None else ""


def check_endpoint_chosen_by_administrator(
    plpy: "Plpy", sd: "dict[str, Any]", endpoint: str
) -> None:
    """Refuse an endpoint override that a non-administrator could have set: SET, ALTER ROLE
    itself or connection options would let any role with EXECUTE make the server POST wherever
    it likes (and read the answer)."""
    if "trust_plan" not in sd:
        sd["trust_plan"] = plpy.prepare(TRUST_QUERY, ["text"])
        sd["server_plan"] = plpy.prepare(SERVER_ENDPOINT_QUERY, [])
    row = plpy.execute(sd["trust_plan"], [endpoint])[0]
    if row["superuser_session"] or row["database_setting"]:
        return
    if plpy.execute(sd["server_plan"])[0]["v"] == endpoint:
        return
    raise Failure(
        "42501",
        "aws_lambda.endpoint_override was not set by an administrator",
        f"this session has aws_lambda.endpoint_override = {endpoint!r}, which is neither the "
        "server's configuration nor a superuser's ALTER DATABASE ... SET; a session value (SET, "
        "ALTER ROLE, connection options) does not choose where invocations go",
        "RESET aws_lambda.endpoint_override; an administrator sets it in postgresql.conf, with "
        "ALTER SYSTEM, or with ALTER DATABASE ... SET as a superuser",
    )


def function_parts(name: str) -> "Optional[dict[str, Optional[str]]]":
    """The name and qualifier of a function name, partial ARN or full ARN (with account, and
    region and partition for a full ARN); None if name is none of them."""
    match = FULL_ARN.fullmatch(name) or PARTIAL_ARN.fullmatch(name) or NAME.fullmatch(name)
    return match.groupdict() if match else None


def one_of(name: str, value: "Optional[str]", allowed: "tuple[str, ...]") -> str:
    """value, if it is one of allowed (the first is the SQL default)."""
    if value is None or value not in allowed:
        raise bad_argument(
            f"{name} {value!r} is not one of {', '.join(allowed)}",
            f"the value is case-sensitive; the default is '{allowed[0]}'",
        )
    return value


def milliseconds(plpy: "Plpy", sd: "dict[str, Any]", name: str, default: int) -> int:
    raw = setting(plpy, sd, name) or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TIMEOUT_MS:
        raise bad_argument(
            f"{name} must be a whole number of milliseconds from 1 to {MAX_TIMEOUT_MS}, "
            f"got {raw!r}",
            f"SET {name} = {default};",
        )
    return int(raw)


class Call:
    """One invocation, checked: identifier, region, qualifier, types, context, settings."""

    def __init__(
        self,
        plpy: "Plpy",
        sd: "dict[str, Any]",
        *,
        function_name: "Optional[str]",
        payload: "Optional[str]",
        region: "Optional[str]",
        invocation_type: "Optional[str]",
        log_type: "Optional[str]",
        context: "Optional[str]",
        qualifier: "Optional[str]",
    ) -> None:
        self.sd = sd
        name = (function_name or "").strip()
        if name.startswith("(") and name.endswith(")"):
            # The text form of aws_commons._lambda_function_arn_1, as Aurora's examples pass
            # it through psql's \gset: '(my-function,us-west-2)'.
            row = plpy.execute(plpy.prepare(COMPOSITE_QUERY, ["text"]), [name])[0]
            name = (row["function_name"] or "").strip()
            region = region or row["region"]
        if not name:
            raise bad_argument(
                "function_name is required: a function name, a partial ARN or a full ARN",
                "e.g. aws_lambda.invoke('s3vl-bridge', '{}'::json)",
            )
        parts = function_parts(name)
        if parts is None:
            raise bad_argument(
                f"function_name {name!r} is not a Lambda function name, partial ARN or ARN",
                "use NAME, ACCOUNT:function:NAME or arn:aws:lambda:REGION:ACCOUNT:function:NAME, "
                "optionally followed by :VERSION or :ALIAS",
            )
        arn_region, name_qualifier = parts.get("region"), parts.get("qualifier")
        if region and arn_region and region != arn_region:
            raise bad_argument(
                f"region {region!r} conflicts with the region {arn_region!r} of function_name",
                "drop the region argument or make it match the ARN",
            )
        if qualifier and name_qualifier and qualifier != name_qualifier:
            raise bad_argument(
                f"qualifier {qualifier!r} conflicts with the qualifier {name_qualifier!r} "
                "of function_name",
                "drop the qualifier argument or make it match the function name",
            )
        self.invocation_type = one_of("invocation_type", invocation_type, INVOCATION_TYPES)
        self.log_type = one_of("log_type", log_type, LOG_TYPES)
        self.client_context: Optional[str] = None
        if context is not None:
            self.client_context = base64.b64encode(context.encode()).decode()
            if len(self.client_context) > MAX_CLIENT_CONTEXT:
                raise bad_argument(
                    f"context is {len(self.client_context)} bytes once base64-encoded; Lambda "
                    f"accepts {MAX_CLIENT_CONTEXT}",
                    "pass less client context, or move the data into the payload",
                )
        self.function_name = name
        self.region: Optional[str] = region or arn_region
        self.qualifier: Optional[str] = qualifier or None
        self.body = (payload or "").encode()
        self.connect_ms = milliseconds(plpy, sd, "aws_lambda.connect_timeout_ms", 1000)
        self.request_ms = milliseconds(plpy, sd, "aws_lambda.request_timeout_ms", 3000)
        self.endpoint = setting(plpy, sd, "aws_lambda.endpoint_override")
        if self.endpoint:
            check_endpoint_chosen_by_administrator(plpy, sd, self.endpoint)

    def run(self) -> "Answer":
        return self.over_endpoint() if self.endpoint else self.through_boto3()

    # -- an endpoint override: the Invoke API over HTTP with the standard library ----------
    def over_endpoint(self) -> "Answer":
        import http.client
        import socket
        from urllib.parse import quote, urlsplit

        endpoint = self.endpoint
        url = urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise bad_argument(
                f"aws_lambda.endpoint_override {endpoint!r} is not an http(s) URL",
                "SET aws_lambda.endpoint_override = 'http://127.0.0.1:PORT' (a local Lambda "
                "endpoint), or RESET it to call AWS",
            )
        path = (
            f"{url.path.rstrip('/')}/2015-03-31/functions/"
            f"{quote(self.function_name, safe='')}/invocations"
        )
        if self.qualifier:
            path += f"?Qualifier={quote(self.qualifier, safe='')}"
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Invocation-Type": self.invocation_type,
            "X-Amz-Log-Type": self.log_type,
        }
        if self.client_context:
            headers["X-Amz-Client-Context"] = self.client_context
        # One kept-alive connection per session (SD), reused while it points at the same
        # endpoint: a new TCP connection per call costs a handshake, an accept and, on the
        # local endpoint, a server thread (measured: 0.3 ms a call on an idle machine, 2-3 ms
        # on a busy one).
        key = (url.scheme, url.hostname, url.port)
        cached = self.sd.pop("connection", None)  # out of SD while in use: a failure drops it
        if cached is not None and cached[0] != key:
            cached[1].close()
            cached = None
        connection = cached[1] if cached is not None else self.connect(url)
        # From here on the whole exchange must finish within request_timeout_ms.
        deadline = time.monotonic() + self.request_ms / 1000
        try:
            try:
                response, chunks = self.exchange(connection, path, headers, deadline)
            except ConnectionError:
                if cached is None:
                    raise
                # The endpoint closed the idle connection (restarted, or its idle timeout)
                # before reading the request: send it once more on a new connection.
                connection.close()
                connection = self.connect(url)
                response, chunks = self.exchange(connection, path, headers, deadline)
        except socket.timeout:
            connection.close()
            raise invoke_api_failed(
                "AWS Lambda client returned 'Request timed out': no complete answer from "
                f"{endpoint} within aws_lambda.request_timeout_ms = {self.request_ms}",
                REQUEST_HINT,
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise invoke_api_failed(
                f"AWS Lambda client returned '{type(exc).__name__}: {exc}' ({endpoint})",
                "check that aws_lambda.endpoint_override names a Lambda Invoke endpoint",
            ) from None
        if response.will_close:
            connection.close()
        else:
            self.sd["connection"] = (key, connection)
        text = b"".join(chunks).decode("utf-8", errors="replace")
        if response.status >= 400:
            error_type = (response.getheader("x-amzn-ErrorType") or "").split(":")[0]
            try:
                document = json.loads(text)
                message = document.get("message") or document.get("Message") or text
            except (ValueError, AttributeError):
                message = text
            raise invoke_api_failed(
                f"AWS Lambda client returned '{error_type or response.status}: {message}' "
                f"(HTTP {response.status})",
                "check function_name and qualifier, and the payload size (6 MB synchronous, "
                "1 MB Event)",
            )
        function_error = response.getheader("X-Amz-Function-Error")
        if function_error:
            raise function_failed(self.function_name, function_error, text)
        return (
            response.status,
            text or None,
            response.getheader("X-Amz-Executed-Version"),
            response.getheader("X-Amz-Log-Result"),
        )

    def connect(self, url: "SplitResult") -> "http.client.HTTPConnection":
        import http.client

        connection_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(url.hostname or "", url.port, timeout=self.connect_ms / 1000)
        try:
            connection.connect()
        except OSError as exc:
            raise invoke_api_failed(
                "AWS Lambda client returned 'Unable to connect to endpoint' "
                f"({self.endpoint}: {exc or type(exc).__name__})",
                "is the Lambda endpoint running? check aws_lambda.endpoint_override and "
                "aws_lambda.connect_timeout_ms",
            ) from None
        return connection

    def exchange(
        self,
        connection: "http.client.HTTPConnection",
        path: str,
        headers: "dict[str, str]",
        deadline: float,
    ) -> "tuple[http.client.HTTPResponse, list[bytes]]":
        """Send the request and read the whole answer, each step within the deadline."""
        import socket

        def arm(response: "Optional[http.client.HTTPResponse]" = None) -> None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("request deadline passed")
            # For an answer that closes the connection (HTTP/1.0, "Connection: close")
            # http.client hands the socket to the response and clears connection.sock.
            sock = connection.sock
            if sock is None and response is not None:
                sock = getattr(getattr(response.fp, "raw", None), "_sock", None)
            if sock is not None:
                sock.settimeout(left)

        arm()
        connection.request("POST", path, body=self.body, headers=headers)
        arm()
        response = connection.getresponse()
        chunks: list[bytes] = []
        while True:
            arm(response)
            chunk = response.read(65536)
            if not chunk:
                return response, chunks
            chunks.append(chunk)

    # -- no override: a signed Invoke through boto3, where the server's Python has it -----
    def through_boto3(self) -> "Answer":
        try:
            import boto3
            import botocore.config
            import botocore.exceptions
        except ImportError as exc:
            import sys

            raise Failure(
                "0A000",
                "aws_lambda.invoke needs boto3 in the database server's Python to call AWS Lambda",
                "aws_lambda.endpoint_override is not set, so the call must be a signed AWS "
                f"request; the server's Python {sys.version.split()[0]} ({sys.executable}) "
                f"cannot import boto3: {exc}",
                "install boto3 for the server's Python (Debian: apt-get install python3-boto3), "
                "or SET aws_lambda.endpoint_override = 'http://127.0.0.1:PORT' for a local "
                "endpoint",
            ) from None
        errors = botocore.exceptions
        sd = self.sd
        params: dict[str, Any] = {
            "FunctionName": self.function_name,
            "InvocationType": self.invocation_type,
            "LogType": self.log_type,
            "Payload": self.body,
        }
        if self.qualifier:
            params["Qualifier"] = self.qualifier
        if self.client_context:
            params["ClientContext"] = self.client_context
        key = (self.region, self.connect_ms, self.request_ms)
        try:
            if sd.get("client_key") != key:
                # Inside the try: without a region botocore refuses to build the client.
                sd["client"] = boto3.session.Session().client(
                    "lambda",
                    region_name=self.region,
                    config=botocore.config.Config(
                        connect_timeout=self.connect_ms / 1000,
                        read_timeout=self.request_ms / 1000,
                        retries={"total_max_attempts": 1},
                    ),
                )
                sd["client_key"] = key
            response = sd["client"].invoke(**params)
            text = response["Payload"].read().decode("utf-8", errors="replace")
        except errors.NoRegionError:
            sd.pop("client_key", None)
            raise bad_argument(
                "cannot tell which region the function is in",
                "pass region, a full function ARN, or set AWS_DEFAULT_REGION (boto3 reads no "
                "AWS_REGION) for the database server",
            ) from None
        except (errors.ConnectTimeoutError, errors.EndpointConnectionError) as exc:
            raise invoke_api_failed(
                f"AWS Lambda client returned 'Unable to connect to endpoint' ({exc})",
                "check the network path to Lambda (NAT or VPC endpoint) and "
                "aws_lambda.connect_timeout_ms",
            ) from None
        except errors.ReadTimeoutError:
            raise invoke_api_failed(
                "AWS Lambda client returned 'Request timed out': no answer within "
                f"aws_lambda.request_timeout_ms = {self.request_ms}",
                REQUEST_HINT,
            ) from None
        except errors.ClientError as exc:
            error = exc.response.get("Error", {})
            raise invoke_api_failed(
                f"AWS Lambda client returned '{error.get('Code')}: {error.get('Message')}'",
                "check function_name, region and the server's lambda:InvokeFunction permission",
            ) from None
        except errors.BotoCoreError as exc:
            raise invoke_api_failed(
                f"AWS Lambda client returned '{exc}'",
                "check the database server's AWS credentials and region",
            ) from None
        if response.get("FunctionError"):
            raise function_failed(self.function_name, response["FunctionError"], text)
        return (
            response["StatusCode"],
            text or None,
            response.get("ExecutedVersion"),
            response.get("LogResult"),
        )


def invoke(
    plpy: "Plpy",
    sd: "dict[str, Any]",
    *,
    function_name: "Optional[str]",
    payload: "Optional[str]",
    region: "Optional[str]",
    invocation_type: "Optional[str]",
    log_type: "Optional[str]",
    context: "Optional[str]",
    qualifier: "Optional[str]",
) -> "dict[str, Any]":
    """aws_lambda._invoke_http's row: the answer, or an expected failure's SQLSTATE, message,
    detail and hint (raised by aws_lambda._invoke with Aurora's plain message; a plpy error
    would read "plpy.Error: ..." with a Python traceback)."""
    try:
        answer = Call(
            plpy,
            sd,
            function_name=function_name,
            payload=payload,
            region=region,
            invocation_type=invocation_type,
            log_type=log_type,
            context=context,
            qualifier=qualifier,
        ).run()
    except Failure as failure:
        return {**dict.fromkeys(RESULT_COLUMNS), **failure.fields}
    status_code, text, executed_version, log_result = answer
    return {
        "status_code": status_code,
        "payload": text,
        "executed_version": executed_version,
        "log_result": log_result,
        **dict.fromkeys(ERROR_COLUMNS),
    }


# -- generated: PL/Python's arguments, SD and plpy go to the module's entry point ----------------
return invoke(
    plpy,
    SD,
    function_name=p_function_name,
    payload=p_payload,
    region=p_region,
    invocation_type=p_invocation_type,
    log_type=p_log_type,
    context=p_context,
    qualifier=p_qualifier,
)
$python$;

COMMENT ON FUNCTION aws_lambda._invoke_http(text, text, text, text, text, text, text) IS
    'Private: the Invoke call (plpython3u); returns expected failures instead of raising them';

-- aws_lambda._invoke: the one implementation behind the four overloads; raises the failures
-- of _invoke_http with their SQLSTATE, Aurora's message, DETAIL and HINT.
CREATE OR REPLACE FUNCTION aws_lambda._invoke(
    p_function_name text,
    p_payload text,
    p_region text,
    p_invocation_type text,
    p_log_type text,
    p_context text,
    p_qualifier text,
    OUT status_code integer,
    OUT payload text,
    OUT executed_version text,
    OUT log_result text
)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_result record;
BEGIN
    SELECT * INTO v_result
    FROM aws_lambda._invoke_http(p_function_name, p_payload, p_region, p_invocation_type,
                                 p_log_type, p_context, p_qualifier);
    -- Two branches because RAISE refuses a NULL option (DETAIL = NULL is an error itself).
    IF v_result.error_sqlstate IS NOT NULL AND v_result.error_detail IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = v_result.error_sqlstate,
            MESSAGE = v_result.error_message,
            HINT = v_result.error_hint;
    ELSIF v_result.error_sqlstate IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = v_result.error_sqlstate,
            MESSAGE = v_result.error_message,
            DETAIL = v_result.error_detail,
            HINT = v_result.error_hint;
    END IF;
    status_code := v_result.status_code;
    payload := v_result.payload;
    executed_version := v_result.executed_version;
    log_result := v_result.log_result;
END
$$;

COMMENT ON FUNCTION aws_lambda._invoke(text, text, text, text, text, text, text) IS
    'Private: the checked Invoke behind the aws_lambda.invoke overloads';

-- aws_lambda.invoke(text, json): Aurora's signature; payloads are JSON.
CREATE OR REPLACE FUNCTION aws_lambda.invoke(
    IN function_name text,
    IN payload json,
    IN region text DEFAULT NULL,
    IN invocation_type text DEFAULT 'RequestResponse',
    IN log_type text DEFAULT 'None',
    IN context json DEFAULT NULL,
    IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code integer,
    OUT payload json,
    OUT executed_version text,
    OUT log_result text
)
LANGUAGE sql VOLATILE
AS $$
    SELECT r.status_code, r.payload::json, r.executed_version, r.log_result
    FROM aws_lambda._invoke($1, $2::text, $3, $4, $5, $6::text, $7) AS r
$$;

-- aws_lambda.invoke(_lambda_function_arn_1, json): the region comes with the identifier.
CREATE OR REPLACE FUNCTION aws_lambda.invoke(
    IN function_name aws_commons._lambda_function_arn_1,
    IN payload json,
    IN invocation_type text DEFAULT 'RequestResponse',
    IN log_type text DEFAULT 'None',
    IN context json DEFAULT NULL,
    IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code integer,
    OUT payload json,
    OUT executed_version text,
    OUT log_result text
)
LANGUAGE sql VOLATILE
AS $$
    SELECT r.status_code, r.payload::json, r.executed_version, r.log_result
    FROM aws_lambda._invoke(($1).function_name, $2::text, ($1).region, $3, $4, $5::text, $6) AS r
$$;

-- aws_lambda.invoke(text, jsonb): as above with JSONB payload and result.
CREATE OR REPLACE FUNCTION aws_lambda.invoke(
    IN function_name text,
    IN payload jsonb,
    IN region text DEFAULT NULL,
    IN invocation_type text DEFAULT 'RequestResponse',
    IN log_type text DEFAULT 'None',
    IN context jsonb DEFAULT NULL,
    IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code integer,
    OUT payload jsonb,
    OUT executed_version text,
    OUT log_result text
)
LANGUAGE sql VOLATILE
AS $$
    SELECT r.status_code, r.payload::jsonb, r.executed_version, r.log_result
    FROM aws_lambda._invoke($1, $2::text, $3, $4, $5, $6::text, $7) AS r
$$;

-- aws_lambda.invoke(_lambda_function_arn_1, jsonb)
CREATE OR REPLACE FUNCTION aws_lambda.invoke(
    IN function_name aws_commons._lambda_function_arn_1,
    IN payload jsonb,
    IN invocation_type text DEFAULT 'RequestResponse',
    IN log_type text DEFAULT 'None',
    IN context jsonb DEFAULT NULL,
    IN qualifier varchar(128) DEFAULT NULL,
    OUT status_code integer,
    OUT payload jsonb,
    OUT executed_version text,
    OUT log_result text
)
LANGUAGE sql VOLATILE
AS $$
    SELECT r.status_code, r.payload::jsonb, r.executed_version, r.log_result
    FROM aws_lambda._invoke(($1).function_name, $2::text, ($1).region, $3, $4, $5::text, $6) AS r
$$;

COMMENT ON FUNCTION aws_lambda.invoke(text, json, text, text, text, json, varchar) IS
    'Aurora-compatible Lambda Invoke (sql/compat/aws_lambda.sql on plain PostgreSQL)';
COMMENT ON FUNCTION aws_lambda.invoke(aws_commons._lambda_function_arn_1, json, text, text, json, varchar) IS
    'Aurora-compatible Lambda Invoke (sql/compat/aws_lambda.sql on plain PostgreSQL)';
COMMENT ON FUNCTION aws_lambda.invoke(text, jsonb, text, text, text, jsonb, varchar) IS
    'Aurora-compatible Lambda Invoke (sql/compat/aws_lambda.sql on plain PostgreSQL)';
COMMENT ON FUNCTION aws_lambda.invoke(aws_commons._lambda_function_arn_1, jsonb, text, text, jsonb, varchar) IS
    'Aurora-compatible Lambda Invoke (sql/compat/aws_lambda.sql on plain PostgreSQL)';

-- As on Aurora, invoking is granted explicitly (GRANT USAGE ON SCHEMA aws_lambda and
-- EXECUTE ON ALL FUNCTIONS IN SCHEMA aws_lambda); nobody gets it by default.
REVOKE ALL ON FUNCTION aws_lambda._server_endpoint() FROM PUBLIC;
REVOKE ALL ON FUNCTION aws_lambda._invoke_http(text, text, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aws_lambda._invoke(text, text, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aws_lambda.invoke(text, json, text, text, text, json, varchar) FROM PUBLIC;
REVOKE ALL ON FUNCTION aws_lambda.invoke(aws_commons._lambda_function_arn_1, json, text, text, json, varchar) FROM PUBLIC;
REVOKE ALL ON FUNCTION aws_lambda.invoke(text, jsonb, text, text, text, jsonb, varchar) FROM PUBLIC;
REVOKE ALL ON FUNCTION aws_lambda.invoke(aws_commons._lambda_function_arn_1, jsonb, text, text, jsonb, varchar) FROM PUBLIC;

COMMIT;
