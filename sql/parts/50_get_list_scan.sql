-- Reading vectors: s3vl.get_vectors (by key), s3vl.list_vectors (one page), s3vl.scan_vectors
-- (every page). Argument names, defaults and result columns of get_vectors and list_vectors
-- follow the aws-samples integration.

-- s3vl.get_vectors
CREATE OR REPLACE FUNCTION s3vl.get_vectors(
    vector_ids text[],
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    include_vector_data boolean DEFAULT true,
    include_metadata boolean DEFAULT true)
RETURNS TABLE (vector_id text, embedding double precision[], metadata jsonb, found boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_result jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('get_vectors', index_name, index_arn);
    IF vector_ids IS NULL OR pg_catalog.cardinality(vector_ids) = 0 THEN
        PERFORM s3vl._invalid('get_vectors', 'vector_ids', 'must not be null or empty',
            'Pass the keys as an array: ARRAY[''vec_001'', ''vec_002''].');
    ELSIF pg_catalog.array_ndims(vector_ids) <> 1 THEN
        PERFORM s3vl._invalid('get_vectors', 'vector_ids', 'must be a one-dimensional array',
            'Pass the keys as an array: ARRAY[''vec_001'', ''vec_002''].');
    ELSIF EXISTS (SELECT 1 FROM pg_catalog.unnest(vector_ids) AS k(key)
                  WHERE k.key IS NULL OR k.key = '' OR pg_catalog.length(k.key) > s3vl._limit('key_length')) THEN
        PERFORM s3vl._invalid('get_vectors', 'vector_ids',
            pg_catalog.format('contains a NULL, empty or over-long key (keys are 1 to %s characters)',
                s3vl._limit('key_length')),
            'Remove NULL and empty keys from the array.');
    END IF;
    PERFORM s3vl._check_flag('get_vectors', 'include_vector_data', include_vector_data);
    PERFORM s3vl._check_flag('get_vectors', 'include_metadata', include_metadata);

    v_result := s3vl._invoke('get_vectors', pg_catalog.jsonb_build_object(
        'operation', 'get_vectors',
        'index_arn', v_index.arn,
        'vector_ids', pg_catalog.to_jsonb(vector_ids),
        'include_vector_data', include_vector_data,
        'include_metadata', include_metadata));

    RETURN QUERY
    SELECT r.vector_id, s3vl._float8_array(r.embedding),
           CASE WHEN include_metadata AND r.found THEN coalesce(r.metadata, '{}'::jsonb) END,
           coalesce(r.found, false)
    FROM pg_catalog.jsonb_to_recordset(v_result)
         AS r(vector_id text, embedding jsonb, metadata jsonb, found boolean);
END
$$;
COMMENT ON FUNCTION s3vl.get_vectors(text[], text, text, boolean, boolean) IS
    'The vectors with the given keys, in the order asked, each key once: vector_id, embedding, metadata, found (false for keys the index does not hold)';

-- s3vl._list_page
CREATE OR REPLACE FUNCTION s3vl._list_page(
    fn text, index_arn text, max_results integer, next_token text, return_data boolean,
    return_metadata boolean, segment_count integer, segment_index integer)
RETURNS jsonb
LANGUAGE sql VOLATILE
AS $$
    SELECT s3vl._invoke(fn,
        pg_catalog.jsonb_build_object(
            'operation', 'list_vectors',
            'index_arn', index_arn,
            'max_results', max_results,
            'return_data', return_data,
            'return_metadata', return_metadata)
        || CASE WHEN next_token IS NULL THEN '{}'::jsonb
                ELSE pg_catalog.jsonb_build_object('next_token', next_token) END
        || CASE WHEN segment_count IS NULL THEN '{}'::jsonb
                ELSE pg_catalog.jsonb_build_object('segment_count', segment_count,
                                                   'segment_index', segment_index) END)
$$;
COMMENT ON FUNCTION s3vl._list_page(text, text, integer, text, boolean, boolean, integer, integer) IS
    'Private: one list_vectors page (S3 Vectors'' ListVectors) as the bridge answers it: {vectors, total_count, next_token}';

-- s3vl._check_list_arguments
CREATE OR REPLACE FUNCTION s3vl._check_list_arguments(
    fn text, max_results integer, return_data boolean, return_metadata boolean,
    segment_count integer, segment_index integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF max_results IS NULL OR max_results NOT BETWEEN 1 AND s3vl._limit('list_page') THEN
        PERFORM s3vl._invalid(fn, CASE fn WHEN 'scan_vectors' THEN 'page_size' ELSE 'max_results' END,
            pg_catalog.format('must be between 1 and %s, got %s', s3vl._limit('list_page'), coalesce(max_results::text, 'NULL')),
            pg_catalog.format('ListVectors returns at most %s vectors per page; follow next_token for more.',
                s3vl._limit('list_page')));
    END IF;
    PERFORM s3vl._check_flag(fn, 'return_data', return_data);
    PERFORM s3vl._check_flag(fn, 'return_metadata', return_metadata);
    IF (segment_count IS NULL) <> (segment_index IS NULL) THEN
        PERFORM s3vl._invalid(fn, CASE WHEN segment_count IS NULL THEN 'segment_count' ELSE 'segment_index' END,
            'must be given together with the other of segment_count and segment_index',
            'Pass both (segment_count => 4, segment_index => 0..3) to scan one segment, or neither.');
    ELSIF segment_count IS NOT NULL AND segment_count NOT BETWEEN 1 AND s3vl._limit('segments') THEN
        PERFORM s3vl._invalid(fn, 'segment_count',
            pg_catalog.format('must be between 1 and %s, got %s', s3vl._limit('segments'), segment_count),
            pg_catalog.format('S3 Vectors splits a scan into 1 to %s segments.', s3vl._limit('segments')));
    ELSIF segment_index IS NOT NULL AND segment_index NOT BETWEEN 0 AND segment_count - 1 THEN
        PERFORM s3vl._invalid(fn, 'segment_index',
            pg_catalog.format('must be between 0 and %s, got %s', segment_count - 1, segment_index),
            'Segments are numbered from 0 to segment_count - 1.');
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_list_arguments(text, integer, boolean, boolean, integer, integer) IS
    'Private: the checks list_vectors and scan_vectors share: raises SQLSTATE 22023 for a bad page size, flag or segment';

-- s3vl.list_vectors
-- An empty page is one row with a NULL vector_id, so its token is never lost.
CREATE OR REPLACE FUNCTION s3vl.list_vectors(
    index_arn text DEFAULT NULL,
    index_name text DEFAULT NULL,
    max_results integer DEFAULT 100,
    next_token text DEFAULT NULL,
    return_data boolean DEFAULT false,
    return_metadata boolean DEFAULT true,
    segment_count integer DEFAULT NULL,
    segment_index integer DEFAULT NULL)
RETURNS TABLE (vector_id text, vector_data double precision[], metadata jsonb,
               response_next_token text, total_count integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_page jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('list_vectors', index_name, index_arn);
    PERFORM s3vl._check_list_arguments('list_vectors', max_results, return_data, return_metadata,
                                       segment_count, segment_index);
    IF next_token = '' THEN
        PERFORM s3vl._invalid('list_vectors', 'next_token', 'must not be empty',
            'Pass NULL for the first page, then the response_next_token of the previous page.');
    END IF;

    v_page := s3vl._list_page('list_vectors', v_index.arn, max_results, next_token, return_data,
                              return_metadata, segment_count, segment_index);

    RETURN QUERY
    SELECT r.vector_id,
           CASE WHEN return_data THEN s3vl._float8_array(r.vector_data) END,
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END,
           v_page ->> 'next_token',
           coalesce((v_page ->> 'total_count')::integer, 0)
    FROM pg_catalog.jsonb_to_recordset(coalesce(v_page -> 'vectors', '[]'::jsonb))
         AS r(vector_id text, vector_data jsonb, metadata jsonb);
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::text, NULL::double precision[], NULL::jsonb,
                            v_page ->> 'next_token', 0;
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl.list_vectors(text, text, integer, text, boolean, boolean, integer, integer) IS
    'One page of an index''s vectors: vector_id, vector_data, metadata, and on every row the page''s response_next_token (pass it as the next call''s next_token) and total_count (rows in this page); an empty page is one row with a NULL vector_id';

-- s3vl._scan_page
-- scan_vectors runs with the caller's rights (so PostgreSQL can inline it, below); this is its
-- way to the registry and the bridge. It checks what scan_vectors checks, on every page, and
-- called directly it does no more than s3vl.list_vectors, which the same roles may call.
CREATE OR REPLACE FUNCTION s3vl._scan_page(
    index_name text, index_arn text, return_data boolean, return_metadata boolean,
    page_size integer, segment_count integer, segment_index integer, next_token text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('scan_vectors', index_name, index_arn);
    PERFORM s3vl._check_list_arguments('scan_vectors', page_size, return_data, return_metadata,
                                       segment_count, segment_index);
    IF next_token = '' THEN
        PERFORM s3vl._invalid('scan_vectors', 'next_token', 'must not be empty',
            'Pass NULL for the first page, then the next_token of the previous page.');
    END IF;
    RETURN s3vl._list_page('scan_vectors', v_index.arn, page_size, next_token, return_data,
                           return_metadata, segment_count, segment_index);
END
$$;
COMMENT ON FUNCTION s3vl._scan_page(text, text, boolean, boolean, integer, integer, integer, text) IS
    'Private: one page of s3vl.scan_vectors after its checks ({vectors, total_count, next_token}, as the bridge answers list_vectors); SQLSTATE 22023, 42704 or 55000 as scan_vectors raises them';

-- s3vl.scan_vectors
-- Streams: rows leave as each page arrives, and a caller that stops early (LIMIT, a cursor
-- closed) stops the listing. A function in FROM is run to completion into a tuplestore before
-- its first row, unless PostgreSQL inlines it: a LANGUAGE sql set-returning function that is
-- one SELECT, not VOLATILE, not STRICT, not SECURITY DEFINER and without SET is planned as
-- part of the caller's query. The pages are a WITH RECURSIVE term, which the executor
-- evaluates only as the caller asks for rows: one invocation per page, the next page fetched
-- when the rows of the one before are used up. STABLE is for the inlining (its snapshot is the
-- caller's); the invocations themselves are s3vl._scan_page's, VOLATILE. An inlined body runs
-- with the caller's rights (and search_path, so its functions are schema-qualified): it
-- reaches the registry and the bridge only through _scan_page.
CREATE OR REPLACE FUNCTION s3vl.scan_vectors(
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    return_data boolean DEFAULT false,
    return_metadata boolean DEFAULT true,
    page_size integer DEFAULT 500,
    segment_count integer DEFAULT NULL,
    segment_index integer DEFAULT NULL)
RETURNS TABLE (vector_id text, vector_data double precision[], metadata jsonb)
LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE pages (page) AS (
        SELECT s3vl._scan_page(index_name, index_arn, return_data, return_metadata, page_size,
                               segment_count, segment_index, NULL)
        UNION ALL
        SELECT s3vl._scan_page(index_name, index_arn, return_data, return_metadata, page_size,
                               segment_count, segment_index, p.page ->> 'next_token')
        FROM pages AS p
        WHERE p.page ->> 'next_token' IS NOT NULL
    )
    SELECT r.vector_id,
           CASE WHEN return_data THEN s3vl._float8_array(r.vector_data) END,
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END
    FROM pages AS p
    CROSS JOIN LATERAL pg_catalog.jsonb_to_recordset(coalesce(p.page -> 'vectors', '[]'::jsonb))
         AS r(vector_id text, vector_data jsonb, metadata jsonb)
$$;
COMMENT ON FUNCTION s3vl.scan_vectors(text, text, boolean, boolean, integer, integer, integer) IS
    'Every vector of an index, following ListVectors pages (one invocation per page, each fetched as the rows before it are used up, so LIMIT 10 lists one page): vector_id, vector_data, metadata; segment_count and segment_index restrict it to one segment, to split a scan across sessions';
