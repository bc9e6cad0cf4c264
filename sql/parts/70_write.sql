-- Writing vectors: s3vl.put_vectors (arrays, or one jsonb array of {key, data, metadata}) and
-- s3vl.delete_vectors. Every item is checked before the first invocation, so bad input
-- writes nothing; then the items go out in batches within s3vl._limit('put_batch') (or
-- DeleteVectors' count) and Lambda's request payload. The bridge writes a put batch as up to
-- three PutVectors at once, so a batch can be written in part: its PartialWrite error names the
-- keys written, and the error raised here counts them. The index argument is resolved by
-- s3vl._resolve_index.
-- A put's request is written as JSON text and sent as written (s3vl._invoke_json): the arrays
-- form's real[] rows are checked as arrays and sent in binary (array_send, base64), never taken
-- through jsonb, which would turn each number into a numeric and back into text.

-- s3vl._metadata_bytes
-- jsonb's text adds one space after each ':' and ','; metadata is flat (scalars and lists of
-- scalars), so those separators can be counted from the structure.
CREATE OR REPLACE FUNCTION s3vl._metadata_bytes(metadata jsonb)
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pg_catalog.octet_length(metadata::text)
           - coalesce((SELECT pg_catalog.sum(1 + CASE WHEN pg_catalog.jsonb_typeof(e.value) = 'array'
                                                 THEN greatest(pg_catalog.jsonb_array_length(e.value) - 1, 0)
                                                 ELSE 0 END)::integer
                       FROM pg_catalog.jsonb_each(metadata) AS e), 0)
           - greatest((SELECT pg_catalog.count(*)::integer FROM pg_catalog.jsonb_object_keys(metadata)) - 1, 0)
$$;
COMMENT ON FUNCTION s3vl._metadata_bytes(jsonb) IS
    'Private: bytes of a flat metadata object as compact JSON, the size S3 Vectors limits';

-- s3vl._item_argument
CREATE OR REPLACE FUNCTION s3vl._item_argument(form text, field text, n bigint)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN form = 'arrays'
                THEN pg_catalog.format('%s[%s]', CASE field WHEN 'key' THEN 'keys'
                                                            WHEN 'data' THEN 'vectors'
                                                            ELSE 'metadata' END, n)
                ELSE pg_catalog.format('vectors[%s].%s', n - 1, field) END
$$;
COMMENT ON FUNCTION s3vl._item_argument(text, text, bigint) IS
    'Private: how an error names one item: keys[3], vectors[3] or metadata[3] in the array form (1-based, as SQL arrays), vectors[2].key in the jsonb form (0-based, as JSON)';

