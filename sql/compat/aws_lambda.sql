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
import base64
import json
import re
import time

FULL_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"function:(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9$_-]{1,128}))?"
)
PARTIAL_ARN = re.compile(
    r"(?P<account>\d{12}):function:(?P<name>[A-Za-z0-9_-]{1,64})"
    r"(?::(?P<qualifier>[A-Za-z0-9$_-]{1,128}))?"
)
# Used with fullmatch: `$` would also match before a trailing newline.
NAME = re.compile(r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9$_-]{1,128}))?")
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")
MAX_CLIENT_CONTEXT = 3583
REQUEST_HINT = (
    "raise the limit with SET aws_lambda.request_timeout_ms = <ms> (1..900000), "
    "or make the function answer sooner"
)


class Failure(Exception):
    def __init__(self, sqlstate, message, detail=None, hint=None):
        super().__init__(message)
        self.fields = {
            "error_sqlstate": sqlstate,
            "error_message": message,
            "error_detail": detail,
            "error_hint": hint,
        }


def bad_argument(message, hint):
    return Failure("22023", message, hint=hint)


def invoke_api_failed(detail, hint):
    return Failure("58000", "invoke API failed", detail, hint)


def function_failed(function_name, function_error, text):
    return Failure(
        "38000",
        "lambda invocation failed",
        f'"{function_name}" returned error "{function_error}", details: "{text}".',
        "the function raised or timed out; log_type => 'Tail' returns the end of its log",
    )


def setting(name):
    if "setting_plan" not in SD:
        SD["setting_plan"] = plpy.prepare("SELECT current_setting($1, true) AS v", ["text"])
    value = plpy.execute(SD["setting_plan"], [name])[0]["v"]
    return value.strip() if value is not None else ""


TRUST_QUERY = """
SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles AS r
                 WHERE r.rolname = session_user), false) AS superuser_session,
       EXISTS (SELECT 1
               FROM pg_catalog.pg_db_role_setting AS s
               JOIN pg_catalog.pg_database AS d ON d.oid = s.setdatabase
               JOIN pg_catalog.pg_roles AS o ON o.oid = d.datdba
               WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0 AND o.rolsuper
                 AND ('aws_lambda.endpoint_override=' || $1) = ANY (s.setconfig)) AS database_setting
"""


def check_endpoint_chosen_by_administrator(endpoint):
    """Refuse an endpoint override that a non-administrator could have set: SET, ALTER ROLE
    itself or connection options would let any role with EXECUTE make the server POST wherever
    it likes (and read the answer)."""
    if "trust_plan" not in SD:
        SD["trust_plan"] = plpy.prepare(TRUST_QUERY, ["text"])
        SD["server_plan"] = plpy.prepare("SELECT aws_lambda._server_endpoint() AS v", [])
    row = plpy.execute(SD["trust_plan"], [endpoint])[0]
    if row["superuser_session"] or row["database_setting"]:
        return
    if plpy.execute(SD["server_plan"])[0]["v"] == endpoint:
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


def milliseconds(name, default):
    raw = setting(name) or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= 900000:
        raise bad_argument(
            f"{name} must be a whole number of milliseconds from 1 to 900000, got {raw!r}",
            f"SET {name} = {default};",
        )
    return int(raw)


