-- Index views: an index as a view (key, data, metadata), the shape of the S3 Vectors foreign
-- data wrapper's tables. SELECT scans the index; INSERT, UPDATE and DELETE put and delete
-- through INSTEAD OF triggers. A plain view cannot see its WHERE clause (only a foreign data
-- wrapper, in C, can), so a key lookup without a scan is the function of the same name beside
-- the view: SELECT * FROM s3_vectors.embeddings('key-1', 'key-2') answers with get_vectors.

-- s3vl.index_rows
-- PostgreSQL applies a view's WHERE and LIMIT only after this has listed the whole index, so
-- `WHERE key = 'x'` on a large index would be hours of ListVectors: hence the scan limit (a
-- setting any session may change), checked row by row as each page arrives, and an error that
-- names the key lookup function of the index's view(s). Runs with the caller's rights, one
-- s3vl.list_vectors page per invocation.
CREATE OR REPLACE FUNCTION s3vl.index_rows(index_name text)
RETURNS TABLE (key text, data real[], metadata jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_setting text := pg_catalog.current_setting('s3vl.view_scan_limit', true);
    v_limit bigint;
    v_page_size integer;
    v_token text;
    v_next text;
    v_row record;
    v_listed bigint := 0;
    v_pages integer := 0;
    v_lookup text;
BEGIN
    IF v_setting IS NULL OR pg_catalog.btrim(v_setting) = '' THEN
        v_limit := 10000;
    ELSIF v_setting ~ '^\s*[0-9]{1,18}\s*$' THEN
        v_limit := pg_catalog.btrim(v_setting)::bigint;
    ELSE
        RAISE EXCEPTION 's3vl.index_rows: setting "s3vl.view_scan_limit" must be a whole number of rows, got %',
            pg_catalog.quote_literal(v_setting)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'It bounds how many vectors a SELECT, UPDATE or DELETE on an index view may list; 0 turns the bound off.',
                  HINT = 'SET s3vl.view_scan_limit = 10000; or RESET s3vl.view_scan_limit; for the default.';
    END IF;
    -- One row past the limit is enough to know it is passed.
    v_page_size := CASE WHEN v_limit = 0 THEN 500 ELSE least(500, v_limit + 1) END;

    LOOP
        v_next := NULL;
        v_pages := v_pages + 1;
        FOR v_row IN
            SELECT l.vector_id, l.vector_data, l.metadata, l.response_next_token
            FROM s3vl.list_vectors(index_name => index_rows.index_name, max_results => v_page_size, next_token => v_token,
                                   return_data => true, return_metadata => true) AS l
        LOOP
            v_next := v_row.response_next_token;
            CONTINUE WHEN v_row.vector_id IS NULL;  -- an empty page: one row carrying the token
            v_listed := v_listed + 1;
            IF v_limit > 0 AND v_listed > v_limit THEN
                -- The views over this index (made by create_index_view: each has a lookup
                -- function of its own name) are those whose definition calls index_rows(label).
                SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('%I.%I(''key'', ...)', n.nspname, c.relname), ' or ')
                INTO v_lookup
                FROM pg_catalog.pg_depend AS d
                JOIN pg_catalog.pg_rewrite AS w ON w.oid = d.objid
                JOIN pg_catalog.pg_class AS c ON c.oid = w.ev_class AND c.relkind = 'v'
                JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                  AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                  AND d.refobjid = 's3vl.index_rows(text)'::pg_catalog.regprocedure
                  AND pg_catalog.strpos(pg_catalog.pg_get_viewdef(c.oid),
                                        pg_catalog.format('index_rows(%L', index_rows.index_name)) > 0
                  AND pg_catalog.to_regprocedure(pg_catalog.format('%I.%I(text[])', n.nspname, c.relname)) IS NOT NULL;
                v_lookup := coalesce(v_lookup, pg_catalog.format('s3vl.index_rows(%L, ARRAY[''key'', ...])', index_rows.index_name));
                RAISE EXCEPTION 's3vl.index_rows: index "%" has more than % vectors, the most an index view scans (setting s3vl.view_scan_limit); look keys up with % instead',
                    index_rows.index_name, v_limit, v_lookup
                    USING ERRCODE = 'program_limit_exceeded',
                          DETAIL = pg_catalog.format('A view cannot see its WHERE or LIMIT: SELECT, UPDATE and DELETE on an index view list the whole index before PostgreSQL filters the rows. The scan stopped after %s vectors in %s ListVectors page(s).',
                              v_listed, v_pages),
                          HINT = pg_catalog.format('Look keys up without a scan: SELECT * FROM %s; write by key with s3vl.put_vectors and s3vl.delete_vectors; read a page with s3vl.list_vectors. To scan anyway: SET s3vl.view_scan_limit = %s; (0 turns the limit off).',
                              v_lookup, GREATEST(v_limit * 10::numeric, 100000));
            END IF;
            key := v_row.vector_id;
            data := v_row.vector_data::real[];
            metadata := v_row.metadata;
            RETURN NEXT;
        END LOOP;
        v_token := v_next;
        EXIT WHEN v_token IS NULL;
    END LOOP;
