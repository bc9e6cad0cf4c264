-- Similarity search: s3vl.query_vectors (one query vector) and s3vl.query_vectors_batch (many,
-- one invocation). Argument names, defaults and result columns of query_vectors follow the
-- aws-samples integration; query_mode is added at the end.

-- s3vl.query_vectors
CREATE OR REPLACE FUNCTION s3vl.query_vectors(
    query_vector double precision[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, distance double precision, similarity_score double precision,
               metadata jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_options jsonb;
    v_result jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('query_vectors', index_name, index_arn);
    PERFORM s3vl._check_vector('query_vectors', 'query_vector', query_vector, v_index.dimension, v_index.label);
    v_options := s3vl._query_options('query_vectors', top_k, return_metadata, metadata_filter, query_mode);

    v_result := s3vl._invoke('query_vectors',
        pg_catalog.jsonb_build_object(
            'operation', 'query_vectors',
            'index_arn', v_index.arn,
            'query_vector', pg_catalog.to_jsonb(query_vector))
        || v_options);

    RETURN QUERY
    SELECT r.vector_id, r.distance, r.similarity_score,
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END
    FROM pg_catalog.jsonb_to_recordset(v_result)
         AS r(vector_id text, distance double precision, similarity_score double precision,
              metadata jsonb);
END
$$;
COMMENT ON FUNCTION s3vl.query_vectors(double precision[], text, text, integer, boolean, jsonb, text) IS
    'The top_k nearest neighbours of query_vector in an S3 Vectors index (index_name: a registered name or an index ARN; or index_arn): vector_id, distance, similarity_score, metadata, closest first; metadata_filter in the S3 Vectors filter language ({"category": "demo"}, {"price": {"$lt": 20}}, $and/$or ...)';

-- s3vl.query_vectors (real[] and numeric[]): thin overloads over the double precision[] one.
CREATE OR REPLACE FUNCTION s3vl.query_vectors(
    query_vector real[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, distance double precision, similarity_score double precision,
               metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM s3vl.query_vectors(query_vector::double precision[], index_name, index_arn, top_k,
                                     return_metadata, metadata_filter, query_mode)
$$;
COMMENT ON FUNCTION s3vl.query_vectors(real[], text, text, integer, boolean, jsonb, text) IS
    's3vl.query_vectors for a real[] query vector (a pgvector value cast with ::real[])';

CREATE OR REPLACE FUNCTION s3vl.query_vectors(
    query_vector numeric[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, distance double precision, similarity_score double precision,
               metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM s3vl.query_vectors(query_vector::double precision[], index_name, index_arn, top_k,
                                     return_metadata, metadata_filter, query_mode)
$$;
COMMENT ON FUNCTION s3vl.query_vectors(numeric[], text, text, integer, boolean, jsonb, text) IS
    's3vl.query_vectors for a numeric[] query vector, such as ARRAY[0.1, 0.2, 0.3]';

-- s3vl.query_vectors_batch
CREATE OR REPLACE FUNCTION s3vl.query_vectors_batch(
    query_vectors double precision[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (query_position integer, vector_id text, distance double precision,
               similarity_score double precision, metadata jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_options jsonb;
    v_result jsonb;
    v_vectors double precision[];
    v_rows integer;
    v_columns integer;
    v_bad_row bigint;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('query_vectors_batch', index_name, index_arn);
    IF query_vectors IS NULL OR pg_catalog.cardinality(query_vectors) = 0 THEN
        PERFORM s3vl._invalid('query_vectors_batch', 'query_vectors', 'must not be null or empty',
            'Pass a two-dimensional array, one query vector per row: ARRAY[[0.1, 0.2], [0.3, 0.4]].');
    ELSIF pg_catalog.array_ndims(query_vectors) <> 2 THEN
        PERFORM s3vl._invalid('query_vectors_batch', 'query_vectors',
            pg_catalog.format('must be a two-dimensional array, got %s dimension(s)', pg_catalog.array_ndims(query_vectors)),
            'Pass ARRAY[[...], [...]], one query vector per row; for a single vector use s3vl.query_vectors.');
    END IF;
    -- Any lower bounds ('[2:3][1:5]={...}'): a whole-array slice starts at 1 in each
    -- dimension, so query_vectors[1] is the first row given and query_position follows it.
    v_vectors := query_vectors[:][:];
    v_rows := pg_catalog.array_length(v_vectors, 1);
    v_columns := pg_catalog.array_length(v_vectors, 2);
    IF v_rows > s3vl._limit('query_batch') THEN
        PERFORM s3vl._invalid('query_vectors_batch', 'query_vectors',
            pg_catalog.format('has %s query vectors; at most %s per call', v_rows, s3vl._limit('query_batch')),
            pg_catalog.format('Split the query vectors into calls of up to %s.', s3vl._limit('query_batch')));
    END IF;
    -- The elements of every row, at once (row-major order), naming the first bad row; then,
    -- as every row of a PostgreSQL array has the same length, the first row's size for all.
    SELECT (e.n - 1) / v_columns + 1 INTO v_bad_row
    FROM pg_catalog.unnest(v_vectors) WITH ORDINALITY AS e(x, n)
    WHERE e.x IS NULL OR e.x IN ('NaN', 'Infinity', '-Infinity')
    ORDER BY e.n LIMIT 1;
    IF FOUND THEN
        PERFORM s3vl._invalid('query_vectors_batch', 'query_vectors',
            pg_catalog.format('contains NULL, NaN or infinite elements in row %s of %s', v_bad_row, v_rows),
            'Every element must be a finite number.');
    END IF;
    PERFORM s3vl._check_vector('query_vectors_batch', 'query_vectors',
        ARRAY(SELECT e FROM pg_catalog.unnest(v_vectors[1:1][:]) AS e), v_index.dimension, v_index.label);
    v_options := s3vl._query_options('query_vectors_batch', top_k, return_metadata, metadata_filter, query_mode);

    v_result := s3vl._invoke('query_vectors_batch',
        pg_catalog.jsonb_build_object(
            'operation', 'query_vectors_batch',
            'index_arn', v_index.arn,
            'query_vectors', pg_catalog.to_jsonb(v_vectors))
        || v_options);

    RETURN QUERY
    SELECT r.query_position, r.vector_id, r.distance, r.similarity_score,
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END
    FROM pg_catalog.jsonb_to_recordset(v_result)
         AS r(query_position integer, vector_id text, distance double precision,
              similarity_score double precision, metadata jsonb);
END
$$;
COMMENT ON FUNCTION s3vl.query_vectors_batch(double precision[], text, text, integer, boolean, jsonb, text) IS
    'Nearest neighbours for many query vectors (rows of a 2-D array) in one invocation: query_position (the rows numbered from 1 in the order given, whatever the array''s lower bounds), vector_id, distance, similarity_score, metadata';

CREATE OR REPLACE FUNCTION s3vl.query_vectors_batch(
    query_vectors real[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (query_position integer, vector_id text, distance double precision,
               similarity_score double precision, metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM s3vl.query_vectors_batch(query_vectors::double precision[], index_name, index_arn,
                                           top_k, return_metadata, metadata_filter, query_mode)
$$;
COMMENT ON FUNCTION s3vl.query_vectors_batch(real[], text, text, integer, boolean, jsonb, text) IS
    's3vl.query_vectors_batch for real[] query vectors';

CREATE OR REPLACE FUNCTION s3vl.query_vectors_batch(
    query_vectors numeric[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (query_position integer, vector_id text, distance double precision,
               similarity_score double precision, metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM s3vl.query_vectors_batch(query_vectors::double precision[], index_name, index_arn,
                                           top_k, return_metadata, metadata_filter, query_mode)
$$;
COMMENT ON FUNCTION s3vl.query_vectors_batch(numeric[], text, text, integer, boolean, jsonb, text) IS
    's3vl.query_vectors_batch for numeric[] query vectors';
