-- Text to vectors with Bedrock, through the bridge's embed (issue 13): s3vl.embed (one text, or
-- many as the rows of a real[]), s3vl.query_text (a question in words, embedded and searched in
-- one invocation), s3vl.put_texts (texts in, vectors stored), and what the registry records of
-- each index's model (s3vl.set_embedding_model, s3vl.embedding_model). Syncing a text column
-- embeds in flush (s3vl._embed_pending).
-- Everything SQL can know is checked before any invocation: the model is one the bridge can
-- call, answers the index's dimension and is the one the index was filled with; a text is not
-- NULL, empty or over the model's characters. Whether the deployed function may call the model
-- (S3VL_EMBEDDING_MODELS) is the bridge's to say: 42501, and no Bedrock call.

-- s3vl._embedding_models
-- The bridge's models (lambda_src/s3vl_bridge/embedding.py; tests/sql/test_embeddings_agree.py
-- compares them): the dimensions each answers (the first its default), its characters per text,
-- whether normalisation is a choice (Cohere's vectors are always unit length) and whether it
-- takes an input type. The first model is the default.
CREATE OR REPLACE FUNCTION s3vl._embedding_models()
RETURNS TABLE (model_id text, dimensions integer[], characters_max integer,
               chooses_normalization boolean, takes_input_type boolean)
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('amazon.titan-embed-text-v2:0', '{1024,512,256}'::integer[], 50000, true, false),
           ('cohere.embed-english-v3', '{1024}'::integer[], 2048, false, true),
           ('cohere.embed-multilingual-v3', '{1024}'::integer[], 2048, false, true)
$$;
COMMENT ON FUNCTION s3vl._embedding_models() IS
    'Private: the Bedrock embedding models the bridge can call, with the dimensions each answers (its default first), its characters per text, whether normalisation is a choice and whether it takes an input type; the first is the default model';

-- s3vl._embedding_plan
-- How one call embeds: what it asks, else what the index was filled with (s3vl.index_embedding),
-- else the model's defaults. Asking for another model, dimension or normalisation than the
-- index's is refused: vectors of different models do not compare. requires_record: the call
-- stores or searches the index's vectors (query_text, put_texts, sync), so the model must be
-- the index's own or named.
CREATE OR REPLACE FUNCTION s3vl._embedding_plan(
    fn text, model text, dimension integer, normalized boolean, input_type text, truncate text,
    label text, arn text, index_dimension integer, requires_record boolean)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_known s3vl.index_embedding;
    v_model record;
    v_dimension integer;
    v_normalized boolean;
    v_truncate text := pg_catalog.upper(truncate);
    v_hint_models text := (SELECT pg_catalog.string_agg(m.model_id, ', ') FROM s3vl._embedding_models() AS m);
BEGIN
    IF label IS DISTINCT FROM arn THEN
        SELECT e.* INTO v_known FROM s3vl.index_embedding AS e
        WHERE e.index_name = label AND e.index_arn = arn;
    END IF;
    IF model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM s3vl._embedding_models() AS m WHERE m.model_id = model) THEN
        PERFORM s3vl._invalid(fn, 'model',
            pg_catalog.format('is %L, which is not an embedding model the bridge can call', model),
            pg_catalog.format('Pass one of: %s (see SELECT * FROM s3vl.embedding_models();).', v_hint_models));
    END IF;
    IF model IS NOT NULL AND v_known.model_id IS NOT NULL AND model <> v_known.model_id THEN
        PERFORM s3vl._invalid(fn, 'model',
            pg_catalog.format('is %s but index %s is filled with %s; vectors of different models do not compare',
                model, label, v_known.model_id),
            pg_catalog.format('Leave model out to use %s. To change the index''s model, re-embed its vectors, then as s3vl_admin run SELECT s3vl.set_embedding_model(%L, %L);',
                v_known.model_id, label, model));
    END IF;
    IF requires_record AND model IS NULL AND v_known.model_id IS NULL THEN
        PERFORM s3vl._invalid(fn, 'index_name',
            pg_catalog.format('names index %s, which has no embedding model recorded, so s3vl cannot know how its vectors were made', label),
            CASE WHEN label = arn
                 THEN 'Pass model => ''amazon.titan-embed-text-v2:0'' (the model its vectors were made with), or register the index and set its model.'
                 ELSE pg_catalog.format('As s3vl_admin run SELECT s3vl.set_embedding_model(%L, ''amazon.titan-embed-text-v2:0''); (the model its vectors are made with), or pass model => ...', label) END);
    END IF;
    SELECT m.* INTO v_model FROM s3vl._embedding_models() AS m
    WHERE m.model_id = coalesce(model, v_known.model_id,
                                (SELECT d.model_id FROM s3vl._embedding_models() AS d LIMIT 1));

    IF dimension IS NOT NULL AND NOT dimension = ANY (v_model.dimensions) THEN
        PERFORM s3vl._invalid(fn, 'dimension',
            pg_catalog.format('is %s, and %s answers %s values', dimension, v_model.model_id,
                pg_catalog.array_to_string(v_model.dimensions, ', ', '') ),
            'Leave dimension out for the index''s (or the model''s default), or pass one of those.');
    END IF;
    IF dimension IS NOT NULL AND index_dimension IS NOT NULL AND dimension <> index_dimension THEN
        PERFORM s3vl._invalid(fn, 'dimension',
            pg_catalog.format('is %s but index %s has dimension %s', dimension, label, index_dimension),
            'Leave dimension out: it is the index''s.');
    END IF;
    v_dimension := coalesce(dimension, v_known.dimension, index_dimension, v_model.dimensions[1]);
    IF index_dimension IS NOT NULL AND v_dimension <> index_dimension THEN
        -- The recorded dimension of an index registered again with another, or no model that fits.
        PERFORM s3vl._invalid(fn, CASE WHEN model IS NULL THEN 'index_name' ELSE 'model' END,
            pg_catalog.format('leads to %s, which answers %s values, but index %s has dimension %s',
                v_model.model_id, v_dimension, label, index_dimension),
            pg_catalog.format('Use an index of a dimension the model answers (%s), or a model that answers %s values.',
                pg_catalog.array_to_string(v_model.dimensions, ', '), index_dimension));
    END IF;
    IF NOT v_dimension = ANY (v_model.dimensions) THEN
        PERFORM s3vl._invalid(fn, CASE WHEN model IS NULL THEN 'index_name' ELSE 'model' END,
            pg_catalog.format('leads to %s, which answers %s values, not the index''s %s',
                v_model.model_id, pg_catalog.array_to_string(v_model.dimensions, ', '), v_dimension),
            pg_catalog.format('Use an index of one of those dimensions, or another model (%s).', v_hint_models));
    END IF;

    IF normalized IS NOT NULL AND v_known.normalized IS NOT NULL AND normalized <> v_known.normalized THEN
        PERFORM s3vl._invalid(fn, 'normalized',
            pg_catalog.format('is %s but index %s is filled with normalized %s', normalized, label, v_known.normalized),
            'Leave normalized out: it is the index''s.');
    END IF;
    v_normalized := coalesce(normalized, v_known.normalized, true);
    IF NOT v_normalized AND NOT v_model.chooses_normalization THEN
        PERFORM s3vl._invalid(fn, 'normalized',
            pg_catalog.format('is false, but %s always answers unit-length vectors', v_model.model_id),
            'Leave normalized out (true).');
    END IF;
    IF input_type IS NULL OR input_type NOT IN ('search_document', 'search_query', 'classification', 'clustering') THEN
        PERFORM s3vl._invalid(fn, 'input_type',
            pg_catalog.format('must be search_document, search_query, classification or clustering, got %s',
                coalesce(pg_catalog.quote_literal(input_type), 'NULL')),
            'Embed what you store with search_document and what you ask with search_query (Cohere uses it; Titan ignores it).');
    END IF;
    IF v_truncate IS NULL OR v_truncate NOT IN ('NONE', 'START', 'END') THEN
        PERFORM s3vl._invalid(fn, 'truncate',
            pg_catalog.format('must be NONE, START or END, got %s', coalesce(pg_catalog.quote_literal(truncate), 'NULL')),
            'NONE refuses a text over the model''s limit; END keeps its start, START its end.');
    END IF;
    RETURN pg_catalog.jsonb_build_object('model_id', v_model.model_id, 'dimension', v_dimension,
        'normalize', v_normalized, 'input_type', input_type, 'truncate', v_truncate,
        'characters_max', v_model.characters_max);