END
$$;
COMMENT ON FUNCTION s3vl.index_rows(text) IS
    'Every vector of a registered index as key, data (real[]) and metadata, what an index view shows, following ListVectors pages; SQLSTATE 54000 past s3vl.view_scan_limit rows (default 10000, 0 = no limit)';

-- s3vl.index_rows (by key)
CREATE OR REPLACE FUNCTION s3vl.index_rows(index_name text, keys text[])
RETURNS TABLE (key text, data real[], metadata jsonb)
LANGUAGE sql VOLATILE
AS $$
    SELECT g.vector_id, g.embedding::real[], g.metadata
    FROM s3vl.get_vectors(index_rows.keys, index_name => index_rows.index_name) AS g
    WHERE g.found
$$;
COMMENT ON FUNCTION s3vl.index_rows(text, text[]) IS
    'The vectors of a registered index with the given keys (get_vectors, no scan) as key, data and metadata; keys the index does not hold give no row';

-- Writes through an index view are collected per statement and sent when it ends, so an
-- INSERT ... SELECT of many rows goes out in batches (and is checked whole before any write),
-- not one invocation per row. The rows wait in a temporary table of the session, which rolls
-- back with the statement.

-- s3vl._index_view_write
-- Runs with the caller's rights.
CREATE OR REPLACE FUNCTION s3vl._index_view_write()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('pg_temp.s3vl_view_changes') IS NULL THEN
        CREATE TEMPORARY TABLE s3vl_view_changes (
            n bigint GENERATED ALWAYS AS IDENTITY,
            index_name text NOT NULL,
            operation text NOT NULL,
            key text,
            data real[],
            metadata jsonb);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.data IS NULL OR pg_catalog.array_ndims(NEW.data) IS DISTINCT FROM 1 THEN
            RAISE EXCEPTION 's3vl.put_vectors: column "data" of %.% must be a one-dimensional array of numbers, got %',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, coalesce(NEW.data::text, 'NULL')
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'Every row written through an index view is a vector: key, data and optional metadata.',
                      HINT = 'Insert the embedding as ARRAY[0.1, 0.2, ...]::real[].';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.key IS DISTINCT FROM OLD.key) THEN
        INSERT INTO pg_temp.s3vl_view_changes (index_name, operation, key)
        VALUES (TG_ARGV[0], 'delete', OLD.key);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO pg_temp.s3vl_view_changes (index_name, operation, key, data, metadata)
        VALUES (TG_ARGV[0], 'put', NEW.key, NEW.data, NEW.metadata);
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION s3vl._index_view_write() IS
    'Private: INSTEAD OF row trigger of an index view (argument: the index name): records the put (INSERT, UPDATE) or delete (DELETE, a changed key) the row asks for, for the end of the statement';

