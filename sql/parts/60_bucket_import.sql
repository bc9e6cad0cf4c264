-- s3vl.import_bucket: register every index of a vector bucket, as IMPORT FOREIGN SCHEMA does
-- for a foreign server. Each index is registered under its own name (dots become _), with the
-- dimension and metric S3 Vectors reports; with into_schema, each also gets a view there
-- (s3vl.create_index_view, sql/parts/75_index_views.sql).
-- s3vl._import_indexes: the registering half of import_bucket (definer: the registry is
-- s3vl's); returns the names registered.
CREATE OR REPLACE FUNCTION s3vl._import_indexes(bucket text, description text)
RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_request jsonb;
    v_indexes jsonb;
    v_registered text[];
BEGIN
    IF bucket IS NULL OR btrim(bucket) = '' THEN
        PERFORM s3vl._invalid('import_bucket', 'bucket', 'must not be null or empty',
            'Pass the vector bucket''s name or ARN (arn:aws:s3vectors:REGION:ACCOUNT:bucket/NAME).');
    ELSIF bucket ~ '^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:[0-9]{12}:bucket/[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$' THEN
        v_request := pg_catalog.jsonb_build_object('operation', 'list_indexes', 'vector_bucket_arn', bucket);
    ELSIF bucket ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$' THEN
        v_request := pg_catalog.jsonb_build_object('operation', 'list_indexes', 'vector_bucket_name', bucket);
    ELSE
        PERFORM s3vl._invalid('import_bucket', 'bucket',
            pg_catalog.format('is neither a vector bucket name nor a bucket ARN: %L', bucket),
            'Bucket names are 3 to 63 lowercase letters, digits and hyphens.');
    END IF;

    v_indexes := coalesce(s3vl._invoke('import_bucket', v_request) -> 'indexes', '[]'::jsonb);

    -- One describe_index per index (its dimension and metric), then one set-based upsert.
    WITH listed AS (
        SELECT CASE WHEN i.index_name ~ '^[a-zA-Z]'
                    THEN pg_catalog.translate(i.index_name, '.', '_')
                    ELSE 'i_' || pg_catalog.translate(i.index_name, '.', '_') END AS index_name,
               i.index_arn
        FROM pg_catalog.jsonb_to_recordset(v_indexes) AS i(index_name text, index_arn text)
    ), described AS (
        SELECT l.index_name, l.index_arn, d.dimension, d.distance_metric
        FROM listed AS l
        CROSS JOIN LATERAL s3vl._describe_index('import_bucket', l.index_arn) AS d
    ), upserted AS (
        INSERT INTO s3vl.index_registry AS r
            (index_name, index_arn, description, bucket_name, region, account_id,
             dimension, distance_metric)
        SELECT d.index_name, d.index_arn, _import_indexes.description,
               pg_catalog.split_part(pg_catalog.split_part(d.index_arn, ':', 6), '/', 2),
               pg_catalog.split_part(d.index_arn, ':', 4), pg_catalog.split_part(d.index_arn, ':', 5),
               d.dimension, d.distance_metric
        FROM described AS d
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
    )
    SELECT pg_catalog.array_agg(u.index_name) INTO v_registered FROM upserted AS u;
    RETURN coalesce(v_registered, '{}');
END
$$;
COMMENT ON FUNCTION s3vl._import_indexes(text, text) IS
    'Private: registers every index of a vector bucket with its dimension and metric; returns the names';

-- s3vl.import_bucket: register every index of a vector bucket, and with into_schema make a view
-- of each. Runs with the caller's rights, so the views are the caller's (create_index_view).
CREATE OR REPLACE FUNCTION s3vl.import_bucket(
    bucket text, description text DEFAULT NULL, into_schema text DEFAULT NULL)
RETURNS TABLE (index_name text, index_arn text, dimension integer, distance_metric text,
               view_name regclass)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_registered text[] := s3vl._import_indexes(bucket, description);
BEGIN
    -- A second statement, because the views read the registry and a statement does not see
    -- the rows its own data-modifying CTE wrote.
    RETURN QUERY
    SELECT r.index_name, r.index_arn, r.dimension, r.distance_metric,
           CASE WHEN into_schema IS NOT NULL
                THEN s3vl.create_index_view(r.index_name, into_schema) END
    FROM s3vl.list_indexes() AS r
    WHERE r.index_name = ANY (v_registered)
    ORDER BY r.index_name;
END
$$;
COMMENT ON FUNCTION s3vl.import_bucket(text, text, text) IS
    'Registers every index of a vector bucket (name or ARN) under its own name, with dimension and metric, and with into_schema a view of each there; returns what was registered';
