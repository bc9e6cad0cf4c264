-- Private helpers (underscore names). No role may execute them directly: they run inside the
-- public functions, which check their arguments with them and invoke the Lambda through them.

-- s3vl._limits
-- The one place in SQL that spells these facts; every check reads them through s3vl._limit.
-- The bridge (lambda_src) and the local S3 Vectors service (devstack) keep their own copies:
-- tests/test_limits_agree.py compares all three. The CHECK constraints of 03_tables.sql keep
-- literals (see there).
CREATE OR REPLACE FUNCTION s3vl._limits()
RETURNS TABLE (name text, value numeric)
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('dimension', 4096),                      -- vector dimension, 1..this
           ('top_k', 10000),                         -- QueryVectors topK, 1..this
           ('query_batch', 100),                     -- query vectors per query_vectors_batch (the bridge's)
           ('list_page', 1000),                      -- ListVectors maxResults, 1..this
           ('segments', 16),                         -- ListVectors segmentCount, 1..this
           ('put_vectors', 500),                     -- vectors per PutVectors call
           ('put_batch', 1500),                      -- vectors per put_vectors invocation (the bridge's: three PutVectors at once)
           ('delete_keys', 500),                     -- keys per DeleteVectors call
           ('key_length', 1024),                     -- characters of a vector key, 1..this
           ('metadata_bytes', 40960),                -- metadata of one vector, as compact JSON
           ('filterable_metadata_bytes', 2048),      -- of that, the filterable keys
           ('metadata_keys', 50),                    -- keys of one vector's metadata
           ('float32_max', 3.4028234663852886e38),   -- largest finite float32 (vector data)
           ('float64_max', 1.7976931348623157e308),  -- largest finite float64 (metadata numbers)
           ('lambda_request_bytes', 6291456),        -- Lambda's synchronous request payload (6 MB)
           ('filter_depth', 32),                     -- JSON objects and arrays on a filter's longest path
           ('query_texts', 10),                      -- queryTexts entries of one full-text query
           ('query_text_length', 1024),              -- characters of one query text
           ('searchable_keys', 10),                  -- full-text searchable keys of an index
           ('metadata_key_length', 63),              -- characters of a metadata key
           ('embed_texts', 256)                      -- texts per embed invocation (the bridge's)
$$;
COMMENT ON FUNCTION s3vl._limits() IS
    'Private: the limits of S3 Vectors, Lambda and the bridge that s3vl checks before invoking, by name';

-- s3vl._limit
CREATE OR REPLACE FUNCTION s3vl._limit(name text)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_value numeric;
BEGIN
    SELECT l.value INTO v_value FROM s3vl._limits() AS l WHERE l.name = _limit.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl._limit: no limit is named %', coalesce(pg_catalog.quote_literal(name), 'NULL')
            USING ERRCODE = 'internal_error',
                  DETAIL = 'The limits are listed by s3vl._limits().',
                  HINT = 'A bug in s3vl: report it.';
    END IF;
    RETURN v_value;
END
$$;
COMMENT ON FUNCTION s3vl._limit(text) IS
    'Private: the value of one limit of s3vl._limits(); SQLSTATE XX000 for an unknown name';

-- s3vl._invalid
CREATE OR REPLACE FUNCTION s3vl._invalid(fn text, argument text, problem text, hint text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RAISE EXCEPTION 's3vl.%: argument "%" %', fn, argument, problem
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = pg_catalog.format('s3vl.%s checks its arguments before invoking the Lambda function.', fn),
              HINT = hint;
END
$$;
COMMENT ON FUNCTION s3vl._invalid(text, text, text, text) IS
    'Private: raises SQLSTATE 22023 for a bad argument, naming the function and the argument, what was wrong and (HINT) what to pass instead';

-- s3vl._configuration
CREATE OR REPLACE FUNCTION s3vl._configuration(fn text)
RETURNS s3vl.config
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_config s3vl.config;
BEGIN
    SELECT c.* INTO v_config FROM s3vl.config AS c;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.%: s3vl is not configured: no Lambda function to invoke', fn
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 's3vl.config is empty.',
                  HINT = 'As s3vl_admin run: SELECT s3vl.configure(lambda_arn => ''arn:aws:lambda:REGION:ACCOUNT:function:NAME'', aws_region => ''REGION'');';
    END IF;
    RETURN v_config;
END
$$;
COMMENT ON FUNCTION s3vl._configuration(text) IS
    'Private: the configuration row; SQLSTATE 55000 with a hint when s3vl is not configured';

-- s3vl._check_index_arn
-- Same pattern as the valid_arn_format constraint of s3vl.index_registry (03_tables.sql).
CREATE OR REPLACE FUNCTION s3vl._check_index_arn(fn text, argument text, arn text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF arn IS NULL OR arn !~ '^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:[0-9]{12}:bucket/[a-z0-9][a-z0-9-]{1,61}[a-z0-9]/index/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' THEN
        PERFORM s3vl._invalid(fn, argument,
            pg_catalog.format('is not an S3 Vectors index ARN: %s', coalesce(pg_catalog.quote_literal(arn), 'NULL')),
            'An index ARN looks like arn:aws:s3vectors:us-east-1:123456789012:bucket/BUCKET/index/INDEX.');
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_index_arn(text, text, text) IS
    'Private: raises SQLSTATE 22023 unless the text is an S3 Vectors index ARN';

-- s3vl._resolve_index
-- The one index-argument convention: the functions that query, read, write or sync an index
-- take index_name, a registered name or an index ARN; the reads also keep the aws-samples
-- integration's index_arn (an ARN only), and a call passes one of the two. Writes pass
-- index_arn NULL. (The registry's own functions and create_index_view take a registered name;
-- retry_dead and discard_dead the name s3vl.sync_status() shows.)
-- A registered ARN is labelled with its registered name, the name sync state is kept under
-- (so sync_table, flush and stale_keys agree whichever of the two they are given).
CREATE OR REPLACE FUNCTION s3vl._resolve_index(fn text, index_name text, index_arn text)
RETURNS TABLE (label text, arn text, dimension integer, distance_metric text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_arn text := coalesce(index_arn, CASE WHEN index_name LIKE 'arn:%' THEN index_name END);
    v_entry s3vl.index_registry;
BEGIN
    IF index_name IS NOT NULL AND index_arn IS NOT NULL THEN
        PERFORM s3vl._invalid(fn, 'index_arn',
            'conflicts with index_name: pass exactly one of index_name and index_arn',
            'Pass index_name => ''NAME'' (a name from s3vl.list_indexes(), or an index ARN), or index_arn => ''arn:aws:s3vectors:...''.');
    END IF;
    IF v_arn IS NULL AND (index_name IS NULL OR pg_catalog.btrim(index_name) = '') THEN
        PERFORM s3vl._invalid(fn, 'index_name', 'must not be null or empty',
            'Pass a name from s3vl.list_indexes(), or an index ARN.');
    END IF;

    IF v_arn IS NOT NULL THEN
        PERFORM s3vl._check_index_arn(fn, CASE WHEN index_arn IS NULL THEN 'index_name' ELSE 'index_arn' END, v_arn);
        SELECT r.* INTO v_entry FROM s3vl.index_registry AS r
        WHERE r.index_arn = v_arn AND r.dimension IS NOT NULL
        ORDER BY r.is_active DESC LIMIT 1;
        RETURN QUERY SELECT coalesce(v_entry.index_name, v_arn), v_arn, v_entry.dimension, v_entry.distance_metric;
        RETURN;
    END IF;

    SELECT r.* INTO v_entry FROM s3vl.index_registry AS r WHERE r.index_name = _resolve_index.index_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.%: index "%" is not registered', fn, index_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Argument "index_name" must name an index in s3vl.list_indexes(), or be an index ARN.',
                  HINT = 'Register it with s3vl.register_index(index_name => ''NAME'', index_arn => ''arn:aws:s3vectors:...''), or pass its ARN instead.';
    END IF;
    IF NOT v_entry.is_active THEN
        RAISE EXCEPTION 's3vl.%: index "%" is deactivated', fn, index_name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Argument "index_name" names %s, marked inactive in the registry.', v_entry.index_arn),
                  HINT = pg_catalog.format('An s3vl_admin can run: SELECT s3vl.activate_index(%L);', index_name);
    END IF;
    RETURN QUERY SELECT v_entry.index_name, v_entry.index_arn, v_entry.dimension, v_entry.distance_metric;
END
$$;
COMMENT ON FUNCTION s3vl._resolve_index(text, text, text) IS
    'Private: the index a call addresses (label, arn, dimension, distance_metric), from index_name (a registered, active name, or an index ARN) or index_arn (an ARN), exactly one; a registered ARN is labelled with its name, an unregistered one has no dimension to check; SQLSTATE 22023, 42704 or 55000 otherwise';

-- s3vl._check_vector
CREATE OR REPLACE FUNCTION s3vl._check_vector(
    fn text, argument text, vector double precision[], dimension integer, label text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF vector IS NULL THEN
        PERFORM s3vl._invalid(fn, argument, 'must not be null',
            'Pass the query embedding as an array, e.g. ARRAY[0.1, 0.2, 0.3]::real[].');
    ELSIF pg_catalog.cardinality(vector) = 0 THEN
        PERFORM s3vl._invalid(fn, argument, 'must not be empty',
            'Pass the query embedding as an array with one element per dimension.');
    ELSIF pg_catalog.array_ndims(vector) <> 1 THEN
        PERFORM s3vl._invalid(fn, argument,
            pg_catalog.format('must be a one-dimensional array, got %s dimensions', pg_catalog.array_ndims(vector)),
            'Pass one embedding; for many, use s3vl.query_vectors_batch.');
    ELSIF pg_catalog.cardinality(vector) > s3vl._limit('dimension') THEN
        PERFORM s3vl._invalid(fn, argument,
            pg_catalog.format('has %s elements; S3 Vectors allows at most %s',
                pg_catalog.cardinality(vector), s3vl._limit('dimension')),
            'Pass an embedding of the index''s dimension.');
    ELSIF EXISTS (SELECT 1 FROM pg_catalog.unnest(vector) AS e(x)
                  WHERE e.x IS NULL OR e.x IN ('NaN', 'Infinity', '-Infinity')) THEN
        PERFORM s3vl._invalid(fn, argument, 'contains NULL, NaN or infinite elements',
            'Every element must be a finite number.');
    ELSIF dimension IS NOT NULL AND pg_catalog.cardinality(vector) <> dimension THEN
        PERFORM s3vl._invalid(fn, argument,
            pg_catalog.format('has %s elements but index %s has dimension %s',
                pg_catalog.cardinality(vector), pg_catalog.quote_ident(label), dimension),
            pg_catalog.format('Pass an embedding of %s elements, made by the same model as the index.', dimension));
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_vector(text, text, double precision[], integer, text) IS
    'Private: raises SQLSTATE 22023 for a null, empty, multi-dimensional, non-finite or wrongly sized query vector (dimension NULL: the index''s is unknown, only S3 Vectors'' largest is checked)';

-- s3vl._check_top_k
-- The bridge follows QueryVectors' pages, so the whole of S3 Vectors' range is one call.
CREATE OR REPLACE FUNCTION s3vl._check_top_k(fn text, top_k integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF top_k IS NULL OR top_k NOT BETWEEN 1 AND s3vl._limit('top_k') THEN
        PERFORM s3vl._invalid(fn, 'top_k',
            pg_catalog.format('must be between 1 and %s, got %s', s3vl._limit('top_k'), coalesce(top_k::text, 'NULL')),
            pg_catalog.format('Pass top_k => 10, or any number of neighbours from 1 to %s.', s3vl._limit('top_k')));
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_top_k(text, integer) IS
    'Private: raises SQLSTATE 22023 unless top_k is between 1 and s3vl._limit(''top_k''), the range of QueryVectors';

-- s3vl._check_flag
-- NULL would reach the Lambda function as JSON null.
CREATE OR REPLACE FUNCTION s3vl._check_flag(fn text, argument text, flag boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF flag IS NULL THEN
        PERFORM s3vl._invalid(fn, argument, 'must be true or false, not NULL',
            pg_catalog.format('Leave %s out to use its default, or pass true or false.', argument));
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_flag(text, text, boolean) IS
    'Private: raises SQLSTATE 22023 when a boolean argument is NULL';

-- s3vl._check_filter
-- The filter language itself is checked by the bridge and S3 Vectors, which answer with the
-- offending field; the bridge refuses the same depth. Depth counts JSON containers (objects and
-- arrays) on the longest path, the filter itself being 1: {"a": 1} is 1, {"a": {"$in": [1, 2]}}
-- is 3, {"$and": [{"a": 1}]} is 3. Strict .** numbers the filter level 0 and each object member
-- or array element one more, so a container at level D (the limit) or deeper is depth D + 1 or
-- more; jsonpath stops at the first one, so a filter nested thousands deep is refused in one pass.
CREATE OR REPLACE FUNCTION s3vl._check_filter(fn text, metadata_filter jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF metadata_filter IS NOT NULL AND pg_catalog.jsonb_typeof(metadata_filter) <> 'object' THEN
        PERFORM s3vl._invalid(fn, 'metadata_filter',
            pg_catalog.format('must be a JSON object, got a JSON %s', pg_catalog.jsonb_typeof(metadata_filter)),
            'Pass e.g. metadata_filter => ''{"category": "demo"}''::jsonb or ''{"price": {"$lt": 20}}''::jsonb.');
    END IF;
    IF metadata_filter IS NOT NULL AND pg_catalog.jsonb_path_exists(metadata_filter,
            pg_catalog.format('strict $.**{%s to last} ? (@.type() == "object" || @.type() == "array")',
                s3vl._limit('filter_depth'))::jsonpath) THEN
        PERFORM s3vl._invalid(fn, 'metadata_filter',
            pg_catalog.format('is nested more than %s levels deep (objects and arrays, the filter itself being level 1)',
                s3vl._limit('filter_depth')),
            'Flatten the filter: a list of conditions in one $and or $or, or {"key": {"$in": [...]}}, needs only 3 levels.');
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_filter(text, jsonb) IS
    'Private: raises SQLSTATE 22023 unless metadata_filter is NULL or a JSON object nested at most s3vl._limit(''filter_depth'') deep';

-- s3vl._check_query_mode
CREATE OR REPLACE FUNCTION s3vl._check_query_mode(fn text, query_mode text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF query_mode IS NOT NULL AND pg_catalog.upper(query_mode) NOT IN ('CLASSIC', 'ENHANCED') THEN
        PERFORM s3vl._invalid(fn, 'query_mode',
            pg_catalog.format('must be CLASSIC or ENHANCED, got %L', query_mode),
            'Leave query_mode out for the index default; ENHANCED filters before the search.');
    END IF;
    RETURN pg_catalog.upper(query_mode);
END
$$;
COMMENT ON FUNCTION s3vl._check_query_mode(text, text) IS
    'Private: query_mode upper-cased; SQLSTATE 22023 unless it is NULL (the index default), CLASSIC or ENHANCED';

-- s3vl._query_options
CREATE OR REPLACE FUNCTION s3vl._query_options(
    fn text, top_k integer, return_metadata boolean, metadata_filter jsonb, query_mode text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_mode text;
BEGIN
    PERFORM s3vl._check_top_k(fn, top_k);
    PERFORM s3vl._check_flag(fn, 'return_metadata', return_metadata);
    PERFORM s3vl._check_filter(fn, metadata_filter);
    v_mode := s3vl._check_query_mode(fn, query_mode);
    RETURN pg_catalog.jsonb_build_object('top_k', top_k, 'return_metadata', return_metadata)
        || CASE WHEN metadata_filter IS NULL THEN '{}'::jsonb
                ELSE pg_catalog.jsonb_build_object('metadata_filter', metadata_filter) END
        || CASE WHEN v_mode IS NULL THEN '{}'::jsonb
                ELSE pg_catalog.jsonb_build_object('query_mode', v_mode) END;
END
$$;
COMMENT ON FUNCTION s3vl._query_options(text, integer, boolean, jsonb, text) IS
    'Private: the search options query_vectors and query_vectors_batch share: checks top_k, return_metadata, metadata_filter and query_mode (SQLSTATE 22023) and returns them as the bridge''s request fields (optional ones only when given)';

-- s3vl._raise_lambda_error
-- Types are matched loosely, so AWS-style names (ValidationException) map too. The DETAIL's
-- wording is read back by s3vl._failure_kind (81_sync_delivery.sql).
CREATE OR REPLACE FUNCTION s3vl._raise_lambda_error(fn text, envelope jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_error jsonb := coalesce(envelope -> 'error', '{}'::jsonb);
    v_type text := coalesce(v_error ->> 'type', 'UnknownError');
    v_kind text;
    v_partial boolean := false;
    v_field text := v_error ->> 'field';
    v_message text := coalesce(v_error ->> 'message', 'the Lambda function reported an error without a message');
    v_state text;
    v_hint text;
BEGIN
    IF pg_catalog.jsonb_typeof(envelope -> 'error') = 'string' THEN
        v_message := envelope ->> 'error';
    END IF;
    -- A write the bridge did in part fails as its cause (what the rest met); the DETAIL adds
    -- how much was done (s3vl._partly_done).
    IF v_type = 'PartialWrite' AND pg_catalog.jsonb_typeof(v_error #> '{details,cause}') = 'string' THEN
        v_type := v_error #>> '{details,cause}';
        v_partial := true;
    END IF;
    v_kind := pg_catalog.lower(pg_catalog.replace(v_type, '_', ''));
    IF v_kind LIKE '%validation%' OR v_kind LIKE '%invalid%' THEN
        v_state := 'invalid_parameter_value';
        v_hint := CASE WHEN v_field IS NULL THEN 'Correct the request and run it again.'
                       ELSE pg_catalog.format('Correct "%s" and run it again.', v_field) END;
    ELSIF v_kind LIKE '%notfound%' OR v_kind LIKE '%nosuch%' THEN
        v_state := 'undefined_object';
        v_hint := 'Check the index ARN with s3vl.list_indexes(); the index or bucket may have been deleted.';
    ELSIF v_kind LIKE '%accessdenied%' OR v_kind LIKE '%forbidden%' OR v_kind LIKE '%unauthorized%' THEN
        v_state := 'insufficient_privilege';
        v_hint := 'The bridge serves only the indexes and buckets in its S3VL_INDEX_ARNS and S3VL_BUCKET_ARNS settings; add this one there, and to its IAM policy.';
    ELSIF v_kind LIKE '%throttl%' OR v_kind LIKE '%toomanyrequests%' OR v_kind LIKE '%unavailable%'
          OR v_kind LIKE '%timeout%' THEN
        v_state := 'system_error';
        v_hint := 'The service the bridge called (S3 Vectors, or Bedrock for embeddings) is busy or unavailable; retry shortly with backoff.';
    ELSIF v_kind LIKE '%quota%' THEN
        v_state := 'configuration_limit_exceeded';
        v_hint := 'A service quota was reached; request fewer vectors or raise the quota.';
    ELSIF v_kind LIKE '%toolarge%' THEN
        v_state := 'program_limit_exceeded';
        v_hint := 'Ask for fewer rows per call (top_k, max_results) or leave out vector data and metadata.';
    ELSIF v_kind LIKE '%conflict%' THEN
        v_state := 'object_not_in_prerequisite_state';
        v_hint := 'The index is being changed by another request; retry after it completes.';
    ELSIF v_kind LIKE '%configuration%' THEN
        v_state := 'external_routine_exception';
        v_hint := 'The bridge function''s own environment is wrong; fix its settings (see its log).';
    ELSE
        v_state := 'external_routine_exception';
        v_hint := 'See the bridge function''s log for this request id.';
    END IF;

    RAISE EXCEPTION 's3vl.%: %', fn,
        CASE WHEN v_field IS NULL THEN v_message ELSE pg_catalog.format('%s (field "%s")', v_message, v_field) END
        USING ERRCODE = v_state,
              DETAIL = pg_catalog.format('The bridge Lambda function answered %s%s; retryable: %s; request id %s.',
                  v_type,
                  CASE WHEN v_field IS NULL THEN '' ELSE pg_catalog.format(' on field "%s"', v_field) END,
                  coalesce(v_error ->> 'retryable', 'unknown'),
                  coalesce(envelope ->> 'request_id', 'unknown'))
                  || CASE WHEN v_partial
                          THEN pg_catalog.format(' PartialWrite: %s keys of the request were written or deleted all the same.',
                                                 pg_catalog.cardinality(s3vl._partly_done(envelope)))
                          ELSE '' END,
              HINT = v_hint;
END
$$;
COMMENT ON FUNCTION s3vl._raise_lambda_error(text, jsonb) IS
    'Private: raises the error of a failed bridge envelope ({success: false, error: {...}}) with its message, field, DETAIL and HINT, and a SQLSTATE for its type (a PartialWrite''s cause, for one): ValidationError 22023, NotFound 42704, AccessDenied 42501, Throttled or ServiceUnavailable 58000, ServiceQuotaExceeded 53400, ResponseTooLarge 54000, Conflict 55000, anything else (InternalError, UpstreamError, ConfigurationError) 38000';

-- s3vl._installed_endpoint
-- The installer is an administrator; this is how an endpoint set in the server's configuration
-- (or an Aurora parameter group), which a role cannot read back, stays usable. Written by the DO
-- block below at every install.
CREATE OR REPLACE FUNCTION s3vl._installed_endpoint()
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT ''::text $$;

DO $installed_endpoint$
BEGIN
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION s3vl._installed_endpoint() RETURNS text LANGUAGE sql IMMUTABLE AS %L',
        pg_catalog.format('SELECT %L::text',
            coalesce(pg_catalog.current_setting('aws_lambda.endpoint_override', true), '')));
END
$installed_endpoint$;
COMMENT ON FUNCTION s3vl._installed_endpoint() IS
    'Private: the aws_lambda.endpoint_override in force when install.sql ran (empty for none)';

-- s3vl._check_endpoint
-- Where an invocation goes must have been chosen by an administrator, never by the session: a
-- role can SET aws_lambda.endpoint_override (or ALTER ROLE itself, or pass it when connecting)
-- and would otherwise point s3vl's definer functions at any address the database server
-- reaches, and answer them with forged rows.
CREATE OR REPLACE FUNCTION s3vl._check_endpoint(fn text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_endpoint text := coalesce(pg_catalog.current_setting('aws_lambda.endpoint_override', true), '');
BEGIN
    IF v_endpoint = '' OR v_endpoint = s3vl._installed_endpoint() THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user AND r.rolsuper) THEN
        RETURN;
    END IF;
    IF EXISTS (
        SELECT 1
        FROM pg_catalog.pg_db_role_setting AS s
        JOIN pg_catalog.pg_database AS d ON d.oid = s.setdatabase
        JOIN pg_catalog.pg_roles AS o ON o.oid = d.datdba
        CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(item)
        WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0
          AND c.item = 'aws_lambda.endpoint_override=' || v_endpoint
          AND (o.rolsuper OR (pg_catalog.to_regrole('rds_superuser') IS NOT NULL
                              AND pg_catalog.pg_has_role(o.oid, 'rds_superuser', 'MEMBER')))) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 's3vl.%: aws_lambda.endpoint_override was not set by an administrator; s3vl does not invoke through it', fn
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = pg_catalog.format('This session has aws_lambda.endpoint_override = %L, which is neither the value s3vl was installed with (%L) nor the database''s own setting. A session setting (SET, ALTER ROLE, connection options) cannot choose where s3vl''s invocations go.',
                  v_endpoint, s3vl._installed_endpoint()),
              HINT = 'RESET aws_lambda.endpoint_override; an administrator sets it in the server''s configuration or with ALTER DATABASE ... SET as a superuser.';
END
$$;
COMMENT ON FUNCTION s3vl._check_endpoint(text) IS
    'Private: SQLSTATE 42501 unless aws_lambda.endpoint_override is unset (the real Lambda endpoint) or was set by an administrator: the value in force when install.sql ran, ALTER DATABASE ... SET on a database a superuser (or rds_superuser) owns, or any value in a session whose login role is a superuser';

-- s3vl._invoke_envelope
-- The request as json, sent as written: a write's request is built as text (s3vl._put_request),
-- and aws_lambda.invoke's json form passes it on unchanged, where jsonb would convert every
-- number of its vectors twice (in, then out as text for the HTTP request).
-- The configured timeout is applied to aws_lambda.request_timeout_ms for this call only: the
-- SET clause makes PostgreSQL restore the caller's value (or none) when the function returns.
CREATE OR REPLACE FUNCTION s3vl._invoke_envelope(fn text, request json)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET aws_lambda.request_timeout_ms = 3000
AS $$
DECLARE
    v_config s3vl.config := s3vl._configuration(fn);
    v_envelope jsonb;
    v_state text;
    v_message text;
    v_detail text;
BEGIN
    PERFORM s3vl._check_endpoint(fn);
    PERFORM pg_catalog.set_config('aws_lambda.request_timeout_ms',
        (v_config.timeout_seconds * 1000)::text, true);
    BEGIN
        SELECT r.payload::jsonb INTO v_envelope
        FROM aws_lambda.invoke(function_name => v_config.lambda_arn, payload => request,
                               region => v_config.aws_region) AS r;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL;
        RAISE EXCEPTION 's3vl.%: invoking the Lambda function failed: %', fn, v_message
            USING ERRCODE = v_state,
                  DETAIL = pg_catalog.format('Function %s, operation %s, timeout %s s.%s',
                      v_config.lambda_arn, request ->> 'operation', v_config.timeout_seconds,
                      CASE WHEN coalesce(v_detail, '') = '' THEN '' ELSE ' ' || v_detail END),
                  HINT = 'Check the function with SELECT * FROM s3vl.validate_config(); raise the timeout with s3vl.configure(..., timeout_seconds => N) if it timed out.';
    END;

    IF v_envelope IS NULL OR pg_catalog.jsonb_typeof(v_envelope) <> 'object'
       OR NOT v_envelope ? 'success' THEN
        RAISE EXCEPTION 's3vl.%: the Lambda function did not answer with an s3vl envelope', fn
            USING ERRCODE = 'external_routine_exception',
                  DETAIL = pg_catalog.format('Function %s answered: %s', v_config.lambda_arn,
                      coalesce(pg_catalog.left(v_envelope::text, 500), 'nothing')),
                  HINT = 'Check that s3vl.configure() names the s3vl bridge function.';
    END IF;
    RETURN v_envelope;
END
$$;
COMMENT ON FUNCTION s3vl._invoke_envelope(text, json) IS
    'Private: one synchronous invocation of the configured bridge with the configured timeout, the request sent as written; returns its envelope ({success, result} or {success: false, error}), raises when there is none';

-- s3vl._invoke_json
CREATE OR REPLACE FUNCTION s3vl._invoke_json(fn text, request json)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_envelope jsonb := s3vl._invoke_envelope(fn, request);
BEGIN
    IF (v_envelope ->> 'success') IS DISTINCT FROM 'true' THEN
        PERFORM s3vl._raise_lambda_error(fn, v_envelope);
    END IF;
    RETURN v_envelope -> 'result';
END
$$;
COMMENT ON FUNCTION s3vl._invoke_json(text, json) IS
    'Private: one synchronous invocation of the configured bridge (s3vl._invoke_envelope); returns the result of its envelope, raises its error';

-- s3vl._strings
CREATE OR REPLACE FUNCTION s3vl._strings(value jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ARRAY(SELECT k #>> '{}'
                 FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(value) = 'array'
                                                           THEN value END) AS k
                 WHERE pg_catalog.jsonb_typeof(k) = 'string')
$$;
COMMENT ON FUNCTION s3vl._strings(jsonb) IS
    'Private: the strings of a JSON array, in order (other elements left out); empty for anything but an array';

-- s3vl._partly_done
-- A write the bridge cut into chunks and wrote at once can fail in some chunks only: its
-- PartialWrite error lists the keys written (or deleted) in details.
CREATE OR REPLACE FUNCTION s3vl._partly_done(envelope jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN envelope #>> '{error,type}' = 'PartialWrite'
                THEN s3vl._strings(coalesce(envelope #> '{error,details,written_keys}',
                                            envelope #> '{error,details,deleted_keys}'))
                ELSE '{}'::text[] END
$$;
COMMENT ON FUNCTION s3vl._partly_done(jsonb) IS
    'Private: the keys a failed write''s envelope says were written or deleted all the same (a PartialWrite''s details.written_keys or deleted_keys); empty for any other answer';

-- s3vl._invoke
CREATE OR REPLACE FUNCTION s3vl._invoke(fn text, request jsonb)
RETURNS jsonb
LANGUAGE sql VOLATILE
AS $$ SELECT s3vl._invoke_json(fn, request::json) $$;
COMMENT ON FUNCTION s3vl._invoke(text, jsonb) IS
    'Private: one synchronous invocation of the configured bridge with the configured timeout (s3vl._invoke_json); returns the result of its envelope, raises its error';

-- s3vl._float8_array
CREATE OR REPLACE FUNCTION s3vl._float8_array(value jsonb)
RETURNS double precision[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(value) = 'array'
                THEN pg_catalog.translate(value::text, '[]', '{}')::double precision[] END
$$;
COMMENT ON FUNCTION s3vl._float8_array(jsonb) IS
    'Private: converts a JSON array of numbers to double precision[] (NULL for anything else)';