-- s3vl._check_put_items
-- items holds each vector's key and metadata, and its data in the jsonb form; the arrays form's
-- data is vectors, one row per item (a two-dimensional real[]).
-- A put plans it for each call (s3vl._put_items' SET), a sync trigger's one-row call does not.
CREATE OR REPLACE FUNCTION s3vl._check_put_items(
    fn text, form text, items jsonb, arn text, dimension integer, distance_metric text, label text,
    vectors real[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_bad record;
    v_hidden jsonb;
    v_first_dimension integer;
    v_lower integer := pg_catalog.array_lower(vectors, 1);
    v_max real;
    v_some_not_finite boolean := false;
BEGIN
    IF vectors IS NULL THEN
        -- Without a registered dimension, every vector must match the first one.
        SELECT pg_catalog.jsonb_array_length(e.item -> 'data') INTO v_first_dimension
        FROM pg_catalog.jsonb_array_elements(items) AS e(item)
        WHERE pg_catalog.jsonb_typeof(e.item -> 'data') = 'array' LIMIT 1;
    ELSE
        v_first_dimension := pg_catalog.array_length(vectors, 2);
        v_max := s3vl._limit('float32_max');
        -- One pass over every element: only NaN and +Infinity compare above the largest
        -- float32, only -Infinity below its negative, and a NULL element leaves the answer
        -- unknown. The rows are looked at one by one only when some element is one of those.
        v_some_not_finite := (v_max < ANY (vectors) OR -v_max > ANY (vectors)) IS NOT FALSE;
    END IF;

    -- Each item's facts are computed once (the data arrays are large), then turned into the
    -- first problem found, in item order.
    WITH item AS MATERIALIZED (
        SELECT e.n, e.item -> 'key' AS k, e.item -> 'data' AS d, e.item -> 'metadata' AS m,
               (v_lower + e.n - 1)::integer AS r  -- the item's row of vectors
        FROM pg_catalog.jsonb_array_elements(items) WITH ORDINALITY AS e(item, n)
    ), fact AS MATERIALIZED (
        SELECT i.n, pg_catalog.jsonb_typeof(i.k) AS key_type,
               pg_catalog.length(i.k #>> '{}') AS key_length,
               CASE WHEN vectors IS NOT NULL THEN 'array' ELSE pg_catalog.jsonb_typeof(i.d) END AS data_type,
               CASE WHEN vectors IS NOT NULL THEN v_first_dimension
                    WHEN pg_catalog.jsonb_typeof(i.d) = 'array' THEN pg_catalog.jsonb_array_length(i.d) END AS data_length,
               CASE WHEN vectors IS NOT NULL
                    THEN v_some_not_finite
                         AND (v_max < ANY (vectors[i.r:i.r]) OR -v_max > ANY (vectors[i.r:i.r])) IS NOT FALSE
                    ELSE pg_catalog.jsonb_typeof(i.d) = 'array'
                         AND pg_catalog.jsonb_path_exists(i.d, '$[*] ? (@.type() != "number")') END AS non_numeric,
               -- real[] input is float32 already; JSON input may hold any number.
               form = 'jsonb' AND pg_catalog.jsonb_typeof(i.d) = 'array'
                   AND pg_catalog.jsonb_path_exists(i.d, '$[*] ? (@.type() == "number" && (@ > $max || @ < -$max))',
                       pg_catalog.jsonb_build_object('max', s3vl._limit('float32_max'))) AS out_of_range,
               _check_put_items.distance_metric = 'cosine'
                   AND CASE WHEN vectors IS NOT NULL THEN coalesce(real '0' = ALL (vectors[i.r:i.r]), false)
                            ELSE pg_catalog.jsonb_typeof(i.d) = 'array'
                                 AND NOT pg_catalog.jsonb_path_exists(i.d, '$[*] ? (@ != 0)') END AS all_zero,
               pg_catalog.jsonb_typeof(i.m) AS metadata_type,
               pg_catalog.jsonb_typeof(i.m) = 'object'
                   AND pg_catalog.jsonb_path_exists(i.m,
                       'lax $.* ? (@.type() == "object" || @.type() == "array" || @.type() == "null")') AS metadata_nested,
               -- jsonb keeps any number (1e400 is 401 digits); S3 Vectors and the bridge hold
               -- float64, so anything past its largest finite value would be mangled or refused.
               pg_catalog.jsonb_typeof(i.m) = 'object'
                   AND pg_catalog.jsonb_path_exists(i.m, 'strict $.** ? (@.type() == "number" && (@ > $max || @ < -$max))',
                       pg_catalog.jsonb_build_object('max', s3vl._limit('float64_max'))) AS metadata_out_of_range,
               CASE WHEN pg_catalog.jsonb_typeof(i.m) = 'object'
                    THEN (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(i.m)) END AS metadata_keys,
               -- jsonb's text is never shorter than compact JSON: only past the limit as text is
               -- the exact size worth counting (s3vl._metadata_bytes walks the object).
               CASE WHEN pg_catalog.jsonb_typeof(i.m) = 'object'
                         AND pg_catalog.octet_length(i.m::text) > s3vl._limit('metadata_bytes')
                    THEN s3vl._metadata_bytes(i.m) END AS metadata_bytes,
               i.k #>> '{}' AS key,
               pg_catalog.min(i.n) OVER (PARTITION BY i.k #>> '{}') AS first_n
        FROM item AS i
    )
    SELECT f.n, problem.field, problem.message, problem.hint INTO v_bad
    FROM fact AS f
    CROSS JOIN LATERAL (VALUES
        (1, 'key', CASE WHEN f.key_type IS DISTINCT FROM 'string' THEN 'is NULL or not a string' END,
         pg_catalog.format('Every vector needs a key: a string of 1 to %s characters.', s3vl._limit('key_length'))),
        (2, 'key', CASE WHEN f.key_type = 'string' AND f.key_length NOT BETWEEN 1 AND s3vl._limit('key_length')
                        THEN pg_catalog.format('is %s characters long; keys are 1 to %s characters',
                                               f.key_length, s3vl._limit('key_length')) END,
         'Shorten the key, or hash long identifiers into a key.'),
        (3, 'key', CASE WHEN f.key_type = 'string' AND f.n > f.first_n
                        THEN pg_catalog.format('repeats key %L, first given at %s', f.key,
                                               s3vl._item_argument(form, 'key', f.first_n)) END,
         'Send each key once: the later one would overwrite the earlier.'),
        (4, 'data', CASE WHEN f.data_type IS DISTINCT FROM 'array' OR f.data_length = 0
                         THEN 'is NULL or not an array of numbers' END,
         'Pass the embedding as an array of numbers, one per dimension.'),
        (5, 'data', CASE WHEN f.non_numeric THEN 'contains NULL, NaN, infinite or non-numeric elements' END,
         'Every element must be a finite number.'),
        (6, 'data', CASE WHEN f.out_of_range THEN 'holds a value outside the float32 range' END,
         'S3 Vectors stores float32; scale the embedding into range.'),
        (7, 'data', CASE WHEN f.data_length > s3vl._limit('dimension')
                         THEN pg_catalog.format('has %s elements; S3 Vectors allows at most %s',
                                                f.data_length, s3vl._limit('dimension')) END,
         'Pass an embedding of the index''s dimension.'),
        (8, 'data', CASE WHEN f.data_length <> coalesce(_check_put_items.dimension, v_first_dimension)
                         THEN CASE WHEN _check_put_items.dimension IS NULL
                                   THEN pg_catalog.format('has %s elements but the first vector has %s',
                                            f.data_length, v_first_dimension)
                                   ELSE pg_catalog.format('has %s elements but index %s has dimension %s',
                                            f.data_length, pg_catalog.quote_ident(label), _check_put_items.dimension) END END,
         pg_catalog.format('Pass embeddings of %s elements, made by the index''s model.',
                           coalesce(_check_put_items.dimension, v_first_dimension))),
        (9, 'data', CASE WHEN f.all_zero THEN 'is all zeros, which has no direction for a cosine index' END,
         'Leave the row out, or give it a real embedding.'),
        (10, 'metadata', CASE WHEN f.metadata_type NOT IN ('object', 'null')
                              THEN pg_catalog.format('must be a JSON object, got a JSON %s', f.metadata_type) END,
         'Pass metadata as an object, e.g. ''{"category": "demo"}''::jsonb, or NULL.'),
        (11, 'metadata', CASE WHEN f.metadata_nested THEN 'has a value that is NULL, an object or a nested list' END,
         'Metadata values are strings, numbers, booleans or lists of those; leave NULL values out.'),
        (12, 'metadata', CASE WHEN f.metadata_keys > s3vl._limit('metadata_keys')
                              THEN pg_catalog.format('has %s keys; S3 Vectors allows %s',
                                                     f.metadata_keys, s3vl._limit('metadata_keys')) END,
         pg_catalog.format('Keep at most %s metadata keys per vector.', s3vl._limit('metadata_keys'))),
        (13, 'metadata', CASE WHEN f.metadata_bytes > s3vl._limit('metadata_bytes')
                              THEN pg_catalog.format('is %s bytes; S3 Vectors allows %s per vector',
                                                     f.metadata_bytes, s3vl._limit('metadata_bytes')) END,
         'Keep large text out of metadata: store it in a table and keep its id in metadata.'),
        (14, 'metadata', CASE WHEN f.metadata_out_of_range
                              THEN pg_catalog.format('holds a number beyond the float64 range (absolute value over %s)',
                                                     s3vl._limit('float64_max')::double precision) END,
         'Metadata numbers are stored as float64; store such a value as a string, or scale it.')
    ) AS problem(priority, field, message, hint)
    WHERE problem.message IS NOT NULL
    ORDER BY f.n, problem.priority
    LIMIT 1;

    IF FOUND THEN
        PERFORM s3vl._invalid(fn, s3vl._item_argument(form, v_bad.field, v_bad.n), v_bad.message, v_bad.hint);
    END IF;

    -- Only metadata over the filterable limit can break it: then ask the index which keys are
    -- non-filterable (one describe_index), and check the rest.
    -- Without an ARN (a sync trigger, which must not invoke) the check waits for the bridge.
    IF arn IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(items) AS e(item)
               WHERE pg_catalog.jsonb_typeof(e.item -> 'metadata') = 'object'
                 AND pg_catalog.octet_length((e.item -> 'metadata')::text) > s3vl._limit('filterable_metadata_bytes')
                 AND s3vl._metadata_bytes(e.item -> 'metadata') > s3vl._limit('filterable_metadata_bytes')) THEN
        v_hidden := coalesce(s3vl._invoke(fn, pg_catalog.jsonb_build_object(
                        'operation', 'describe_index', 'index_arn', arn)) -> 'non_filterable_metadata_keys',
                        '[]'::jsonb);
        SELECT e.n, s3vl._metadata_bytes((e.item -> 'metadata') - ARRAY(
                   SELECT pg_catalog.jsonb_array_elements_text(v_hidden))) AS bytes
        INTO v_bad
        FROM pg_catalog.jsonb_array_elements(items) WITH ORDINALITY AS e(item, n)
        WHERE pg_catalog.jsonb_typeof(e.item -> 'metadata') = 'object'
          AND s3vl._metadata_bytes((e.item -> 'metadata') - ARRAY(
                  SELECT pg_catalog.jsonb_array_elements_text(v_hidden))) > s3vl._limit('filterable_metadata_bytes')
        ORDER BY e.n LIMIT 1;
        IF FOUND THEN
            PERFORM s3vl._invalid(fn, s3vl._item_argument(form, 'metadata', v_bad.n),
                pg_catalog.format('has %s bytes of filterable metadata; S3 Vectors allows %s',
                                  v_bad.bytes, s3vl._limit('filterable_metadata_bytes')),
                'Declare large keys non-filterable when creating the index, or keep them out of metadata.');
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_put_items(text, text, jsonb, text, integer, text, text, real[]) IS
    'Private: every check S3 Vectors would make, on all items (data in items, or the rows of vectors), before any write (key present, within s3vl._limits() and unique; data numbers only, finite, float32, the index''s dimension, not all zeros for cosine; metadata an object of scalars or lists of scalars within the key, size and float64 limits, and the filterable size, asked of the index only when some metadata passes it); raises SQLSTATE 22023 naming the first bad item';

-- s3vl._put_item
-- One vector as put_vectors sends it, data already JSON text. No metadata (NULL, JSON null or
-- {}) is left out: the bridge sends none for it either. STABLE as to_json is, so PostgreSQL
-- inlines it (and s3vl._put_request): a SQL function it runs instead keeps its result in a
-- tuplestore, on disk past work_mem.
CREATE OR REPLACE FUNCTION s3vl._put_item(key text, data text, metadata jsonb)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT '{"key":' || pg_catalog.to_json(key)::text || ',"data":' || data
           || CASE WHEN metadata IS NULL OR metadata IN ('null'::jsonb, '{}'::jsonb) THEN ''
                   ELSE ',"metadata":' || metadata::text END
           || '}'
$$;
COMMENT ON FUNCTION s3vl._put_item(text, text, jsonb) IS
    'Private: the JSON text of one vector of a put_vectors request, {"key", "data", "metadata"}, from its key, its data as JSON text and its metadata';

-- s3vl._vector_data
-- A real[] as a put's data, {"float32_be_base64": base64 of its float32 values, 4 bytes each,
-- big-endian} (docs/bridge.md): exact for every float32 (-0, subnormals, the largest float32)
-- whatever the session's extra_float_digits, 5.3 characters a value where decimal text takes
-- ~11 and base64 of array_send 10.7 (its 4-byte length before each element), so one invocation
-- carries twice the rows of that within Lambda's 6 MB. The bytes come from array_send: after
-- its header (12 bytes, and 8 per dimension) every element is 00000004 and its 4 bytes, so the
-- hex text loses every '00000004' whose '4' is a length's. A match cannot start inside a value
-- and end in a length (its last character would be a length's 0), so the only other match is a
-- value whose bits are 00000004 (the subnormal 5.6e-45): then fewer bytes are left than the
-- vector has values, and float4send of each element is used instead (~6x slower, exact).
-- The caller has refused NULL, NaN and infinite elements. Used by put_vectors' arrays form and
-- by the sync capture, which keeps it in s3vl.outbox.data, so flush sends it as it is.
CREATE OR REPLACE FUNCTION s3vl._vector_data(vector real[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_hex text := pg_catalog.replace(pg_catalog.encode(
        pg_catalog.substr(pg_catalog.array_send(vector), 13 + 8 * pg_catalog.array_ndims(vector)), 'hex'),
        '00000004', '');
    v_bytes bytea;
BEGIN
    IF pg_catalog.octet_length(v_hex) = 8 * pg_catalog.cardinality(vector) THEN
        v_bytes := pg_catalog.decode(v_hex, 'hex');
    ELSE
        v_bytes := (SELECT pg_catalog.string_agg(pg_catalog.float4send(u.x), ''::bytea ORDER BY u.n)
                    FROM pg_catalog.unnest(vector) WITH ORDINALITY AS u(x, n));
    END IF;
    -- encode breaks base64 into lines, which the bridge's strict decoder refuses.
    RETURN '{"float32_be_base64":"' || pg_catalog.replace(pg_catalog.encode(v_bytes, 'base64'), E'\n', '') || '"}';
END
$$;
COMMENT ON FUNCTION s3vl._vector_data(real[]) IS
    'Private: a vector (a 1-D real[] or a row slice) as a put''s data, JSON text {"float32_be_base64": base64 of its big-endian float32 values}, exact for every float32';

-- s3vl._put_item_texts
-- A row of real[] goes out as s3vl._vector_data of the row vectors[r:r]. The jsonb form keeps
-- its JSON numbers: making real[] of them in SQL parses every number again (float4in), which costs
-- more than the bridge saves (issue 11, 10,000 x 768 as bench_write ran them: the jsonb form
-- 15.3-16.0 s so against 14.5-15.6 s as JSON numbers).
CREATE OR REPLACE FUNCTION s3vl._put_item_texts(items jsonb, vectors real[])
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_lower integer := pg_catalog.array_lower(vectors, 1);
BEGIN
    IF vectors IS NULL THEN
        RETURN ARRAY(SELECT s3vl._put_item(e.item ->> 'key', (e.item -> 'data')::text, e.item -> 'metadata')
                     FROM pg_catalog.jsonb_array_elements(items) WITH ORDINALITY AS e(item, n)
                     ORDER BY e.n);
    END IF;
    RETURN ARRAY(SELECT s3vl._put_item(i.item ->> 'key', s3vl._vector_data(vectors[i.r:i.r]),
                                       i.item -> 'metadata')
                 FROM (SELECT e.n, e.item, (v_lower + e.n - 1)::integer AS r
                       FROM pg_catalog.jsonb_array_elements(items) WITH ORDINALITY AS e(item, n)) AS i
                 ORDER BY i.n);
END
$$;
COMMENT ON FUNCTION s3vl._put_item_texts(jsonb, real[]) IS
    'Private: the JSON text of each checked put item, in order (s3vl._put_item): data from the item (jsonb form) or its row of vectors (arrays form, exact, as s3vl._vector_data of the row)';

-- s3vl._put_batches
-- Items (their JSON text, in order, from 1) go out in runs, one invocation each, within
-- s3vl._limit('put_batch') (the bridge writes a run as PutVectors of 500, three at once) and
-- Lambda's request payload: an item counts its bytes and a comma, and 16 KiB are kept for the
-- operation, the ARN and the brackets. Greedy: a batch closes when the next item would not fit.
-- The items are walked with FOREACH: unnest in a FROM clause would first copy them all into a
-- tuplestore (to disk, past work_mem).
CREATE OR REPLACE FUNCTION s3vl._put_batches(items text[])
RETURNS TABLE (batch integer, first_item integer, last_item integer)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_budget constant integer := s3vl._limit('lambda_request_bytes') - 16384;
    v_most constant integer := s3vl._limit('put_batch');
    v_item text;
    v_size integer;
    v_n integer := 0;
    v_count integer := 0;
    v_bytes bigint := 0;
BEGIN
    batch := 0;
    FOREACH v_item IN ARRAY items LOOP
        v_size := pg_catalog.octet_length(v_item) + 1;
        v_n := v_n + 1;
        IF v_count = v_most OR (v_count > 0 AND v_bytes + v_size > v_budget) THEN
            last_item := v_n - 1;
            RETURN NEXT;
            v_count := 0;
            v_bytes := 0;
        END IF;
        IF v_count = 0 THEN
            batch := batch + 1;
            first_item := v_n;
        END IF;
        v_count := v_count + 1;
        v_bytes := v_bytes + v_size;
    END LOOP;
    IF v_count > 0 THEN
        last_item := v_n;
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._put_batches(text[]) IS
    'Private: cuts put items (their JSON text), in order, into runs first_item..last_item, each one invocation within s3vl._limit put_batch and lambda_request_bytes';

-- s3vl._put_request
-- Written as text from the items' own JSON; the cast to json checks that it is JSON, and
-- s3vl._invoke_json sends it as written.
CREATE OR REPLACE FUNCTION s3vl._put_request(arn text, items text[])
RETURNS json
LANGUAGE sql STABLE
AS $$
    SELECT ('{"operation":"put_vectors","index_arn":' || pg_catalog.to_json(arn)::text
            || ',"vectors":[' || pg_catalog.array_to_string(items, ',') || ']}')::json
$$;
COMMENT ON FUNCTION s3vl._put_request(text, text[]) IS
    'Private: the put_vectors request of one batch: its items (JSON text, s3vl._put_item) for the index ARN';

-- s3vl._send_put, one PutVectors per invocation until 0.2.0's batches of three (s3vl._put_items
-- reads the invocation's envelope itself now, for a PartialWrite's written keys).
DROP FUNCTION IF EXISTS s3vl._send_put(text, text, text[]);

-- s3vl._send_delete
CREATE OR REPLACE FUNCTION s3vl._send_delete(fn text, arn text, keys text[])
RETURNS integer
LANGUAGE sql VOLATILE
AS $$
    SELECT (s3vl._invoke(fn, pg_catalog.jsonb_build_object(
                'operation', 'delete_vectors', 'index_arn', arn, 'vector_ids', pg_catalog.to_jsonb(keys))) ->> 'deleted_count')::integer
$$;
COMMENT ON FUNCTION s3vl._send_delete(text, text, text[]) IS
    'Private: one delete_vectors invocation (at most s3vl._limit(''delete_keys'') keys); returns how many were deleted';

-- s3vl._raise_partial
-- S3 Vectors is not transactional: what earlier batches (and chunks of the failed one) wrote
-- stays written when the SQL transaction rolls back, so the error says so.
CREATE OR REPLACE FUNCTION s3vl._raise_partial(
    fn text, verb text, state text, message text, detail text, hint text,
    batch bigint, batch_count bigint, done integer, first_key_left text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF done = 0 THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = coalesce(detail, ''),
                              HINT = coalesce(hint, '');
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message,
        DETAIL = pg_catalog.format('Batch %s of %s failed; %s vectors were %s all the same and stay so (S3 Vectors is not transactional); the first key not %s is %L. %s',
                                   batch, batch_count, done, verb, verb, first_key_left, coalesce(detail, '')),
        HINT = pg_catalog.format('Run the same call again once the cause is fixed: repeating it is safe. %s', coalesce(hint, ''));
END
$$;
COMMENT ON FUNCTION s3vl._raise_partial(text, text, text, text, text, text, bigint, bigint, integer, text) IS
    'Private: re-raises the error of a failed batch with how many vectors were written all the same (by the batches before it, and by chunks of it) and the first key not written';

-- s3vl._put_items
-- Its queries, and those of the functions it calls, are planned for each call: after five calls
-- in a session plpgsql may keep a generic plan, in which vectors stays a parameter and each
-- row's slice vectors[r:r] (s3vl._check_put_items, s3vl._put_item_texts) reads the whole array
-- again. A put of 5,000 x 768 after a few small ones spent 3.5 s in each in place of 0.25 s
-- (issue 11). Not on s3vl._check_put_items itself: a sync trigger calls it once per row, where
-- planning each call would cost more than it saves.
CREATE OR REPLACE FUNCTION s3vl._put_items(fn text, form text, index_name text, items jsonb,
                                           vectors real[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_index record;
    v_texts text[];
    v_batch record;
    v_part text[];
    v_envelope jsonb;
    v_partly text[];
    v_done integer := 0;
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index(fn, index_name, NULL);
    PERFORM s3vl._check_put_items(fn, form, items, v_index.arn, v_index.dimension,
                                  v_index.distance_metric, v_index.label, vectors);
    v_texts := s3vl._put_item_texts(items, vectors);
    FOR v_batch IN SELECT b.*, pg_catalog.count(*) OVER () AS batch_count
                   FROM s3vl._put_batches(v_texts) AS b LOOP
        -- Element by element: a slice v_texts[first:last] of a variable's (expanded) array
        -- copies the whole array first, and unnest in FROM copies it into a tuplestore.
        v_part := '{}';
        FOR v_n IN v_batch.first_item .. v_batch.last_item LOOP
            v_part := v_part || v_texts[v_n];
        END LOOP;
        v_partly := '{}';
        BEGIN
            v_envelope := s3vl._invoke_envelope(fn, s3vl._put_request(v_index.arn, v_part));
            IF (v_envelope ->> 'success') IS DISTINCT FROM 'true' THEN
                v_partly := s3vl._partly_done(v_envelope);
                PERFORM s3vl._raise_lambda_error(fn, v_envelope);
            END IF;
            v_done := v_done + (v_envelope #>> '{result,written_count}')::integer;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
            -- The first key of the batch the bridge did not say it wrote.
            PERFORM s3vl._raise_partial(fn, 'written', v_state, v_message, v_detail, v_hint,
                v_batch.batch, v_batch.batch_count, v_done + pg_catalog.cardinality(v_partly),
                (SELECT items -> (n - 1) ->> 'key'
                 FROM pg_catalog.generate_series(v_batch.first_item, v_batch.last_item) AS n
                 WHERE (items -> (n - 1) ->> 'key') <> ALL (v_partly)
                 ORDER BY n LIMIT 1));
        END;
    END LOOP;
    RETURN v_done;
END
$$;
COMMENT ON FUNCTION s3vl._put_items(text, text, text, jsonb, real[]) IS
    'Private: the body of both put_vectors forms (items with their data, or keys and metadata as items and the rows of vectors): checks them, then writes them in batches (s3vl._put_batches); returns how many were written';

-- s3vl.put_vectors
CREATE OR REPLACE FUNCTION s3vl.put_vectors(
    index_name text,
    keys text[],
    vectors real[],
    metadata jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_items jsonb;
BEGIN
    IF keys IS NULL OR pg_catalog.cardinality(keys) = 0 OR pg_catalog.array_ndims(keys) <> 1 THEN
        PERFORM s3vl._invalid('put_vectors', 'keys', 'must be a non-empty one-dimensional array',
            'Pass the keys as ARRAY[''doc-1'', ''doc-2''], one per row of vectors.');
    END IF;
    IF vectors IS NULL OR pg_catalog.cardinality(vectors) = 0 OR pg_catalog.array_ndims(vectors) <> 2 THEN
        PERFORM s3vl._invalid('put_vectors', 'vectors',
            pg_catalog.format('must be a two-dimensional array, one row per key; got %s',
                CASE WHEN vectors IS NULL THEN 'NULL'
                     ELSE pg_catalog.format('%s dimension(s)', coalesce(pg_catalog.array_ndims(vectors), 0)) END),
            'Pass ARRAY[[0.1, 0.2, ...], [0.3, 0.4, ...]]::real[], or array_agg of real[] columns.');
    END IF;
    IF pg_catalog.array_length(vectors, 1) <> pg_catalog.array_length(keys, 1) THEN
        PERFORM s3vl._invalid('put_vectors', 'vectors',
            pg_catalog.format('has %s rows but keys has %s elements',
                pg_catalog.array_length(vectors, 1), pg_catalog.array_length(keys, 1)),
            'Pass exactly one vector row per key, in the same order.');
    END IF;
    IF metadata IS NOT NULL AND (pg_catalog.array_ndims(metadata) IS DISTINCT FROM 1
            OR pg_catalog.array_length(metadata, 1) <> pg_catalog.array_length(keys, 1)) THEN
        PERFORM s3vl._invalid('put_vectors', 'metadata',
            pg_catalog.format('has %s elements but keys has %s',
                coalesce(pg_catalog.cardinality(metadata), 0), pg_catalog.array_length(keys, 1)),
            'Pass one metadata object (or NULL) per key, or leave metadata out.');
    END IF;

    -- Keys and metadata become the items; the rows stay real[] (s3vl._put_items).
    SELECT pg_catalog.jsonb_agg(
               pg_catalog.jsonb_build_object('key', k.key)
               || CASE WHEN m.meta IS NULL OR m.meta = 'null'::jsonb THEN '{}'::jsonb
                       ELSE pg_catalog.jsonb_build_object('metadata', m.meta) END
               ORDER BY k.n)
    INTO v_items
    FROM pg_catalog.unnest(keys) WITH ORDINALITY AS k(key, n)
    LEFT JOIN pg_catalog.unnest(metadata) WITH ORDINALITY AS m(meta, n) ON m.n = k.n;

    RETURN s3vl._put_items('put_vectors', 'arrays', index_name, v_items, vectors);
END
$$;
COMMENT ON FUNCTION s3vl.put_vectors(text, text[], real[], jsonb[]) IS
    'Writes (or overwrites) vectors in an index (name or ARN): keys[i] gets row i of the 2-D vectors array and metadata[i]; all checked first, sent in batches of <= 1500 and < 6 MB (each written by the bridge as PutVectors of <= 500 at once); returns the count written';

-- s3vl.put_vectors (jsonb form)
-- The put-vectors file format, so INSERT ... SELECT-style loads are one call:
--   SELECT s3vl.put_vectors('docs', jsonb_agg(jsonb_build_object('key', id, 'data', emb))) FROM t;
CREATE OR REPLACE FUNCTION s3vl.put_vectors(index_name text, vectors jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bad record;
    v_items jsonb;
BEGIN
    IF vectors IS NULL OR pg_catalog.jsonb_typeof(vectors) <> 'array'
       OR pg_catalog.jsonb_array_length(vectors) = 0 THEN
        PERFORM s3vl._invalid('put_vectors', 'vectors',
            pg_catalog.format('must be a non-empty JSON array of {key, data, metadata}; got %s',
                coalesce('a JSON ' || pg_catalog.jsonb_typeof(vectors), 'NULL')),
            'Pass e.g. ''[{"key": "doc-1", "data": [0.1, 0.2], "metadata": {"lang": "en"}}]''::jsonb.');
    END IF;
    SELECT e.n, CASE WHEN pg_catalog.jsonb_typeof(e.item) <> 'object'
                     THEN pg_catalog.format('must be an object {key, data, metadata}, got a JSON %s',
                                            pg_catalog.jsonb_typeof(e.item))
                     ELSE pg_catalog.format('has unknown field(s) %s',
                              (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(f), ', ')
                               FROM pg_catalog.jsonb_object_keys(e.item) AS f
                               WHERE f NOT IN ('key', 'data', 'metadata'))) END AS message
    INTO v_bad
    FROM pg_catalog.jsonb_array_elements(vectors) WITH ORDINALITY AS e(item, n)
    WHERE pg_catalog.jsonb_typeof(e.item) <> 'object'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(e.item) AS f
                  WHERE f NOT IN ('key', 'data', 'metadata'))
    ORDER BY e.n LIMIT 1;
    IF FOUND THEN
        PERFORM s3vl._invalid('put_vectors', pg_catalog.format('vectors[%s]', v_bad.n - 1), v_bad.message,
            'Each element is {"key": "...", "data": [numbers], "metadata": {...}} (metadata optional).');
    END IF;

    -- The put-vectors file wraps data as {"float32": [...]}; unwrap it, drop null metadata.
    SELECT pg_catalog.jsonb_agg(
               pg_catalog.jsonb_build_object('key', e.item -> 'key', 'data',
                   CASE WHEN pg_catalog.jsonb_typeof(e.item -> 'data') = 'object'
                             AND e.item -> 'data' ? 'float32'
                             AND (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(e.item -> 'data')) = 1
                        THEN e.item -> 'data' -> 'float32' ELSE e.item -> 'data' END)
               || CASE WHEN coalesce(e.item -> 'metadata', 'null'::jsonb) = 'null'::jsonb THEN '{}'::jsonb
                       ELSE pg_catalog.jsonb_build_object('metadata', e.item -> 'metadata') END
               ORDER BY e.n)
    INTO v_items
    FROM pg_catalog.jsonb_array_elements(vectors) WITH ORDINALITY AS e(item, n);

    RETURN s3vl._put_items('put_vectors', 'jsonb', index_name, v_items, NULL);
END
$$;
COMMENT ON FUNCTION s3vl.put_vectors(text, jsonb) IS
    'Writes (or overwrites) vectors given as one JSON array of {key, data, metadata} (the put-vectors file format; data may also be {"float32": [...]}) in an index (name or ARN); all checked first, sent in batches; returns the count written';

-- s3vl.delete_vectors
CREATE OR REPLACE FUNCTION s3vl.delete_vectors(index_name text, keys text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_bad record;
    v_batch record;
    v_count bigint;
    v_most constant integer := s3vl._limit('delete_keys');
    v_done integer := 0;
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('delete_vectors', index_name, NULL);
    IF keys IS NULL OR pg_catalog.cardinality(keys) = 0 OR pg_catalog.array_ndims(keys) <> 1 THEN
        PERFORM s3vl._invalid('delete_vectors', 'keys', 'must be a non-empty one-dimensional array',
            'Pass the keys as ARRAY[''doc-1'', ''doc-2''].');
    END IF;
    SELECT k.n, k.key INTO v_bad
    FROM pg_catalog.unnest(keys) WITH ORDINALITY AS k(key, n)
    WHERE k.key IS NULL OR pg_catalog.length(k.key) NOT BETWEEN 1 AND s3vl._limit('key_length')
    ORDER BY k.n LIMIT 1;
    IF FOUND THEN
        PERFORM s3vl._invalid('delete_vectors', pg_catalog.format('keys[%s]', v_bad.n),
            CASE WHEN v_bad.key IS NULL THEN 'is NULL'
                 ELSE pg_catalog.format('is %s characters long; keys are 1 to %s characters',
                                        pg_catalog.length(v_bad.key), s3vl._limit('key_length')) END,
            'Remove NULL, empty and over-long keys from the array.');
    END IF;

    -- Each key once, in first-seen order; DeleteVectors' most keys per invocation.
    SELECT pg_catalog.count(DISTINCT k.key) INTO v_count FROM pg_catalog.unnest(keys) AS k(key);
    v_count := (v_count + v_most - 1) / v_most;
    FOR v_batch IN
        SELECT (u.rank - 1) / v_most + 1 AS batch, pg_catalog.array_agg(u.key ORDER BY u.rank) AS keys
        FROM (SELECT f.key, pg_catalog.row_number() OVER (ORDER BY f.first_n) AS rank
              FROM (SELECT k.key, pg_catalog.min(k.n) AS first_n
                    FROM pg_catalog.unnest(keys) WITH ORDINALITY AS k(key, n) GROUP BY k.key) AS f) AS u
        GROUP BY 1 ORDER BY 1
    LOOP
        BEGIN
            v_done := v_done + s3vl._send_delete('delete_vectors', v_index.arn, v_batch.keys);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
            PERFORM s3vl._raise_partial('delete_vectors', 'deleted', v_state, v_message, v_detail,
                                        v_hint, v_batch.batch, v_count, v_done, v_batch.keys[1]);
        END;
    END LOOP;
    RETURN v_done;
END
$$;
COMMENT ON FUNCTION s3vl.delete_vectors(text, text[]) IS
    'Deletes keys from an index (name or ARN), 500 per invocation; unknown keys are not an error, as in S3 Vectors; returns the count of distinct keys deleted';
