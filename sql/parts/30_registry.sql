-- The index registry: friendly names for index ARNs, with each index's dimension and metric.
-- Function and argument names follow the aws-samples integration.

-- s3vl._describe_index
CREATE OR REPLACE FUNCTION s3vl._describe_index(fn text, index_arn text)
RETURNS TABLE (dimension integer, distance_metric text)
LANGUAGE sql VOLATILE
AS $$
    SELECT (r ->> 'dimension')::integer, pg_catalog.lower(r ->> 'distance_metric')
    FROM s3vl._invoke(fn, pg_catalog.jsonb_build_object(
             'operation', 'describe_index', 'index_arn', index_arn)) AS r
$$;
COMMENT ON FUNCTION s3vl._describe_index(text, text) IS
    'Private: the dimension and distance metric of an index, from the bridge''s describe_index (S3 Vectors'' DescribeIndex)';

-- s3vl._save_registration
-- The one upsert of the registry, for register_index and import_bucket. An index ARN reads
-- arn:PARTITION:s3vectors:REGION:ACCOUNT:bucket/BUCKET/index/INDEX (checked by the callers and by
-- the valid_arn_format constraint).
CREATE OR REPLACE FUNCTION s3vl._save_registration(
    index_name text, index_arn text, description text, dimension integer, distance_metric text)
RETURNS text
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO s3vl.index_registry AS r
        (index_name, index_arn, description, bucket_name, region, account_id,
         dimension, distance_metric)
    VALUES (_save_registration.index_name, _save_registration.index_arn, _save_registration.description,
            pg_catalog.split_part(pg_catalog.split_part(_save_registration.index_arn, ':', 6), '/', 2),
            pg_catalog.split_part(_save_registration.index_arn, ':', 4),
            pg_catalog.split_part(_save_registration.index_arn, ':', 5),
            _save_registration.dimension, _save_registration.distance_metric)
    ON CONFLICT ON CONSTRAINT index_registry_index_name_key DO UPDATE SET
        index_arn = EXCLUDED.index_arn,
        description = coalesce(EXCLUDED.description, r.description),
        bucket_name = EXCLUDED.bucket_name,
        region = EXCLUDED.region,
        account_id = EXCLUDED.account_id,
        dimension = EXCLUDED.dimension,
        distance_metric = EXCLUDED.distance_metric,
        is_active = true,
        updated_at = pg_catalog.now()
    RETURNING r.index_name
$$;
COMMENT ON FUNCTION s3vl._save_registration(text, text, text, integer, text) IS
    'Private: registers a name for an index ARN, or updates and reactivates it (a NULL description keeps the old one), with the bucket, Region and account taken from the ARN; returns the name';

