-- Full-text and hybrid search (S3 Vectors' queryTexts, ENHANCED indexes): s3vl.search_text (BM25
-- over searchable metadata keys) and s3vl.hybrid_search (a query vector and texts, fused by RRF),
-- scores as columns; the searchable keys the registry knows (s3vl.searchable_keys), and their
-- administration (add_searchable_keys, remove_searchable_keys, set_index_mode,
-- refresh_text_search). query_texts is a JSON object {"title": "red running shoes"} (metadata
-- key -> words), or an array [{"metadata_key": "title", "text": "..."}]; the registry's
-- s3vl.index_text_search lets a wrong key or a CLASSIC index fail here, before any invocation.

-- s3vl._record_text_search
CREATE OR REPLACE FUNCTION s3vl._record_text_search(index_name text, index_arn text, described jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO s3vl.index_text_search AS t (index_name, index_arn, index_mode, searchable_keys)
    SELECT _record_text_search.index_name, _record_text_search.index_arn,
           described ->> 'index_mode',
           coalesce((SELECT pg_catalog.jsonb_object_agg(c ->> 'metadata_key',
                         pg_catalog.jsonb_build_object('language', c -> 'language', 'status', c -> 'status'))
                     FROM pg_catalog.jsonb_array_elements(
                         coalesce(described -> 'text_search_configurations', '[]'::jsonb)) AS c),
                    '{}'::jsonb)
    ON CONFLICT (index_name) DO UPDATE SET
        index_arn = EXCLUDED.index_arn,
        index_mode = EXCLUDED.index_mode,
        searchable_keys = EXCLUDED.searchable_keys,
        described_at = pg_catalog.now()
$$;
COMMENT ON FUNCTION s3vl._record_text_search(text, text, jsonb) IS
    'Private: records what describe_index (or an administration call) answered for a registered index: its mode and searchable keys with language and status';

-- s3vl._text_search_of
-- A registered index's mode and searchable keys, described once and kept; NULLs for an index
-- known only by its ARN (S3 Vectors then checks the keys itself).
CREATE OR REPLACE FUNCTION s3vl._text_search_of(fn text, label text, arn text, refresh boolean)
RETURNS TABLE (index_mode text, searchable_keys jsonb)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_known s3vl.index_text_search;
BEGIN
    IF label = arn THEN
        RETURN QUERY SELECT NULL::text, NULL::jsonb;
        RETURN;
    END IF;
    SELECT t.* INTO v_known FROM s3vl.index_text_search AS t
    WHERE t.index_name = label AND t.index_arn = arn;
    IF NOT FOUND OR refresh THEN
        PERFORM s3vl._record_text_search(label, arn, s3vl._invoke(fn,
            pg_catalog.jsonb_build_object('operation', 'describe_index', 'index_arn', arn)));
        SELECT t.* INTO v_known FROM s3vl.index_text_search AS t WHERE t.index_name = label;
    END IF;
    RETURN QUERY SELECT v_known.index_mode, v_known.searchable_keys;
END
$$;
COMMENT ON FUNCTION s3vl._text_search_of(text, text, text, boolean) IS
    'Private: a registered index''s mode and searchable keys from s3vl.index_text_search, asked of the bridge (describe_index) the first time or when refresh is true; NULLs for an unregistered ARN';

-- s3vl._query_texts
-- The checks that need no registry; returns the bridge's query_texts ([{metadata_key, text}]).
CREATE OR REPLACE FUNCTION s3vl._query_texts(fn text, query_texts jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_kind text := pg_catalog.jsonb_typeof(query_texts);
    v_entries jsonb := '[]'::jsonb;
    v_entry record;
    v_place text;
    v_key text;
    v_text jsonb;
    v_count integer;
    v_hint constant text := 'Pass searchable metadata keys and the words to look for: ''{"title": "red running shoes"}''::jsonb.';
    v_array_hint constant text := 'Pass [{"metadata_key": "title", "text": "red running shoes"}], or the object form {"title": "red running shoes"}.';
BEGIN
    IF query_texts IS NULL OR v_kind NOT IN ('object', 'array') THEN
        PERFORM s3vl._invalid(fn, 'query_texts',
            pg_catalog.format('must be a JSON object or array, got %s', coalesce(v_kind, 'NULL')), v_hint);
    END IF;
    v_count := CASE v_kind WHEN 'object' THEN (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(query_texts))
                           ELSE pg_catalog.jsonb_array_length(query_texts) END;
    IF v_count NOT BETWEEN 1 AND s3vl._limit('query_texts') THEN
        PERFORM s3vl._invalid(fn, 'query_texts',
            pg_catalog.format('has %s entries; 1 to %s are allowed, one per searchable key', v_count, s3vl._limit('query_texts')),
            'Search at most 10 keys at once; put all the words for one key in its one text.');
    END IF;
    FOR v_entry IN
        SELECT e.key AS json_key, e.value, NULL::bigint AS n
        FROM pg_catalog.jsonb_each(CASE WHEN v_kind = 'object' THEN query_texts END) AS e
        UNION ALL
        SELECT NULL, a.value, a.n - 1
        FROM pg_catalog.jsonb_array_elements(CASE WHEN v_kind = 'array' THEN query_texts END)
             WITH ORDINALITY AS a(value, n)
        ORDER BY 3, 1
    LOOP
        IF v_kind = 'object' THEN
            v_key := v_entry.json_key;
            v_text := v_entry.value;
            v_place := 'query_texts.' || v_key;
        ELSE
            v_place := pg_catalog.format('query_texts[%s]', v_entry.n);
            -- Each test apart: jsonb_object_keys fails on anything but an object.
            IF pg_catalog.jsonb_typeof(v_entry.value) IS DISTINCT FROM 'object' THEN
                PERFORM s3vl._invalid(fn, v_place, 'must be an object {"metadata_key": ..., "text": ...}', v_array_hint);
            END IF;
            IF pg_catalog.jsonb_typeof(v_entry.value -> 'metadata_key') IS DISTINCT FROM 'string' THEN
                PERFORM s3vl._invalid(fn, v_place || '.metadata_key', 'must be a string', v_array_hint);
            END IF;
            IF EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(v_entry.value) AS k
                       WHERE k NOT IN ('metadata_key', 'text')) THEN
                PERFORM s3vl._invalid(fn, v_place, 'may hold only metadata_key and text', v_array_hint);
            END IF;
            v_key := v_entry.value ->> 'metadata_key';
            v_text := v_entry.value -> 'text';
            IF v_entries @> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('metadata_key', v_key)) THEN
                PERFORM s3vl._invalid(fn, v_place || '.metadata_key',
                    pg_catalog.format('names %L a second time', v_key),
                    'Query each searchable key at most once; put all its words in one text.');
            END IF;
        END IF;
        IF pg_catalog.length(v_key) NOT BETWEEN 1 AND s3vl._limit('metadata_key_length') THEN
            PERFORM s3vl._invalid(fn, CASE WHEN v_kind = 'object' THEN 'query_texts' ELSE v_place || '.metadata_key' END,
                pg_catalog.format('has a metadata key of %s characters; 1 to %s are allowed',
                    pg_catalog.length(v_key), s3vl._limit('metadata_key_length')), v_hint);
        END IF;
        IF v_kind = 'array' THEN
            v_place := v_place || '.text';
        END IF;
        IF pg_catalog.jsonb_typeof(v_text) IS DISTINCT FROM 'string' THEN
            PERFORM s3vl._invalid(fn, v_place,
                pg_catalog.format('must be a string of words, got %s', coalesce(pg_catalog.jsonb_typeof(v_text), 'nothing')), v_hint);
        ELSIF pg_catalog.btrim(v_text #>> '{}', E' \t\r\n\f\v') = '' THEN
            PERFORM s3vl._invalid(fn, v_place, 'is empty or blank', 'Give the words to search for.');
        ELSIF pg_catalog.length(v_text #>> '{}') > s3vl._limit('query_text_length') THEN
            PERFORM s3vl._invalid(fn, v_place,
                pg_catalog.format('is %s characters long; at most %s are allowed',
                    pg_catalog.length(v_text #>> '{}'), s3vl._limit('query_text_length')),
                'Shorten the text to its most telling words.');
        END IF;
        v_entries := v_entries || pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('metadata_key', v_key, 'text', v_text));
    END LOOP;
    RETURN v_entries;
END
$$;
COMMENT ON FUNCTION s3vl._query_texts(text, jsonb) IS
    'Private: checks query_texts (an object key -> words, or an array of {metadata_key, text}; 1 to 10, each key once, texts of 1 to 1,024 characters, not blank; SQLSTATE 22023 naming the entry) and returns them as the bridge''s [{metadata_key, text}]';

-- s3vl._check_text_search
-- What the registry knows: each key searchable, and the query ENHANCED.
CREATE OR REPLACE FUNCTION s3vl._check_text_search(
    fn text, label text, entries jsonb, query_texts jsonb, index_mode text, searchable_keys jsonb,
    query_mode text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_entry record;
BEGIN
    IF coalesce(query_mode, index_mode) = 'CLASSIC' THEN
        PERFORM s3vl._invalid(fn, CASE WHEN query_mode IS NULL THEN 'query_texts' ELSE 'query_mode' END,
            pg_catalog.format('asks for full-text search of a CLASSIC query; index %s is %s and full-text and hybrid search need ENHANCED',
                label, coalesce(index_mode, 'of unknown mode')),
            pg_catalog.format('Pass query_mode => ''ENHANCED'', or as s3vl_admin switch the index: SELECT s3vl.set_index_mode(%L, ''ENHANCED'');', label));
    END IF;
    IF searchable_keys IS NULL THEN
        RETURN;
    END IF;
    FOR v_entry IN
        SELECT e.value ->> 'metadata_key' AS key, e.n - 1 AS n
        FROM pg_catalog.jsonb_array_elements(entries) WITH ORDINALITY AS e(value, n)
    LOOP
        IF NOT searchable_keys ? v_entry.key THEN
            PERFORM s3vl._invalid(fn,
                CASE WHEN pg_catalog.jsonb_typeof(query_texts) = 'object' THEN 'query_texts.' || v_entry.key
                     ELSE pg_catalog.format('query_texts[%s].metadata_key', v_entry.n) END,
                pg_catalog.format('names %L, which is not a searchable key of index %s (searchable: %s)',
                    v_entry.key, label,
                    coalesce((SELECT pg_catalog.string_agg(k, ', ' ORDER BY k)
                              FROM pg_catalog.jsonb_object_keys(searchable_keys) AS k), 'none')),
                pg_catalog.format('Make it searchable with SELECT * FROM s3vl.add_searchable_keys(%L, ARRAY[%L]); if that was done outside s3vl, run SELECT * FROM s3vl.refresh_text_search(%L);',
                    label, v_entry.key, label));
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION s3vl._check_text_search(text, text, jsonb, jsonb, text, jsonb, text) IS
    'Private: refuses (22023, naming the argument) a query_texts key the registry does not list as searchable, and full-text search of a CLASSIC query; an index of unknown keys passes to S3 Vectors';

-- s3vl._text_query
-- The bridge request of search_text and hybrid_search, every argument checked.
CREATE OR REPLACE FUNCTION s3vl._text_query(
    fn text, query_vector double precision[], query_texts jsonb, index_name text, index_arn text,
    top_k integer, return_metadata boolean, metadata_filter jsonb, query_mode text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_index record;
    v_entries jsonb;
    v_options jsonb;
    v_known record;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index(fn, index_name, index_arn);
    IF fn = 'hybrid_search' THEN
        PERFORM s3vl._check_vector(fn, 'query_vector', query_vector, v_index.dimension, v_index.label);
    END IF;
    v_entries := s3vl._query_texts(fn, query_texts);
    v_options := s3vl._query_options(fn, top_k, return_metadata, metadata_filter, query_mode);
    SELECT * INTO v_known FROM s3vl._text_search_of(fn, v_index.label, v_index.arn, false);
    PERFORM s3vl._check_text_search(fn, v_index.label, v_entries, query_texts, v_known.index_mode,
                                    v_known.searchable_keys, v_options ->> 'query_mode');
    RETURN pg_catalog.jsonb_build_object('operation', 'query_vectors', 'index_arn', v_index.arn,
            'query_texts', v_entries, 'return_scores', true)
        || CASE WHEN fn = 'hybrid_search'
                THEN pg_catalog.jsonb_build_object('query_vector', pg_catalog.to_jsonb(query_vector))
                ELSE pg_catalog.jsonb_build_object('return_distance', false) END
        || v_options;
END
$$;
COMMENT ON FUNCTION s3vl._text_query(text, double precision[], jsonb, text, text, integer, boolean, jsonb, text) IS
    'Private: the query_vectors request of search_text or hybrid_search (fn), after each of their checks: the index, the query vector (hybrid), query_texts, the search options, then the keys and mode the registry knows';

-- s3vl.search_text
CREATE OR REPLACE FUNCTION s3vl.search_text(
    query_texts jsonb,
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, bm25_score double precision, bm25_scores jsonb, metadata jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result jsonb;
BEGIN
    v_result := s3vl._invoke('search_text', s3vl._text_query('search_text', NULL, query_texts,
        index_name, index_arn, top_k, return_metadata, metadata_filter, query_mode));

    RETURN QUERY
    SELECT r.vector_id,
           (SELECT pg_catalog.sum(s.value::double precision) FROM pg_catalog.jsonb_each_text(r.bm25_scores) AS s),
           r.bm25_scores,
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END
    FROM pg_catalog.jsonb_to_recordset(v_result) AS r(vector_id text, bm25_scores jsonb, metadata jsonb);
END
$$;
COMMENT ON FUNCTION s3vl.search_text(jsonb, text, text, integer, boolean, jsonb, text) IS
    'Full-text search (BM25) of searchable metadata keys, most relevant first: query_texts ''{"title": "red running shoes"}'' (up to 10 keys, each once), rows vector_id, bm25_score (the sum over the keys, what ranks them), bm25_scores (per key matched), metadata; metadata_filter applies; the index must be ENHANCED';

-- s3vl.hybrid_search
CREATE OR REPLACE FUNCTION s3vl.hybrid_search(
    query_vector double precision[],
    query_texts jsonb,
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, fused_score double precision, distance double precision,
               similarity_score double precision, bm25_scores jsonb, metadata jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result jsonb;
BEGIN
    v_result := s3vl._invoke('hybrid_search', s3vl._text_query('hybrid_search', query_vector,
        query_texts, index_name, index_arn, top_k, return_metadata, metadata_filter, query_mode));

    RETURN QUERY
    SELECT r.vector_id, r.fused_score, r.distance, r.similarity_score,
           coalesce(r.bm25_scores, '{}'::jsonb),
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END
    FROM pg_catalog.jsonb_to_recordset(v_result)
         AS r(vector_id text, fused_score double precision, distance double precision,
              similarity_score double precision, bm25_scores jsonb, metadata jsonb);
END
$$;
COMMENT ON FUNCTION s3vl.hybrid_search(double precision[], jsonb, text, text, integer, boolean, jsonb, text) IS
    'Hybrid search: the ranking by query_vector and the full-text ranking of query_texts (''{"title": "red running shoes"}''), fused by Reciprocal Rank Fusion; rows vector_id, fused_score, distance and similarity_score (NULL when the vector ranking''s top_k does not hold the row), bm25_scores (per key matched), metadata';

CREATE OR REPLACE FUNCTION s3vl.hybrid_search(
    query_vector real[],
    query_texts jsonb,
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, fused_score double precision, distance double precision,
               similarity_score double precision, bm25_scores jsonb, metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM s3vl.hybrid_search(query_vector::double precision[], query_texts, index_name,
                                     index_arn, top_k, return_metadata, metadata_filter, query_mode)
$$;
COMMENT ON FUNCTION s3vl.hybrid_search(real[], jsonb, text, text, integer, boolean, jsonb, text) IS
    's3vl.hybrid_search for a real[] query vector (a pgvector value cast with ::real[])';

CREATE OR REPLACE FUNCTION s3vl.hybrid_search(
    query_vector numeric[],
    query_texts jsonb,
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL)
RETURNS TABLE (vector_id text, fused_score double precision, distance double precision,
               similarity_score double precision, bm25_scores jsonb, metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT * FROM s3vl.hybrid_search(query_vector::double precision[], query_texts, index_name,
                                     index_arn, top_k, return_metadata, metadata_filter, query_mode)
$$;
COMMENT ON FUNCTION s3vl.hybrid_search(numeric[], jsonb, text, text, integer, boolean, jsonb, text) IS
    's3vl.hybrid_search for a numeric[] query vector, such as ARRAY[0.1, 0.2, 0.3]';

-- s3vl.searchable_keys
CREATE OR REPLACE FUNCTION s3vl.searchable_keys(index_name text)
RETURNS TABLE (metadata_key text, analyzer text, status text, index_mode text,
               described_at timestamp with time zone)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('searchable_keys', searchable_keys.index_name, NULL);
    PERFORM s3vl._text_search_of('searchable_keys', v_index.label, v_index.arn, false);
    RETURN QUERY
    SELECT k.key, coalesce(k.value ->> 'language', 'standard'), k.value ->> 'status', t.index_mode, t.described_at
    FROM s3vl.index_text_search AS t, pg_catalog.jsonb_each(t.searchable_keys) AS k
    WHERE t.index_name = v_index.label
    ORDER BY k.key;
END
$$;
COMMENT ON FUNCTION s3vl.searchable_keys(text) IS
    'The full-text searchable keys of a registered index as the registry knows them (analyzer: the language, or standard; status ACTIVE or BUILDING when last described), with the index mode; described through the bridge the first time';

-- s3vl._check_key_list
CREATE OR REPLACE FUNCTION s3vl._check_key_list(fn text, metadata_keys text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_position integer;
BEGIN
    IF metadata_keys IS NULL OR pg_catalog.cardinality(metadata_keys) NOT BETWEEN 1 AND s3vl._limit('searchable_keys') THEN
        PERFORM s3vl._invalid(fn, 'metadata_keys',
            pg_catalog.format('must hold 1 to %s keys, got %s', s3vl._limit('searchable_keys'),
                coalesce(pg_catalog.cardinality(metadata_keys)::text, 'NULL')),
            'Pass ARRAY[''title'', ''description''].');
    END IF;
    FOR v_position IN 1 .. pg_catalog.cardinality(metadata_keys) LOOP
        IF metadata_keys[v_position] IS NULL
           OR pg_catalog.length(metadata_keys[v_position]) NOT BETWEEN 1 AND s3vl._limit('metadata_key_length') THEN
            PERFORM s3vl._invalid(fn, pg_catalog.format('metadata_keys[%s]', v_position),
                pg_catalog.format('must be a metadata key of 1 to %s characters', s3vl._limit('metadata_key_length')),
                'Name the metadata keys whose text is to be searched.');
        END IF;
        IF metadata_keys[v_position] = ANY (metadata_keys[1:v_position - 1]) THEN
            PERFORM s3vl._invalid(fn, pg_catalog.format('metadata_keys[%s]', v_position),
                pg_catalog.format('names %L a second time', metadata_keys[v_position]), 'Name each key once.');
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION s3vl._check_key_list(text, text[]) IS
    'Private: refuses (22023) a list of metadata keys that is empty, over 10, or holds a NULL, empty, too long or repeated key, naming its place';

-- s3vl._administer_text_search
CREATE OR REPLACE FUNCTION s3vl._administer_text_search(fn text, index_name text, request jsonb)
RETURNS TABLE (metadata_key text, analyzer text, status text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_index record;
    v_described jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index(fn, index_name, NULL);
    v_described := s3vl._invoke(fn, request || pg_catalog.jsonb_build_object('index_arn', v_index.arn));
    IF v_index.label <> v_index.arn THEN
        PERFORM s3vl._record_text_search(v_index.label, v_index.arn, v_described);
    END IF;
    RETURN QUERY
    SELECT c ->> 'metadata_key', coalesce(c ->> 'language', 'standard'), c ->> 'status'
    FROM pg_catalog.jsonb_array_elements(v_described -> 'text_search_configurations') AS c
    ORDER BY 1;
END
$$;
COMMENT ON FUNCTION s3vl._administer_text_search(text, text, jsonb) IS
    'Private: sends an index administration request to the bridge and records the index it answers in the registry; returns its searchable keys';

-- s3vl.add_searchable_keys
CREATE OR REPLACE FUNCTION s3vl.add_searchable_keys(
    index_name text, metadata_keys text[], language text DEFAULT NULL)
RETURNS TABLE (metadata_key text, analyzer text, status text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_known record;
    v_position integer;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('add_searchable_keys', add_searchable_keys.index_name, NULL);
    PERFORM s3vl._check_key_list('add_searchable_keys', metadata_keys);
    IF add_searchable_keys.language IS NOT NULL
       AND add_searchable_keys.language NOT IN ('en', 'fr', 'es', 'pt', 'it', 'de', 'nl', 'zh', 'ja', 'ko') THEN
        PERFORM s3vl._invalid('add_searchable_keys', 'language',
            pg_catalog.format('must be en, fr, es, pt, it, de, nl, zh, ja or ko, got %L', add_searchable_keys.language),
            'Pass language => NULL for the standard analyzer (no stemming, no stop words).');
    END IF;
    SELECT * INTO v_known FROM s3vl._text_search_of('add_searchable_keys', v_index.label, v_index.arn, false);
    FOR v_position IN 1 .. pg_catalog.cardinality(metadata_keys) LOOP
        IF v_known.searchable_keys ? metadata_keys[v_position] THEN
            PERFORM s3vl._invalid('add_searchable_keys', pg_catalog.format('metadata_keys[%s]', v_position),
                pg_catalog.format('names %L, which is already searchable in index %s', metadata_keys[v_position], v_index.label),
                pg_catalog.format('To change its language, remove it first: SELECT * FROM s3vl.remove_searchable_keys(%L, ARRAY[%L]);',
                    v_index.label, metadata_keys[v_position]));
        END IF;
    END LOOP;
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(coalesce(v_known.searchable_keys, '{}'))) +
       pg_catalog.cardinality(metadata_keys) > s3vl._limit('searchable_keys') THEN
        PERFORM s3vl._invalid('add_searchable_keys', 'metadata_keys',
            pg_catalog.format('would make %s keys of index %s searchable; at most %s are allowed',
                (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(v_known.searchable_keys)) + pg_catalog.cardinality(metadata_keys),
                v_index.label, s3vl._limit('searchable_keys')),
            'Remove keys no longer searched with s3vl.remove_searchable_keys first.');
    END IF;
    RETURN QUERY SELECT * FROM s3vl._administer_text_search('add_searchable_keys', v_index.label,
        pg_catalog.jsonb_build_object('operation', 'update_metadata_configuration',
            'add', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                        'metadata_key', k, 'language', add_searchable_keys.language)))
                    FROM pg_catalog.unnest(metadata_keys) AS k)));
END
$$;
COMMENT ON FUNCTION s3vl.add_searchable_keys(text, text[], text) IS
    'Makes metadata keys of an index full-text searchable with one language (en fr es pt it de nl zh ja ko; NULL: the standard analyzer); returns every searchable key (a key added to an index holding vectors is BUILDING until S3 Vectors has backfilled it). The bridge must be deployed with indexAdmin';

-- s3vl.remove_searchable_keys
CREATE OR REPLACE FUNCTION s3vl.remove_searchable_keys(index_name text, metadata_keys text[])
RETURNS TABLE (metadata_key text, analyzer text, status text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_known record;
    v_position integer;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('remove_searchable_keys', remove_searchable_keys.index_name, NULL);
    PERFORM s3vl._check_key_list('remove_searchable_keys', metadata_keys);
    SELECT * INTO v_known FROM s3vl._text_search_of('remove_searchable_keys', v_index.label, v_index.arn, false);
    FOR v_position IN 1 .. pg_catalog.cardinality(metadata_keys) LOOP
        IF v_known.searchable_keys IS NOT NULL AND NOT v_known.searchable_keys ? metadata_keys[v_position] THEN
            PERFORM s3vl._invalid('remove_searchable_keys', pg_catalog.format('metadata_keys[%s]', v_position),
                pg_catalog.format('names %L, which is not a searchable key of index %s', metadata_keys[v_position], v_index.label),
                pg_catalog.format('See the searchable keys with SELECT * FROM s3vl.searchable_keys(%L);', v_index.label));
        END IF;
    END LOOP;
    RETURN QUERY SELECT * FROM s3vl._administer_text_search('remove_searchable_keys', v_index.label,
        pg_catalog.jsonb_build_object('operation', 'update_metadata_configuration',
            'delete', pg_catalog.to_jsonb(metadata_keys)));
END
$$;
COMMENT ON FUNCTION s3vl.remove_searchable_keys(text, text[]) IS
    'Stops full-text search of metadata keys of an index; returns the keys still searchable. The bridge must be deployed with indexAdmin';

-- s3vl.set_index_mode
CREATE OR REPLACE FUNCTION s3vl.set_index_mode(index_name text, index_mode text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_described jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('set_index_mode', set_index_mode.index_name, NULL);
    IF set_index_mode.index_mode IS NULL OR set_index_mode.index_mode NOT IN ('CLASSIC', 'ENHANCED') THEN
        PERFORM s3vl._invalid('set_index_mode', 'index_mode',
            pg_catalog.format('must be ''ENHANCED'' or ''CLASSIC'', got %s', coalesce(pg_catalog.quote_literal(set_index_mode.index_mode), 'NULL')),
            'ENHANCED filters before the search and serves full-text and hybrid search; CLASSIC is allowed only for buckets created before 2026-09-30.');
    END IF;
    v_described := s3vl._invoke('set_index_mode', pg_catalog.jsonb_build_object(
        'operation', 'update_index_mode', 'index_arn', v_index.arn, 'index_mode', set_index_mode.index_mode));
    IF v_index.label <> v_index.arn THEN
        PERFORM s3vl._record_text_search(v_index.label, v_index.arn, v_described);
    END IF;
    RETURN v_described ->> 'index_mode';
END
$$;
COMMENT ON FUNCTION s3vl.set_index_mode(text, text) IS
    'Sets an index''s mode (ENHANCED: filters first, full-text and hybrid search; CLASSIC: only buckets created before 2026-09-30) and returns it. The bridge must be deployed with indexAdmin';

-- s3vl.refresh_text_search
CREATE OR REPLACE FUNCTION s3vl.refresh_text_search(index_name text)
RETURNS TABLE (metadata_key text, analyzer text, status text, index_mode text,
               described_at timestamp with time zone)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('refresh_text_search', refresh_text_search.index_name, NULL);
    PERFORM s3vl._text_search_of('refresh_text_search', v_index.label, v_index.arn, true);
    RETURN QUERY SELECT * FROM s3vl.searchable_keys(v_index.label);
END
$$;
COMMENT ON FUNCTION s3vl.refresh_text_search(text) IS
    'Asks the bridge again for an index''s mode and searchable keys (after a change made outside s3vl, or to see a BUILDING key turn ACTIVE) and returns them as s3vl.searchable_keys does';