class Call:
    """One invocation, checked: identifier, region, qualifier, types, context, settings."""

    def __init__(self):
        name = (p_function_name or "").strip()
        region = p_region
        if name.startswith("(") and name.endswith(")"):
            # The text form of aws_commons._lambda_function_arn_1, as Aurora's examples pass
            # it through psql's \gset: '(my-function,us-west-2)'.
            row = plpy.execute(
                plpy.prepare("SELECT (($1)::aws_commons._lambda_function_arn_1).*", ["text"]),
                [name],
            )[0]
            name = (row["function_name"] or "").strip()
            region = region or row["region"]
        if not name:
            raise bad_argument(
                "function_name is required: a function name, a partial ARN or a full ARN",
                "e.g. aws_lambda.invoke('s3vl-bridge', '{}'::json)",
            )
        match = FULL_ARN.fullmatch(name) or PARTIAL_ARN.fullmatch(name) or NAME.fullmatch(name)
        if match is None:
            raise bad_argument(
                f"function_name {name!r} is not a Lambda function name, partial ARN or ARN",
                "use NAME, ACCOUNT:function:NAME or arn:aws:lambda:REGION:ACCOUNT:function:NAME, "
                "optionally followed by :VERSION or :ALIAS",
            )
        parts = match.groupdict()
        arn_region, name_qualifier = parts.get("region"), parts.get("qualifier")
        if region and arn_region and region != arn_region:
            raise bad_argument(
                f"region {region!r} conflicts with the region {arn_region!r} of function_name",
                "drop the region argument or make it match the ARN",
            )
        if p_qualifier and name_qualifier and p_qualifier != name_qualifier:
            raise bad_argument(
                f"qualifier {p_qualifier!r} conflicts with the qualifier {name_qualifier!r} "
                "of function_name",
                "drop the qualifier argument or make it match the function name",
            )
        if p_invocation_type not in INVOCATION_TYPES:
            raise bad_argument(
                f"invocation_type {p_invocation_type!r} is not one of RequestResponse, Event, "
                "DryRun",
                "the value is case-sensitive; the default is 'RequestResponse'",
            )
        if p_log_type not in LOG_TYPES:
            raise bad_argument(
                f"log_type {p_log_type!r} is not one of None, Tail",
                "the value is case-sensitive; the default is 'None'",
            )
        self.client_context = None
        if p_context is not None:
            self.client_context = base64.b64encode(p_context.encode()).decode()
            if len(self.client_context) > MAX_CLIENT_CONTEXT:
                raise bad_argument(
                    f"context is {len(self.client_context)} bytes once base64-encoded; Lambda "
                    f"accepts {MAX_CLIENT_CONTEXT}",
                    "pass less client context, or move the data into the payload",
                )
        self.function_name = name
        self.region = region or arn_region
        self.qualifier = p_qualifier or None
        self.body = (p_payload or "").encode()
        self.connect_ms = milliseconds("aws_lambda.connect_timeout_ms", 1000)
        self.request_ms = milliseconds("aws_lambda.request_timeout_ms", 3000)
        self.endpoint = setting("aws_lambda.endpoint_override")
        if self.endpoint:
            check_endpoint_chosen_by_administrator(self.endpoint)

    def run(self):
        return self.over_endpoint() if self.endpoint else self.through_boto3()

    # -- an endpoint override: the Invoke API over HTTP with the standard library ----------
    def over_endpoint(self):
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
            "X-Amz-Invocation-Type": p_invocation_type,
            "X-Amz-Log-Type": p_log_type,
        }
        if self.client_context:
            headers["X-Amz-Client-Context"] = self.client_context
        # One kept-alive connection per session (SD), reused while it points at the same
        # endpoint: a new TCP connection per call costs a handshake, an accept and, on the
        # local endpoint, a server thread (measured: 0.3 ms a call on an idle machine, 2-3 ms
        # on a busy one).
        key = (url.scheme, url.hostname, url.port)
        cached = SD.pop("connection", None)  # out of SD while in use: a failure drops it
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
            SD["connection"] = (key, connection)
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

    def connect(self, url):
        import http.client

        connection_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(url.hostname, url.port, timeout=self.connect_ms / 1000)
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

    def exchange(self, connection, path, headers, deadline):
        """Send the request and read the whole answer, each step within the deadline."""
        import socket

        def arm(response=None):
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
        chunks = []
        while True:
            arm(response)
            chunk = response.read(65536)
            if not chunk:
                return response, chunks
            chunks.append(chunk)

    # -- no override: a signed Invoke through boto3, where the server's Python has it -----
    def through_boto3(self):
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
        key = (self.region, self.connect_ms, self.request_ms)
        if SD.get("client_key") != key:
            SD["client"] = boto3.session.Session().client(
                "lambda",
                region_name=self.region,
                config=botocore.config.Config(
                    connect_timeout=self.connect_ms / 1000,
                    read_timeout=self.request_ms / 1000,
                    retries={"total_max_attempts": 1},
                ),
            )
            SD["client_key"] = key
        params = {
            "FunctionName": self.function_name,
            "InvocationType": p_invocation_type,
            "LogType": p_log_type,
            "Payload": self.body,
        }
        if self.qualifier:
            params["Qualifier"] = self.qualifier
        if self.client_context:
            params["ClientContext"] = self.client_context
        try:
            response = SD["client"].invoke(**params)
            text = response["Payload"].read().decode("utf-8", errors="replace")
        except errors.NoRegionError:
            SD.pop("client_key", None)
            raise bad_argument(
                "cannot tell which region the function is in",
                "pass region, a full function ARN, or set AWS_REGION for the database server",
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


no_error = {"error_sqlstate": None, "error_message": None, "error_detail": None, "error_hint": None}
try:
    status, text, version, log_tail = Call().run()
except Failure as failure:
    return {"status_code": None, "payload": None, "executed_version": None, "log_result": None,
            **failure.fields}
return {"status_code": status, "payload": text, "executed_version": version,
        "log_result": log_tail, **no_error}
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