-- s3vl.register_index
-- The dimension is recorded so that query vectors of the wrong size are refused before any
-- invocation.
CREATE OR REPLACE FUNCTION s3vl.register_index(
    index_name text,
    index_arn text,
    description text DEFAULT NULL,
    dimension integer DEFAULT NULL,
    distance_metric text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_dimension integer := dimension;
    v_metric text := pg_catalog.lower(distance_metric);
BEGIN
    IF index_name IS NULL OR index_name !~ '^[a-zA-Z][a-zA-Z0-9_-]*$'
       OR pg_catalog.length(index_name) NOT BETWEEN 2 AND 64 THEN
        PERFORM s3vl._invalid('register_index', 'index_name',
            pg_catalog.format('must be 2 to 64 letters, digits, _ or -, starting with a letter; got %s',
                coalesce(pg_catalog.quote_literal(index_name), 'NULL')),
            'Pick a name such as ''products'' or ''docs-v2''.');
    END IF;
    PERFORM s3vl._check_index_arn('register_index', 'index_arn', index_arn);
    IF (v_dimension IS NULL) <> (v_metric IS NULL) THEN
        PERFORM s3vl._invalid('register_index',
            CASE WHEN v_dimension IS NULL THEN 'dimension' ELSE 'distance_metric' END,
            'must be given together with the other of dimension and distance_metric',
            'Pass both (e.g. dimension => 1024, distance_metric => ''cosine''), or neither to ask S3 Vectors.');
    END IF;
    IF v_dimension IS NOT NULL AND v_dimension NOT BETWEEN 1 AND s3vl._limit('dimension') THEN
        PERFORM s3vl._invalid('register_index', 'dimension',
            pg_catalog.format('must be between 1 and %s, got %s', s3vl._limit('dimension'), v_dimension),
            'Pass the dimension the index was created with.');
    END IF;
    IF v_metric IS NOT NULL AND v_metric NOT IN ('cosine', 'euclidean') THEN
        PERFORM s3vl._invalid('register_index', 'distance_metric',
            pg_catalog.format('must be cosine or euclidean, got %L', distance_metric),
            'Pass the distance metric the index was created with.');
    END IF;

    IF v_dimension IS NULL THEN
        SELECT d.dimension, d.distance_metric INTO v_dimension, v_metric
        FROM s3vl._describe_index('register_index', index_arn) AS d;
    END IF;

    PERFORM s3vl._save_registration(register_index.index_name, register_index.index_arn,
                                    register_index.description, v_dimension, v_metric);
    RETURN true;
END
$$;
COMMENT ON FUNCTION s3vl.register_index(text, text, text, integer, text) IS
    'Registers (or updates and reactivates) a name for an S3 Vectors index ARN, usable as index_name in every call, with its dimension and metric (asked of S3 Vectors unless both are given)';

-- s3vl._registered_index
-- Definer, for functions that run with the caller's rights (create_index_view, import_bucket):
-- the registry is s3vl's, and what this returns s3vl.list_indexes() shows to readers anyway.
CREATE OR REPLACE FUNCTION s3vl._registered_index(fn text, index_name text)
RETURNS TABLE (label text, arn text, dimension integer, distance_metric text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM s3vl._resolve_index(fn, index_name, NULL) $$;
COMMENT ON FUNCTION s3vl._registered_index(text, text) IS
    'Private: a registered, active index by name (label, arn, dimension, distance_metric), for invoker-rights functions; 42704/55000 otherwise';

-- s3vl.resolve_index_arn
CREATE OR REPLACE FUNCTION s3vl.resolve_index_arn(index_name text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.arn FROM s3vl._resolve_index('resolve_index_arn', resolve_index_arn.index_name, NULL) AS i
$$;
COMMENT ON FUNCTION s3vl.resolve_index_arn(text) IS
    'The index ARN registered under a name (errors for unknown or inactive names); an ARN is returned unchanged';

-- s3vl.list_indexes
CREATE OR REPLACE FUNCTION s3vl.list_indexes()
RETURNS TABLE (index_name text, index_arn text, description text, bucket_name text, region text,
               account_id text, created_at timestamp with time zone,
               updated_at timestamp with time zone, is_active boolean, dimension integer,
               distance_metric text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.index_name, r.index_arn, r.description, r.bucket_name, r.region, r.account_id,
           r.created_at, r.updated_at, r.is_active, r.dimension, r.distance_metric
    FROM s3vl.index_registry AS r
    ORDER BY r.is_active DESC, r.index_name
$$;
COMMENT ON FUNCTION s3vl.list_indexes() IS
    'Every registered index with its ARN, bucket, Region, account, dimension, metric and state, active ones first';

-- s3vl.get_index_info
-- The argument keeps the aws-samples name index_name_param: index_name is a result column.
CREATE OR REPLACE FUNCTION s3vl.get_index_info(index_name_param text)
RETURNS TABLE (index_name text, index_arn text, description text, bucket_name text, region text,
               account_id text, created_at timestamp with time zone,
               updated_at timestamp with time zone, is_active boolean, dimension integer,
               distance_metric text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT l.* FROM s3vl.list_indexes() AS l WHERE l.index_name = index_name_param;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.get_index_info: index "%" is not registered', index_name_param
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Argument "index_name_param" must name an index in s3vl.list_indexes().',
                  HINT = 'Register it with s3vl.register_index().';
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl.get_index_info(text) IS
    'One registered index by name, as s3vl.list_indexes() shows it; SQLSTATE 42704 for an unknown name';

-- s3vl._set_index_active
CREATE OR REPLACE FUNCTION s3vl._set_index_active(fn text, index_name text, active boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    UPDATE s3vl.index_registry AS r SET is_active = active, updated_at = pg_catalog.now()
    WHERE r.index_name = _set_index_active.index_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.%: index "%" is not registered', fn, index_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Argument "index_name" must name an index in s3vl.list_indexes().',
                  HINT = 'Check the spelling with SELECT index_name FROM s3vl.list_indexes();';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION s3vl._set_index_active(text, text, boolean) IS
    'Private: the body of activate_index and deactivate_index: marks a registered index active or inactive; 42704 for unknown names';

-- s3vl.activate_index
CREATE OR REPLACE FUNCTION s3vl.activate_index(index_name text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT s3vl._set_index_active('activate_index', index_name, true) $$;
COMMENT ON FUNCTION s3vl.activate_index(text) IS
    'Reactivates a deactivated index name: calls by it are allowed again';

-- s3vl.deactivate_index
CREATE OR REPLACE FUNCTION s3vl.deactivate_index(index_name text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT s3vl._set_index_active('deactivate_index', index_name, false) $$;
COMMENT ON FUNCTION s3vl.deactivate_index(text) IS
    'Deactivates an index name, keeping its registration: calls by name are refused until s3vl.activate_index()';

-- s3vl.unregister_index
CREATE OR REPLACE FUNCTION s3vl.unregister_index(index_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM s3vl.index_registry AS r WHERE r.index_name = unregister_index.index_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl.unregister_index: index "%" is not registered', index_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Argument "index_name" must name an index in s3vl.list_indexes().',
                  HINT = 'Check the spelling with SELECT index_name FROM s3vl.list_indexes();';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION s3vl.unregister_index(text) IS
    'Removes a name from the registry; the S3 Vectors index is not touched';
