-- Configuration: which bridge function to invoke, in which Region, with which timeout.
-- Argument names and defaults follow the aws-samples integration.

-- s3vl.version
CREATE OR REPLACE FUNCTION s3vl.version()
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT '0.2.0'::text $$;
COMMENT ON FUNCTION s3vl.version() IS 'The installed s3vl version';

-- s3vl.configure
-- The arguments s3vl adds come last, so the aws-samples integration's calls keep working.
CREATE OR REPLACE FUNCTION s3vl.configure(
    lambda_arn text,
    aws_region text DEFAULT 'us-west-2',
    timeout_seconds integer DEFAULT 30,
    validate boolean DEFAULT true,
    function_timeout_seconds integer DEFAULT 900,
    max_attempts integer DEFAULT 5)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_arn_region text;
    v_check record;
BEGIN
    IF lambda_arn IS NULL OR btrim(lambda_arn) = '' THEN
        PERFORM s3vl._invalid('configure', 'lambda_arn', 'must not be null or empty',
            'Pass the bridge function ARN: arn:aws:lambda:REGION:ACCOUNT:function:NAME.');
    END IF;
    IF lambda_arn !~ '^[A-Za-z0-9_-]{1,64}$'
       AND lambda_arn !~ '^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$' THEN
        PERFORM s3vl._invalid('configure', 'lambda_arn',
            pg_catalog.format('is neither a Lambda function name nor a function ARN: %L', lambda_arn),
            'Pass arn:aws:lambda:REGION:ACCOUNT:function:NAME, or the bare function name.');
    END IF;
    IF aws_region IS NULL OR aws_region !~ '^[a-z]{2}(-[a-z]+)+-[0-9]+$' THEN
        PERFORM s3vl._invalid('configure', 'aws_region',
            pg_catalog.format('is not an AWS Region code: %s', coalesce(pg_catalog.quote_literal(aws_region), 'NULL')),
            'Pass a Region code such as us-east-1 or eu-west-1.');
    END IF;
    v_arn_region := pg_catalog.split_part(lambda_arn, ':', 4);
    IF lambda_arn LIKE 'arn:%' AND v_arn_region <> aws_region THEN
        PERFORM s3vl._invalid('configure', 'aws_region',
            pg_catalog.format('is %s but lambda_arn is in %s', aws_region, v_arn_region),
            pg_catalog.format('Pass aws_region => %L.', v_arn_region));
    END IF;
    IF timeout_seconds IS NULL OR timeout_seconds NOT BETWEEN 1 AND 900 THEN
        PERFORM s3vl._invalid('configure', 'timeout_seconds',
            pg_catalog.format('must be between 1 and 900, got %s', coalesce(timeout_seconds::text, 'NULL')),
            'Use 30 seconds or more: a cold Lambda function in a VPC can take several seconds.');
    END IF;
    PERFORM s3vl._check_flag('configure', 'validate', validate);
    IF function_timeout_seconds IS NULL OR function_timeout_seconds NOT BETWEEN 1 AND 900 THEN
        PERFORM s3vl._invalid('configure', 'function_timeout_seconds',
            pg_catalog.format('must be between 1 and 900, got %s', coalesce(function_timeout_seconds::text, 'NULL')),
            'Pass the bridge function''s own timeout (CDK context timeoutSeconds, 30 by default), or leave it out for 900, Lambda''s maximum. A flush that timed out waits this long before it sends the same keys again.');
    END IF;
    IF max_attempts IS NULL OR max_attempts NOT BETWEEN 1 AND 100 THEN
        PERFORM s3vl._invalid('configure', 'max_attempts',
            pg_catalog.format('must be between 1 and 100, got %s', coalesce(max_attempts::text, 'NULL')),
            'Leave it out for 5: a change that failed this many sends becomes dead (see s3vl.retry_dead and s3vl.discard_dead).');
    END IF;

    LOCK TABLE s3vl.config IN EXCLUSIVE MODE;
    DELETE FROM s3vl.config;
    INSERT INTO s3vl.config (lambda_arn, aws_region, timeout_seconds, function_timeout_seconds, max_attempts)
    VALUES (configure.lambda_arn, configure.aws_region, configure.timeout_seconds,
            configure.function_timeout_seconds, configure.max_attempts);

    IF validate THEN
        SELECT * INTO v_check FROM s3vl.validate_config();
        IF v_check.is_valid THEN
            RAISE NOTICE 's3vl.configure: % answered in % ms', lambda_arn, v_check.response_time_ms;
        ELSE
            RAISE WARNING 's3vl.configure: configuration saved, but checking % failed: %',
                lambda_arn, v_check.error_message
                USING HINT = 'Fix what the message names (the function, the network, the bridge''s release), then run SELECT * FROM s3vl.validate_config();';
        END IF;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION s3vl.configure(text, text, integer, boolean, integer, integer) IS
    'Stores the bridge Lambda function, its Region, the invocation timeout (1-900 s), the function''s own timeout (function_timeout_seconds, 1-900, default 900: set the deployed one, CDK context timeoutSeconds, 30 by default; keys of a flush that timed out wait this long) and max_attempts (1-100, default 5: failed sends before a change is dead), replacing any earlier configuration, then validates the round trip unless validate => false';