-- s3vl._index_view_send
-- Sends through s3vl.delete_vectors and s3vl.put_vectors, so the caller needs a writer's rights.
CREATE OR REPLACE FUNCTION s3vl._index_view_send()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1  -- real prints its exact float32 when read as JSON (s3vl._read_columns)
AS $$
DECLARE
    v_deletes text[];
    v_puts jsonb;
BEGIN
    IF pg_catalog.to_regclass('pg_temp.s3vl_view_changes') IS NULL THEN
        RETURN NULL;
    END IF;
    WITH latest AS (
        SELECT DISTINCT ON (c.key) c.n, c.operation, c.key, c.data, c.metadata
        FROM pg_temp.s3vl_view_changes AS c
        WHERE c.index_name = TG_ARGV[0]
        ORDER BY c.key, c.n DESC
    )
    SELECT pg_catalog.array_agg(l.key ORDER BY l.n) FILTER (WHERE l.operation = 'delete'),
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('key', l.key, 'data', l.data, 'metadata', l.metadata)
                                ORDER BY l.n) FILTER (WHERE l.operation = 'put')
    INTO v_deletes, v_puts
    FROM latest AS l;
    DELETE FROM pg_temp.s3vl_view_changes AS c WHERE c.index_name = TG_ARGV[0];
    IF v_deletes IS NOT NULL THEN
        PERFORM s3vl.delete_vectors(TG_ARGV[0], v_deletes);
    END IF;
    IF v_puts IS NOT NULL THEN
        PERFORM s3vl.put_vectors(TG_ARGV[0], v_puts);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION s3vl._index_view_send() IS
    'Private: AFTER statement trigger of an index view: sends the statement''s recorded changes in batches, the last change of each key winning (deletes, then puts)';

