-- Importing a vector bucket: every index of it registered, as IMPORT FOREIGN SCHEMA does for a
-- foreign server. Each index is registered under its own name (dots become _), with the
-- dimension and metric S3 Vectors reports; with into_schema, each also gets a view there
-- (s3vl.create_index_view, sql/parts/75_index_views.sql).

-- s3vl._import_indexes
-- The registering half of import_bucket, as definer: the registry is s3vl's.
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

    -- One describe_index per index (its dimension and metric), then its registration.
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
    )
    SELECT pg_catalog.array_agg(s3vl._save_registration(d.index_name, d.index_arn,
               _import_indexes.description, d.dimension, d.distance_metric))
    INTO v_registered FROM described AS d;
    RETURN coalesce(v_registered, '{}');
END
$$;
COMMENT ON FUNCTION s3vl._import_indexes(text, text) IS
    'Private: registers every index of a vector bucket (name or ARN) with its dimension and metric; returns the names';

-- s3vl.import_bucket
-- Runs with the caller's rights, so the views are the caller's (create_index_view).
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
    -- The registrations are made first, as s3vl_owner (s3vl._import_indexes); the views, which
    -- read the registry, then with the caller's rights.
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