-- s3vl.validate_config
CREATE OR REPLACE FUNCTION s3vl.validate_config()
RETURNS TABLE (is_valid boolean, lambda_arn text, aws_region text, error_message text,
               response_time_ms integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_config s3vl.config;
    v_started timestamp with time zone;
    v_answer jsonb;
    v_error text;
    v_elapsed integer;
BEGIN
    SELECT c.* INTO v_config FROM s3vl.config AS c;
    IF NOT FOUND THEN
        RETURN QUERY SELECT false, NULL::text, NULL::text,
            'No Lambda configuration found: run s3vl.configure() first'::text, NULL::integer;
        RETURN;
    END IF;

    v_started := pg_catalog.clock_timestamp();
    BEGIN
        v_answer := s3vl._invoke('validate_config', '{"operation": "availability_check"}'::jsonb);
    EXCEPTION WHEN OTHERS THEN
        v_error := SQLERRM;
    END;
    v_elapsed := (EXTRACT(epoch FROM pg_catalog.clock_timestamp() - v_started) * 1000)::integer;
    -- The SQL package and the bridge speak one release's request shapes (put_vectors' binary
    -- rows, embed, text search): another release's bridge may refuse what this one sends.
    IF v_error IS NULL AND (v_answer ->> 'version') IS DISTINCT FROM s3vl.version() THEN
        v_error := pg_catalog.format(
            'the bridge function is s3vl %s but this database has the s3vl SQL package %s; deploy the bridge of the same release (cdk deploy from that release) or install its SQL package, so that each understands the requests of the other',
            coalesce(v_answer ->> 'version', '(version not given)'), s3vl.version());
    END IF;

    IF v_config.timeout_seconds < 10 THEN
        RAISE WARNING 's3vl.validate_config: the timeout is % s, short for a cold Lambda function in a VPC',
            v_config.timeout_seconds
            USING HINT = 'Run s3vl.configure(..., timeout_seconds => 30) unless the function is always warm.';
    ELSIF v_error IS NULL AND v_elapsed > v_config.timeout_seconds * 500 THEN
        RAISE WARNING 's3vl.validate_config: the round trip took % ms, over half the % s timeout',
            v_elapsed, v_config.timeout_seconds
            USING HINT = 'Raise timeout_seconds with s3vl.configure().';
    END IF;

    UPDATE s3vl.config AS c
    SET last_validated_at = pg_catalog.now(),
        last_validation_status = coalesce('ERROR: ' || pg_catalog.left(v_error, 200), 'HEALTHY')
    WHERE c.id = v_config.id;

    RETURN QUERY SELECT v_error IS NULL, v_config.lambda_arn, v_config.aws_region, v_error, v_elapsed;
END
$$;
COMMENT ON FUNCTION s3vl.validate_config() IS
    'Invokes the bridge with availability_check: is_valid, the function, its Region, the error if any (unreachable, or a bridge of another s3vl release than the SQL package) and the round trip in ms; never raises for an unreachable function (it reports it); warns when the timeout is short';

-- s3vl.get_config
CREATE OR REPLACE FUNCTION s3vl.get_config()
RETURNS TABLE (lambda_arn text, aws_region text, timeout_seconds integer,
               created_at timestamp with time zone, updated_at timestamp with time zone,
               config_age_hours numeric, last_validation_status text,
               function_timeout_seconds integer, max_attempts integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT c.lambda_arn, c.aws_region, c.timeout_seconds, c.created_at, c.updated_at,
           pg_catalog.round((EXTRACT(epoch FROM pg_catalog.now() - c.updated_at) / 3600)::numeric, 2),
           coalesce(c.last_validation_status, 'NOT VALIDATED'),
           c.function_timeout_seconds, c.max_attempts
    FROM s3vl.config AS c;
    IF NOT FOUND THEN
        RAISE NOTICE 's3vl.get_config: s3vl is not configured'
            USING HINT = 'Run SELECT s3vl.configure(lambda_arn => ''arn:aws:lambda:REGION:ACCOUNT:function:NAME'', aws_region => ''REGION'');';
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl.get_config() IS
    'The configured bridge function, Region, timeout, age of the configuration, the last validation status, and sync''s doubt window (function_timeout_seconds) and max_attempts; no invocation (s3vl.validate_config() checks afresh)';