END
$$;
COMMENT ON FUNCTION s3vl._embedding_plan(text, text, integer, boolean, text, text, text, text, integer, boolean) IS
    'Private: the bridge''s embed fields (model_id, dimension, normalized, input_type, truncate) for a call, plus the model''s characters_max: what the call asks, else what the index records, else the defaults; SQLSTATE 22023 naming the argument for an unknown model, a model, dimension or normalisation other than the index''s, a dimension the model cannot answer, or (requires_record) an index with no recorded model and none named';

-- s3vl._check_embed_texts
-- place: how an error names a text: 'input' (one text), 'input[%s]' (1-based, as SQL arrays).
CREATE OR REPLACE FUNCTION s3vl._check_embed_texts(fn text, place text, texts text[], plan jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_bad record;
    v_limit integer := (plan ->> 'characters_max')::integer;
    v_argument text := pg_catalog.split_part(place, '[', 1);
BEGIN
    IF texts IS NULL OR pg_catalog.cardinality(texts) = 0 OR pg_catalog.array_ndims(texts) <> 1 THEN
        PERFORM s3vl._invalid(fn, v_argument,
            CASE WHEN place LIKE '%[%' THEN 'must be a non-empty one-dimensional array of texts' ELSE 'must not be NULL' END,
            'Pass the text to embed; coalesce a NULL column, or leave its row out.');
    END IF;
    SELECT t.n, t.value INTO v_bad
    FROM pg_catalog.unnest(texts) WITH ORDINALITY AS t(value, n)
    WHERE t.value IS NULL OR pg_catalog.btrim(t.value, E' \t\r\n\f\v') = ''
       OR (plan ->> 'truncate' = 'NONE' AND pg_catalog.length(t.value) > v_limit)
    ORDER BY t.n LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    place := pg_catalog.format(place, v_bad.n);
    IF v_bad.value IS NULL THEN
        PERFORM s3vl._invalid(fn, place, 'is NULL; a NULL text cannot be embedded',
            'Leave the row out, or coalesce the column to a text.');
    ELSIF pg_catalog.btrim(v_bad.value, E' \t\r\n\f\v') = '' THEN
        PERFORM s3vl._invalid(fn, place, 'is empty or blank; there is nothing to embed',
            'Leave the row out, or give it words.');
    END IF;
    PERFORM s3vl._invalid(fn, place,
        pg_catalog.format('is %s characters long, over the %s that %s takes',
            pg_catalog.length(v_bad.value), v_limit, plan ->> 'model_id'),
        'Shorten it, or pass truncate => ''END'' (keep its start) or ''START'' (keep its end).');
END
$$;
COMMENT ON FUNCTION s3vl._check_embed_texts(text, text, text[], jsonb) IS
    'Private: SQLSTATE 22023 naming the text (place, e.g. input[3]) for no texts, a NULL, empty or blank text, or one over the model''s characters unless truncate asks to cut it';

-- s3vl._embed_texts
-- Invocations of at most s3vl._limit('embed_texts') texts (what the bridge takes, and what
-- fits Lambda's 6 MB answer); the bridge fans each out to Bedrock.
CREATE OR REPLACE FUNCTION s3vl._embed_texts(fn text, plan jsonb, texts text[])
RETURNS real[]
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_step constant integer := s3vl._limit('embed_texts');
    v_fields jsonb := plan - 'characters_max';
    v_count integer := pg_catalog.cardinality(texts);
    v_vectors real[];
    v_part real[];
    v_result jsonb;
    v_start integer;
BEGIN
    texts := texts[:];  -- any lower bound: the slices below count from 1
    FOR v_start IN 1 .. v_count BY v_step LOOP
        v_result := s3vl._invoke(fn, pg_catalog.jsonb_build_object('operation', 'embed',
            'texts', pg_catalog.to_jsonb(texts[v_start:v_start + v_step - 1])) || v_fields);
        v_part := pg_catalog.translate((v_result -> 'embeddings')::text, '[]', '{}')::real[];
        IF pg_catalog.array_length(v_part, 1) IS DISTINCT FROM least(v_step, v_count - v_start + 1)
           OR pg_catalog.array_length(v_part, 2) IS DISTINCT FROM (plan ->> 'dimension')::integer THEN
            RAISE EXCEPTION 's3vl.%: the bridge answered embed with no % vectors of % values', fn,
                least(v_step, v_count - v_start + 1), plan ->> 'dimension'
                USING ERRCODE = 'external_routine_exception',
                      DETAIL = pg_catalog.format('It answered %s vectors of %s values.',
                          coalesce(pg_catalog.array_length(v_part, 1), 0), coalesce(pg_catalog.array_length(v_part, 2), 0)),
                      HINT = 'Check that s3vl.configure() names the s3vl bridge function, of this release.';
        END IF;
        v_vectors := v_vectors || v_part;
    END LOOP;
    RETURN v_vectors;
END
$$;
COMMENT ON FUNCTION s3vl._embed_texts(text, jsonb, text[]) IS
    'Private: the vectors of texts (checked) as the rows of a two-dimensional real[], in order, from the bridge''s embed in invocations of at most s3vl._limit(''embed_texts'') texts';

-- s3vl._embedding_index
CREATE OR REPLACE FUNCTION s3vl._embedding_index(fn text, index_name text)
RETURNS TABLE (label text, arn text, dimension integer, distance_metric text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF index_name IS NULL THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::integer, NULL::text;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM s3vl._resolve_index(fn, index_name, NULL);
END
$$;
COMMENT ON FUNCTION s3vl._embedding_index(text, text) IS
    'Private: the index whose model an embed call follows (s3vl._resolve_index), or a row of NULLs when it names none';

-- s3vl.embed
CREATE OR REPLACE FUNCTION s3vl.embed(
    input text,
    model text DEFAULT NULL,
    dimension integer DEFAULT NULL,
    normalized boolean DEFAULT NULL,
    input_type text DEFAULT 'search_document',
    truncate text DEFAULT 'NONE',
    index_name text DEFAULT NULL)
RETURNS real[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_plan jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._embedding_index('embed', index_name);
    v_plan := s3vl._embedding_plan('embed', model, dimension, normalized, input_type, truncate,
                                   v_index.label, v_index.arn, v_index.dimension, false);
    PERFORM s3vl._check_embed_texts('embed', 'input', ARRAY[input], v_plan);
    -- The one row, as a one-dimensional array.
    RETURN ARRAY(SELECT pg_catalog.unnest(s3vl._embed_texts('embed', v_plan, ARRAY[input])));
END
$$;
COMMENT ON FUNCTION s3vl.embed(text, text, integer, boolean, text, text, text) IS
    'The embedding of a text by a Bedrock model, as a real[] to store, pass to query_vectors or put_vectors, or cast to pgvector''s vector: model (default amazon.titan-embed-text-v2:0, or index_name''s), dimension (the model''s default, or the index''s), normalized, input_type (search_document; search_query for a question, Cohere), truncate (NONE refuses a text over the model''s characters; END, START cut it); one invocation';

-- s3vl.embed (many texts)
CREATE OR REPLACE FUNCTION s3vl.embed(
    input text[],
    model text DEFAULT NULL,
    dimension integer DEFAULT NULL,
    normalized boolean DEFAULT NULL,
    input_type text DEFAULT 'search_document',
    truncate text DEFAULT 'NONE',
    index_name text DEFAULT NULL)
RETURNS real[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_plan jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._embedding_index('embed', index_name);
    v_plan := s3vl._embedding_plan('embed', model, dimension, normalized, input_type, truncate,
                                   v_index.label, v_index.arn, v_index.dimension, false);
    PERFORM s3vl._check_embed_texts('embed', 'input[%s]', input, v_plan);
    RETURN s3vl._embed_texts('embed', v_plan, input);
END
$$;
COMMENT ON FUNCTION s3vl.embed(text[], text, integer, boolean, text, text, text) IS
    'The embeddings of many texts as the rows of a two-dimensional real[] (row i is input[i]), ready for put_vectors'' vectors; the arguments of s3vl.embed(text); one invocation per 256 texts';

-- s3vl.query_text
CREATE OR REPLACE FUNCTION s3vl.query_text(
    query_text text,
    index_name text DEFAULT NULL,
    index_arn text DEFAULT NULL,
    top_k integer DEFAULT 10,
    return_metadata boolean DEFAULT true,
    metadata_filter jsonb DEFAULT NULL,
    query_mode text DEFAULT NULL,
    model text DEFAULT NULL,
    truncate text DEFAULT 'NONE')
RETURNS TABLE (vector_id text, distance double precision, similarity_score double precision,
               metadata jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_plan jsonb;
    v_options jsonb;
    v_result jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('query_text', index_name, index_arn);
    v_plan := s3vl._embedding_plan('query_text', model, NULL, NULL, 'search_query', truncate,
                                   v_index.label, v_index.arn, v_index.dimension, true);
    PERFORM s3vl._check_embed_texts('query_text', 'query_text', ARRAY[query_text], v_plan);
    v_options := s3vl._query_options('query_text', top_k, return_metadata, metadata_filter, query_mode);

    v_result := s3vl._invoke('query_text',
        pg_catalog.jsonb_build_object(
            'operation', 'query_vectors',
            'index_arn', v_index.arn,
            'embed_query', (v_plan - 'characters_max') || pg_catalog.jsonb_build_object('text', query_text))
        || v_options);

    RETURN QUERY
    SELECT r.vector_id, r.distance, r.similarity_score,
           CASE WHEN return_metadata THEN coalesce(r.metadata, '{}'::jsonb) END
    FROM pg_catalog.jsonb_to_recordset(v_result)
         AS r(vector_id text, distance double precision, similarity_score double precision,
              metadata jsonb);
END
$$;
COMMENT ON FUNCTION s3vl.query_text(text, text, text, integer, boolean, jsonb, text, text, text) IS
    'The top_k nearest neighbours of a question in words: query_text is embedded with the model the index is filled with (s3vl.embedding_model; or model for an index that records none) and searched in one invocation; rows as s3vl.query_vectors (vector_id, distance, similarity_score, metadata), closest first';

-- s3vl.put_texts
-- The keys, texts and metadata shapes are checked before the first invocation; the vectors
-- then go through s3vl.put_vectors, which checks every item before it writes any.
CREATE OR REPLACE FUNCTION s3vl.put_texts(
    index_name text,
    keys text[],
    texts text[],
    metadata jsonb[] DEFAULT NULL,
    text_key text DEFAULT NULL,
    model text DEFAULT NULL,
    truncate text DEFAULT 'NONE')
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_plan jsonb;
    v_bad record;
    v_metadata jsonb[];
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('put_texts', index_name, NULL);
    IF keys IS NULL OR pg_catalog.cardinality(keys) = 0 OR pg_catalog.array_ndims(keys) <> 1 THEN
        PERFORM s3vl._invalid('put_texts', 'keys', 'must be a non-empty one-dimensional array',
            'Pass the keys as ARRAY[''doc-1'', ''doc-2''], one per text.');
    END IF;
    IF texts IS NULL OR pg_catalog.array_ndims(texts) IS DISTINCT FROM 1
       OR pg_catalog.cardinality(texts) <> pg_catalog.cardinality(keys) THEN
        PERFORM s3vl._invalid('put_texts', 'texts',
            pg_catalog.format('has %s elements but keys has %s',
                coalesce(pg_catalog.cardinality(texts), 0), pg_catalog.cardinality(keys)),
            'Pass exactly one text per key, in the same order.');
    END IF;
    IF metadata IS NOT NULL AND (pg_catalog.array_ndims(metadata) IS DISTINCT FROM 1
            OR pg_catalog.cardinality(metadata) <> pg_catalog.cardinality(keys)) THEN
        PERFORM s3vl._invalid('put_texts', 'metadata',
            pg_catalog.format('has %s elements but keys has %s',
                coalesce(pg_catalog.cardinality(metadata), 0), pg_catalog.cardinality(keys)),
            'Pass one metadata object (or NULL) per key, or leave metadata out.');
    END IF;
    IF text_key IS NOT NULL AND pg_catalog.length(text_key) NOT BETWEEN 1 AND s3vl._limit('metadata_key_length') THEN
        PERFORM s3vl._invalid('put_texts', 'text_key',
            pg_catalog.format('must be a metadata key of 1 to %s characters', s3vl._limit('metadata_key_length')),
            'Pass the metadata key to keep each text under, e.g. text_key => ''text'', or leave it out.');
    END IF;
    -- What put_vectors would refuse of the keys and metadata, before paying for the embeddings.
    SELECT k.n, k.key, pg_catalog.min(k.n) OVER (PARTITION BY k.key) AS first_n INTO v_bad
    FROM pg_catalog.unnest(keys) WITH ORDINALITY AS k(key, n)
    ORDER BY (k.key IS NULL OR pg_catalog.length(k.key) NOT BETWEEN 1 AND s3vl._limit('key_length')
              OR k.n > pg_catalog.min(k.n) OVER (PARTITION BY k.key)) DESC, k.n
    LIMIT 1;
    IF v_bad.key IS NULL OR pg_catalog.length(v_bad.key) NOT BETWEEN 1 AND s3vl._limit('key_length') THEN
        PERFORM s3vl._invalid('put_texts', pg_catalog.format('keys[%s]', v_bad.n),
            CASE WHEN v_bad.key IS NULL THEN 'is NULL'
                 ELSE pg_catalog.format('is %s characters long; keys are 1 to %s characters',
                                        pg_catalog.length(v_bad.key), s3vl._limit('key_length')) END,
            'Every text needs a key of 1 to 1024 characters.');
    ELSIF v_bad.n > v_bad.first_n THEN
        PERFORM s3vl._invalid('put_texts', pg_catalog.format('keys[%s]', v_bad.n),
            pg_catalog.format('repeats key %L, first given at keys[%s]', v_bad.key, v_bad.first_n),
            'Send each key once: the later one would overwrite the earlier.');
    END IF;
    SELECT m.n, m.meta INTO v_bad
    FROM pg_catalog.unnest(metadata) WITH ORDINALITY AS m(meta, n)
    WHERE pg_catalog.jsonb_typeof(m.meta) NOT IN ('object', 'null')
       OR (text_key IS NOT NULL AND m.meta ? text_key)
    ORDER BY m.n LIMIT 1;
    IF FOUND THEN
        PERFORM s3vl._invalid('put_texts', pg_catalog.format('metadata[%s]', v_bad.n),
            CASE WHEN pg_catalog.jsonb_typeof(v_bad.meta) = 'object'
                 THEN pg_catalog.format('already has key %L, where text_key would keep the text', text_key)
                 ELSE pg_catalog.format('must be a JSON object, got a JSON %s', pg_catalog.jsonb_typeof(v_bad.meta)) END,
            'Pass metadata as objects (or NULL), and a text_key none of them uses.');
    END IF;
    v_plan := s3vl._embedding_plan('put_texts', model, NULL, NULL, 'search_document', truncate,
                                   v_index.label, v_index.arn, v_index.dimension, true);
    PERFORM s3vl._check_embed_texts('put_texts', 'texts[%s]', texts, v_plan);

    IF text_key IS NOT NULL THEN
        v_metadata := ARRAY(
            SELECT coalesce(nullif(m.meta, 'null'::jsonb), '{}'::jsonb) || pg_catalog.jsonb_build_object(text_key, t.value)
            FROM pg_catalog.unnest(texts) WITH ORDINALITY AS t(value, n)
            LEFT JOIN pg_catalog.unnest(metadata) WITH ORDINALITY AS m(meta, n) ON m.n = t.n
            ORDER BY t.n);
    ELSE
        v_metadata := metadata;
    END IF;
    RETURN s3vl.put_vectors(v_index.label, keys, s3vl._embed_texts('put_texts', v_plan, texts), v_metadata);
END
$$;
COMMENT ON FUNCTION s3vl.put_texts(text, text[], text[], jsonb[], text, text, text) IS
    'Writes (or overwrites) vectors made from texts: keys[i] gets the embedding of texts[i] by the index''s model (s3vl.embedding_model; or model for an index that records none) and metadata[i], plus the text itself under text_key when given; keys, texts and metadata are checked before any invocation, then embedded (one invocation per 256 texts) and written as s3vl.put_vectors writes; returns the count written';

-- s3vl.embedding_models
CREATE OR REPLACE FUNCTION s3vl.embedding_models()
RETURNS TABLE (model_id text, dimensions integer[], characters_max integer,
               chooses_normalization boolean, takes_input_type boolean, is_default boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.*, pg_catalog.row_number() OVER () = 1 FROM s3vl._embedding_models() AS m
$$;
COMMENT ON FUNCTION s3vl.embedding_models() IS
    'The Bedrock embedding models s3vl can ask the bridge for: the dimensions each answers (its default first), its characters per text, whether normalisation is a choice, whether it takes input_type, and the default; which of them the deployed function may call is its S3VL_EMBEDDING_MODELS (CDK context embeddingModels)';

-- s3vl.embedding_model
CREATE OR REPLACE FUNCTION s3vl.embedding_model(index_name text)
RETURNS TABLE (model_id text, dimension integer, normalized boolean, set_at timestamp with time zone)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('embedding_model', embedding_model.index_name, NULL);
    RETURN QUERY SELECT e.model_id, e.dimension, e.normalized, e.set_at FROM s3vl.index_embedding AS e
                 WHERE e.index_name = v_index.label AND e.index_arn = v_index.arn;
END
$$;
COMMENT ON FUNCTION s3vl.embedding_model(text) IS
    'The embedding model a registered index is filled with (set by s3vl.set_embedding_model): model_id, dimension, normalized, set_at; no row when none is recorded';

-- s3vl.set_embedding_model
-- One availability_check asks the bridge which models its function may call, so a model it is
-- not given fails here, once, rather than on every query.
CREATE OR REPLACE FUNCTION s3vl.set_embedding_model(
    index_name text, model text, normalized boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_known s3vl.index_embedding;
    v_plan jsonb;
    v_served jsonb;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('set_embedding_model', set_embedding_model.index_name, NULL);
    IF v_index.label = v_index.arn OR v_index.dimension IS NULL THEN
        PERFORM s3vl._invalid('set_embedding_model', 'index_name',
            pg_catalog.format('must be a registered name whose dimension is known, got %L', set_embedding_model.index_name),
            'Register the index first: SELECT s3vl.register_index(''NAME'', ''arn:aws:s3vectors:...'');');
    END IF;
    SELECT e.* INTO v_known FROM s3vl.index_embedding AS e WHERE e.index_name = v_index.label;
    IF model IS NULL THEN
        DELETE FROM s3vl.index_embedding AS e WHERE e.index_name = v_index.label;
        RETURN NULL;
    END IF;
    PERFORM s3vl._check_flag('set_embedding_model', 'normalized', normalized);
    -- The plan of a call naming the model for this index as if it recorded none.
    v_plan := s3vl._embedding_plan('set_embedding_model', model, NULL, normalized, 'search_document', 'NONE',
                                   v_index.arn, v_index.arn, v_index.dimension, false);
    v_served := s3vl._invoke('set_embedding_model', '{"operation": "availability_check"}'::jsonb)
                -> 'allowed_embedding_models';
    IF NOT coalesce(v_served ? model, false) THEN
        RAISE EXCEPTION 's3vl.set_embedding_model: the bridge function may not call %', model
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Its S3VL_EMBEDDING_MODELS allows: %s.',
                      coalesce((SELECT pg_catalog.string_agg(m, ', ') FROM pg_catalog.jsonb_array_elements_text(v_served) AS m), 'none')),
                  HINT = pg_catalog.format('Deploy the bridge with CDK context embeddingModels including %s (it grants bedrock:InvokeModel on it), then run this again.', model);
    END IF;
    IF v_known.model_id IS NOT NULL AND v_known.index_arn = v_index.arn AND v_known.model_id <> model THEN
        RAISE WARNING 's3vl.set_embedding_model: index % was filled with %; its vectors do not compare with %''s',
            v_index.label, v_known.model_id, model
            USING HINT = 'Embed its texts again (s3vl.put_texts, or s3vl.reconcile(..., repair => true) for a synced table).';
    END IF;
    INSERT INTO s3vl.index_embedding AS e (index_name, index_arn, model_id, dimension, normalized)
    VALUES (v_index.label, v_index.arn, model, (v_plan ->> 'dimension')::integer, (v_plan ->> 'normalize')::boolean)
    ON CONFLICT ON CONSTRAINT index_embedding_pkey DO UPDATE SET
        index_arn = EXCLUDED.index_arn, model_id = EXCLUDED.model_id, dimension = EXCLUDED.dimension,
        normalized = EXCLUDED.normalized, set_at = pg_catalog.now();
    RETURN model;
END
$$;
COMMENT ON FUNCTION s3vl.set_embedding_model(text, text, boolean) IS
    'Records the Bedrock embedding model a registered index is filled with (its dimension is the index''s; normalized for Titan), after checking the model answers that dimension and the bridge function may call it (one availability_check), and returns it; query_text, put_texts, text sync and embed(index_name => ...) then use it, and refuse another. model NULL forgets it';

-- Syncing a text column (sync_table with a text embedding_column; 80_sync_capture.sql reads it
-- as a JSON string). The capture trigger records the text itself (outbox.data, a JSON string)
-- and may not invoke; flush embeds it first (s3vl._embed_pending), with the index's model.

-- s3vl._text_column
CREATE OR REPLACE FUNCTION s3vl._text_column(source_table regclass, column_name text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT a.atttypid IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype)
                     FROM pg_catalog.pg_attribute AS a
                     WHERE a.attrelid = source_table AND a.attname = column_name
                       AND a.attnum > 0 AND NOT a.attisdropped), false)
$$;
COMMENT ON FUNCTION s3vl._text_column(regclass, text) IS
    'Private: whether a column holds text (text, varchar or char), which sync embeds, rather than a vector';

-- s3vl._check_text_sync
-- Definer through s3vl._add_sync_source (sync_table runs with the caller's rights and cannot
-- read the registry).
CREATE OR REPLACE FUNCTION s3vl._check_text_sync(source_table regclass, embedding_column text,
                                                 label text, arn text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF s3vl._text_column(source_table, embedding_column)
       AND NOT EXISTS (SELECT 1 FROM s3vl.index_embedding AS e WHERE e.index_name = label AND e.index_arn = arn) THEN
        PERFORM s3vl._invalid('sync_table', 'embedding_column',
            pg_catalog.format('names text column %I of %s, and index %s records no embedding model to embed it with',
                embedding_column, source_table, label),
            pg_catalog.format('As s3vl_admin run SELECT s3vl.set_embedding_model(%L, ''amazon.titan-embed-text-v2:0''); then sync again.', label));
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_text_sync(regclass, text, text, text) IS
    'Private: SQLSTATE 22023 when sync_table names a text column for an index that records no embedding model';

-- s3vl._text_change
-- The key and metadata are checked as a vector row's are (s3vl._row_change, with a stand-in
-- vector of the index's dimension: the real one is made at flush), the text against the
-- model's characters. The hash covers the model, so a change of model shows in stale_keys.
CREATE OR REPLACE FUNCTION s3vl._text_change(
    source s3vl.sync_source, p_key text, p_text text, p_metadata jsonb)
RETURNS TABLE (key text, data jsonb, metadata jsonb, content_hash text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_index s3vl.index_registry;
    v_model s3vl.index_embedding;
    v_limit integer;
    v_change record;
BEGIN
    IF p_text IS NULL OR pg_catalog.btrim(p_text, E' \t\r\n\f\v') = '' THEN
        -- Nothing to embed: not indexed, as a row without an embedding.
        RETURN QUERY SELECT p_key, NULL::jsonb, NULL::jsonb, NULL::text;
        RETURN;
    END IF;
    SELECT r.* INTO v_index FROM s3vl.index_registry AS r WHERE r.index_name = source.index_name;
    SELECT e.* INTO v_model FROM s3vl.index_embedding AS e
    WHERE e.index_name = source.index_name AND e.index_arn = v_index.index_arn;
    IF NOT FOUND THEN
        RAISE EXCEPTION 's3vl sync of %: the row with key % cannot go to index "%": its text (column %) has no model to be embedded with',
            source.source_table, pg_catalog.quote_literal(p_key), source.index_name, pg_catalog.quote_ident(source.embedding_column)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A synced text column is embedded with the model its index records (s3vl.embedding_model), and it records none.',
                  HINT = pg_catalog.format('As s3vl_admin run SELECT s3vl.set_embedding_model(%L, ''amazon.titan-embed-text-v2:0'');', source.index_name);
    END IF;
    SELECT m.characters_max INTO v_limit FROM s3vl._embedding_models() AS m WHERE m.model_id = v_model.model_id;
    IF pg_catalog.length(p_text) > v_limit THEN
        RAISE EXCEPTION 's3vl sync of %: the row with key % cannot go to index "%": its text (column %) is % characters long, over the % that % takes',
            source.source_table, pg_catalog.quote_literal(p_key), source.index_name,
            pg_catalog.quote_ident(source.embedding_column), pg_catalog.length(p_text), v_limit, v_model.model_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A synced row must be writable to the index: the change is refused before it is recorded.',
                  HINT = pg_catalog.format('Shorten it, or sync a generated column that keeps its start: ALTER TABLE %s ADD COLUMN %I text GENERATED ALWAYS AS (left(%I, %s)) STORED;',
                      source.source_table, source.embedding_column || '_start', source.embedding_column, v_limit);
    END IF;
    SELECT * INTO v_change FROM s3vl._row_change(source, p_key,
        pg_catalog.to_jsonb(pg_catalog.array_fill(1::real, ARRAY[v_index.dimension])), p_metadata);
    RETURN QUERY SELECT p_key, pg_catalog.to_jsonb(p_text), v_change.metadata,
        pg_catalog.md5(pg_catalog.jsonb_build_array(v_model.model_id, v_model.dimension, v_model.normalized,
                                                    p_text, v_change.metadata)::text);
END
$$;
COMMENT ON FUNCTION s3vl._text_change(s3vl.sync_source, text, text, jsonb) IS
    'Private: what a text-synced row means for the index: key, data (the text as a JSON string, embedded at flush), metadata and a hash of model, text and metadata (data NULL for a NULL or blank text: not indexed); SQLSTATE 22023 naming the table and key when the index records no model, the text is over its characters, or the key or metadata would be refused';

-- s3vl._embed_pending
-- Before flush claims its changes: the text puts that are the newest unfinished change of their
-- key (what flush will send for it) get their vectors, in invocations of at most
-- s3vl._limit('embed_texts') texts, locked as flush locks what it claims. A text the bridge
-- refuses is charged alone (an attempt, dead at max_attempts) and the rest go on; any other
-- failure charges that invocation's texts and stops embedding. passed: the unfinished changes of
-- the keys left without a vector, which flush must pass over (it would send their text).
CREATE OR REPLACE FUNCTION s3vl._embed_pending(label text, arn text, most integer, max_attempts integer)
RETURNS TABLE (passed bigint[], failed_count integer, died_count integer, error text)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_doubt text[] := s3vl._keys_in_doubt(label);
    v_step constant integer := s3vl._limit('embed_texts');
    v_rows jsonb;
    v_model s3vl.index_embedding;
    v_fields jsonb;
    v_queue jsonb[];
    v_part jsonb;
    v_result jsonb;
    v_left text[] := '{}';
    v_failed integer := 0;
    v_died integer := 0;
    v_error text;
    v_state text;
    v_message text;
    v_detail text;
    v_kind text;
    v_culprit integer;
BEGIN
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('ids', ARRAY[c.id], 'key', c.key, 'text', c.data #>> '{}')
                                ORDER BY c.id)
    INTO v_rows
    FROM (SELECT o.id, o.key, o.data FROM s3vl.outbox AS o
          WHERE o.index_name = label AND o.done_at IS NULL AND o.dead_at IS NULL
            AND o.operation = 'put' AND pg_catalog.jsonb_typeof(o.data) = 'string'
            AND o.key <> ALL (v_doubt)
            AND NOT EXISTS (SELECT 1 FROM s3vl.outbox AS n
                            WHERE n.index_name = label AND n.key = o.key AND n.done_at IS NULL AND n.id > o.id)
          ORDER BY o.id
          LIMIT most
          FOR UPDATE OF o SKIP LOCKED) AS c;
    IF v_rows IS NULL THEN
        RETURN QUERY SELECT '{}'::bigint[], 0, 0, NULL::text;
        RETURN;
    END IF;

    SELECT e.* INTO v_model FROM s3vl.index_embedding AS e WHERE e.index_name = label AND e.index_arn = arn;
    IF NOT FOUND THEN
        v_error := pg_catalog.format('s3vl.flush: index %s records no embedding model, so its text changes cannot be embedded; as s3vl_admin run SELECT s3vl.set_embedding_model(%L, ''MODEL'');', label, label);
        PERFORM s3vl._settle_failed(v_rows, v_error, false, max_attempts, NULL);
        v_queue := '{}';
        v_left := ARRAY(SELECT e ->> 'key' FROM pg_catalog.jsonb_array_elements(v_rows) AS e);
        v_failed := pg_catalog.jsonb_array_length(v_rows);
    ELSE
        v_fields := pg_catalog.jsonb_build_object('operation', 'embed', 'model_id', v_model.model_id,
            'dimension', v_model.dimension, 'normalize', v_model.normalized, 'input_type', 'search_document');
        v_queue := ARRAY(SELECT g.part FROM (
                             SELECT (e.n - 1) / v_step AS k, pg_catalog.jsonb_agg(e.c ORDER BY e.n) AS part
                             FROM pg_catalog.jsonb_array_elements(v_rows) WITH ORDINALITY AS e(c, n)
                             GROUP BY 1) AS g
                         ORDER BY g.k);
    END IF;

    WHILE pg_catalog.cardinality(v_queue) > 0 LOOP
        v_part := v_queue[1];
        v_queue := v_queue[2:];
        v_state := NULL;
        BEGIN
            v_result := s3vl._invoke('flush', v_fields || pg_catalog.jsonb_build_object('texts',
                (SELECT pg_catalog.jsonb_agg(e -> 'text' ORDER BY n)
                 FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS x(e, n))));
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL;
        END;
        IF v_state IS NULL THEN
            UPDATE s3vl.outbox AS o SET data = v_result -> 'embeddings' -> (x.n - 1)::integer
            FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS x(e, n)
            WHERE o.id = (x.e -> 'ids' ->> 0)::bigint;
            CONTINUE;
        END IF;
        v_kind := s3vl._failure_kind(v_state, v_detail);
        v_error := v_message;
        IF v_kind = 'refused' AND pg_catalog.jsonb_array_length(v_part) > 1 THEN
            -- The bridge checks every text before invoking Bedrock, and Bedrock names the
            -- text it refuses: texts[i], 0-based in the order sent.
            v_culprit := pg_catalog.substring(v_detail, ' on field "texts\[([0-9]{1,6})\]')::integer;
            IF v_culprit IS NOT NULL AND v_culprit < pg_catalog.jsonb_array_length(v_part) THEN
                v_died := v_died + s3vl._settle_failed(pg_catalog.jsonb_build_array(v_part -> v_culprit),
                                                       v_error, true, max_attempts, NULL);
                v_failed := v_failed + 1;
                v_left := v_left || (v_part -> v_culprit ->> 'key');
                v_queue := ARRAY[v_part - v_culprit] || v_queue;
            ELSE
                v_queue := ARRAY(SELECT pg_catalog.jsonb_build_array(x.e)
                                 FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS x(e, n)
                                 ORDER BY x.n) || v_queue;
            END IF;
            CONTINUE;
        END IF;
        v_died := v_died + s3vl._settle_failed(v_part, v_error, v_kind <> 'not_sent', max_attempts, NULL);
        v_failed := v_failed + pg_catalog.jsonb_array_length(v_part);
        v_left := v_left || ARRAY(SELECT x.e ->> 'key' FROM pg_catalog.jsonb_array_elements(v_part) AS x(e));
        IF v_kind <> 'refused' THEN
            -- Not one text's fault: the rest waits for the next flush.
            v_left := v_left || ARRAY(SELECT x.e ->> 'key' FROM pg_catalog.unnest(v_queue) AS q(part),
                                      pg_catalog.jsonb_array_elements(q.part) AS x(e));
            EXIT;
        END IF;
    END LOOP;

    RETURN QUERY
    SELECT coalesce((SELECT pg_catalog.array_agg(o.id) FROM s3vl.outbox AS o
                     WHERE o.index_name = label AND o.done_at IS NULL AND o.key = ANY (v_left)), '{}'),
           v_failed, v_died, v_error;
END
$$;
COMMENT ON FUNCTION s3vl._embed_pending(text, text, integer, integer) IS
    'Private: flush''s first step for text-synced changes: embeds (at most most) pending text puts that are the newest change of their key with the index''s model, in invocations of at most s3vl._limit(''embed_texts''), replacing each text with its vector; a refused text is charged alone, another failure charges its invocation''s texts and stops; returns the changes flush must pass over (keys left without a vector), how many failed and died, and the last error';