-- s3vl.create_index_view
-- Runs with the caller's rights: the view, its triggers and the lookup function are the
-- caller's, made where the caller may create (CREATE on the schema, or on the database to make
-- the schema), so nothing is created with s3vl's rights in a schema others can write to.
CREATE OR REPLACE FUNCTION s3vl.create_index_view(
    index_name text,
    into_schema text DEFAULT 's3_vectors',
    view_name text DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_view text;
    v_existing regclass;
BEGIN
    IF index_name IS NULL OR index_name LIKE 'arn:%' THEN
        PERFORM s3vl._invalid('create_index_view', 'index_name', 'must be a registered index name',
            'Register the ARN first with s3vl.register_index(index_name => ''NAME'', index_arn => ''arn:...'').');
    END IF;
    SELECT * INTO v_index FROM s3vl._registered_index('create_index_view', index_name);
    IF into_schema IS NULL OR into_schema !~ '^[a-zA-Z_][a-zA-Z0-9_]*$' OR into_schema IN ('s3vl', 'pg_catalog', 'information_schema') THEN
        PERFORM s3vl._invalid('create_index_view', 'into_schema',
            pg_catalog.format('must be a plain schema name other than s3vl and the system schemas, got %s',
                coalesce(pg_catalog.quote_literal(into_schema), 'NULL')),
            'Pass e.g. into_schema => ''s3_vectors''; it is created when missing.');
    END IF;
    v_view := coalesce(view_name, pg_catalog.translate(v_index.label, '-.', '__'));
    IF v_view !~ '^[a-zA-Z_][a-zA-Z0-9_]*$' OR pg_catalog.length(v_view) > 63 THEN
        PERFORM s3vl._invalid('create_index_view', 'view_name',
            pg_catalog.format('must be a plain identifier of at most 63 characters, got %L', v_view),
            'Pass view_name => ''embeddings'' (letters, digits and _).');
    END IF;

    -- Replace only an index view the caller's role owns (a view whose s3vl_write trigger runs
    -- s3vl's function), never a user's relation or a look-alike someone else planted.
    SELECT c.oid::regclass INTO v_existing
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = into_schema AND c.relname = v_view;
    IF v_existing IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_class AS c
            JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid
            WHERE c.oid = v_existing AND c.relkind = 'v' AND t.tgname = 's3vl_write'
              AND t.tgfoid = 's3vl._index_view_write()'::regprocedure
              AND pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')) THEN
        PERFORM s3vl._invalid('create_index_view', 'view_name',
            pg_catalog.format('names %s, which exists and is not an index view of yours', v_existing),
            'Pass another view_name => ''...'' or into_schema => ''...''; s3vl replaces only the index views the caller owns.');
    END IF;

    IF pg_catalog.to_regnamespace(pg_catalog.quote_ident(into_schema)) IS NULL THEN
        EXECUTE pg_catalog.format('CREATE SCHEMA %I', into_schema);
        -- sql/uninstall.sql drops a schema with this comment once it is empty.
        EXECUTE pg_catalog.format('COMMENT ON SCHEMA %I IS %L', into_schema,
            'Views of S3 Vectors indexes, created by s3vl.create_index_view');
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO s3vl_reader, s3vl_writer, s3vl_admin', into_schema);
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE VIEW %I.%I AS SELECT r.key, r.data, r.metadata FROM s3vl.index_rows(%L) AS r',
        into_schema, v_view, v_index.label);
    EXECUTE pg_catalog.format(
        'COMMENT ON VIEW %I.%I IS %L', into_schema, v_view,
        pg_catalog.format('S3 Vectors index %s (%s): SELECT scans it (at most s3vl.view_scan_limit vectors); INSERT, UPDATE and DELETE write it; look keys up with %I.%I(''key'', ...)',
            v_index.label, v_index.arn, into_schema, v_view));
    IF v_existing IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP TRIGGER s3vl_write ON %I.%I', into_schema, v_view);
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS s3vl_send ON %I.%I', into_schema, v_view);
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER s3vl_write INSTEAD OF INSERT OR UPDATE OR DELETE ON %I.%I
         FOR EACH ROW EXECUTE FUNCTION s3vl._index_view_write(%L)', into_schema, v_view, v_index.label);
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER s3vl_send AFTER INSERT OR UPDATE OR DELETE ON %I.%I
         FOR EACH STATEMENT EXECUTE FUNCTION s3vl._index_view_send(%L)', into_schema, v_view, v_index.label);

    -- The key lookup: same name as the view, returns its rows, answered by get_vectors.
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION %I.%I(VARIADIC keys text[]) RETURNS SETOF %I.%I
         LANGUAGE sql VOLATILE AS %L',
        into_schema, v_view, into_schema, v_view,
        pg_catalog.format('SELECT r.key, r.data, r.metadata FROM s3vl.index_rows(%L, keys) AS r', v_index.label));
    EXECUTE pg_catalog.format(
        'COMMENT ON FUNCTION %I.%I(text[]) IS %L', into_schema, v_view,
        pg_catalog.format('The rows of view %I.%I with these keys, through get_vectors (no scan)', into_schema, v_view));

    EXECUTE pg_catalog.format('REVOKE ALL ON %I.%I FROM PUBLIC', into_schema, v_view);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %I.%I(text[]) FROM PUBLIC', into_schema, v_view);
    EXECUTE pg_catalog.format('GRANT SELECT ON %I.%I TO s3vl_reader', into_schema, v_view);
    EXECUTE pg_catalog.format('GRANT INSERT, UPDATE, DELETE ON %I.%I TO s3vl_writer', into_schema, v_view);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %I.%I(text[]) TO s3vl_reader', into_schema, v_view);
    RETURN pg_catalog.format('%I.%I', into_schema, v_view)::regclass;
END
$$;
COMMENT ON FUNCTION s3vl.create_index_view(text, text, text) IS
    'Creates (or replaces) a view (key, data, metadata) of a registered index in into_schema, named after the index (- and . become _) unless view_name is given: SELECT scans, INSERT/UPDATE/DELETE write; plus the key lookup function of the same name; s3vl_reader may select, s3vl_writer also write';
