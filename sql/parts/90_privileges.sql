-- Privileges. PUBLIC gets nothing; each role gets exactly its functions (and inherits the
-- functions of the roles below it). Tables and private helpers are reachable only through the
-- SECURITY DEFINER functions.
-- s3vl_owner owns every table and function of the schema (the schema itself stays the
-- installer's, so s3vl_owner cannot create objects in it). SECURITY DEFINER functions therefore
-- run as s3vl_owner, which holds only what they need: its own tables, and invoking the bridge.
DO $ownership$
DECLARE
    v_object record;
BEGIN
    FOR v_object IN
        SELECT 'TABLE' AS kind, c.oid::regclass::text AS name
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 's3vl'::regnamespace AND c.relkind IN ('r', 'p')
          AND c.relowner <> 's3vl_owner'::regrole
        UNION ALL
        SELECT 'FUNCTION', p.oid::regprocedure::text
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = 's3vl'::regnamespace AND p.proowner <> 's3vl_owner'::regrole
        UNION ALL
        SELECT 'TYPE', t.oid::regtype::text
        FROM pg_catalog.pg_type AS t
        WHERE t.typnamespace = 's3vl'::regnamespace AND t.typtype IN ('c', 'd', 'e')
          AND t.typrelid = 0 AND t.typowner <> 's3vl_owner'::regrole
    LOOP
        -- A table's sequences and row type follow it.
        EXECUTE pg_catalog.format('ALTER %s %s OWNER TO s3vl_owner', v_object.kind, v_object.name);
    END LOOP;
END
$ownership$;
-- What s3vl's definer functions invoke with: Aurora's aws_lambda extension, or the compat schema.
GRANT USAGE ON SCHEMA aws_lambda, aws_commons TO s3vl_owner;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA aws_lambda TO s3vl_owner;

REVOKE ALL ON SCHEMA s3vl FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA s3vl FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA s3vl FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA s3vl FROM PUBLIC;

GRANT USAGE ON SCHEMA s3vl TO s3vl_reader, s3vl_writer, s3vl_admin;
-- After the three roles, so an upgraded schema lists its grants in a fresh install's order.
GRANT USAGE ON SCHEMA s3vl TO s3vl_owner;

GRANT EXECUTE ON FUNCTION
    s3vl.version(),
    s3vl.query_vectors(double precision[], text, text, integer, boolean, jsonb, text),
    s3vl.query_vectors(real[], text, text, integer, boolean, jsonb, text),
    s3vl.query_vectors(numeric[], text, text, integer, boolean, jsonb, text),
    s3vl.query_vectors_batch(double precision[], text, text, integer, boolean, jsonb, text),
    s3vl.query_vectors_batch(real[], text, text, integer, boolean, jsonb, text),
    s3vl.query_vectors_batch(numeric[], text, text, integer, boolean, jsonb, text),
    s3vl.get_vectors(text[], text, text, boolean, boolean),
    s3vl.list_vectors(text, text, integer, text, boolean, boolean, integer, integer),
    s3vl.scan_vectors(text, text, boolean, boolean, integer, integer, integer),
    s3vl.list_indexes(),
    s3vl.get_index_info(text),
    s3vl.resolve_index_arn(text),
    s3vl.index_rows(text),
    s3vl.index_rows(text, text[])
TO s3vl_reader;
-- Full-text and hybrid search, and the searchable keys the registry knows (45_text_search.sql).
GRANT EXECUTE ON FUNCTION
    s3vl.search_text(jsonb, text, text, integer, boolean, jsonb, text),
    s3vl.hybrid_search(double precision[], jsonb, text, text, integer, boolean, jsonb, text),
    s3vl.hybrid_search(real[], jsonb, text, text, integer, boolean, jsonb, text),
    s3vl.hybrid_search(numeric[], jsonb, text, text, integer, boolean, jsonb, text),
    s3vl.searchable_keys(text)
TO s3vl_reader;
-- Text to vectors (65_embeddings.sql): embedding and asking in words are reading.
GRANT EXECUTE ON FUNCTION
    s3vl.embed(text, text, integer, boolean, text, text, text),
    s3vl.embed(text[], text, integer, boolean, text, text, text),
    s3vl.query_text(text, text, text, integer, boolean, jsonb, text, text, text),
    s3vl.embedding_models(),
    s3vl.embedding_model(text)
TO s3vl_reader;
-- scan_vectors runs with the caller's rights, so PostgreSQL can inline it and stream its pages
-- (50_get_list_scan.sql): its body calls these. _scan_page is a definer function that does no
-- more than list_vectors; _float8_array only converts JSON numbers.
GRANT EXECUTE ON FUNCTION
    s3vl._scan_page(text, text, boolean, boolean, integer, integer, integer, text),
    s3vl._float8_array(jsonb)
TO s3vl_reader;
-- Called by create_index_view and import_bucket, which run with the caller's rights; the
-- triggers of an index view are made by the admin who creates it (CREATE TRIGGER needs EXECUTE).
GRANT EXECUTE ON FUNCTION
    s3vl._registered_index(text, text),
    s3vl._import_indexes(text, text),
    s3vl._invalid(text, text, text, text),
    s3vl._index_view_write(),
    s3vl._index_view_send()
TO s3vl_admin;

GRANT EXECUTE ON FUNCTION
    s3vl.put_vectors(text, text[], real[], jsonb[]),
    s3vl.put_vectors(text, jsonb),
    s3vl.delete_vectors(text, text[]),
    s3vl.sync_table(regclass, text, text, text, text[], boolean),
    s3vl.unsync_table(regclass, text),
    s3vl.flush(text, integer, integer),
    s3vl.retry_dead(text, text[]),
    s3vl.discard_dead(text, text[]),
    s3vl.stale_keys(regclass, text),
    s3vl.reconcile(regclass, text, boolean),
    s3vl.sync_status(),
    s3vl.purge_outbox(interval)
TO s3vl_writer;

GRANT EXECUTE ON FUNCTION
    s3vl.put_texts(text, text[], text[], jsonb[], text, text, text)
TO s3vl_writer;

-- sync_table, unsync_table, stale_keys and reconcile run with the caller's rights (they make
-- triggers on, and read, the caller's table); these private definer functions are their way
-- into s3vl's tables. Each checks what it is given and, called directly, does no more than
-- put_vectors, delete_vectors or sync_status already allow. The capture triggers' functions
-- need EXECUTE for CREATE TRIGGER; they only act for the trigger's own table.
GRANT EXECUTE ON FUNCTION
    s3vl._add_sync_source(regclass, text, text, text, text[]),
    s3vl._enqueue_row(integer, text, jsonb, jsonb, real[]),
    s3vl._sync_target(text, regclass, text),
    s3vl._forget_sync_source(integer),
    s3vl._row_version(integer, text, jsonb, jsonb, real[]),
    s3vl._reconcile_problems(integer, jsonb),
    s3vl._enqueue_deletes(integer, text[]),
    s3vl._pending_keys(text, text[]),
    s3vl._sync_capture(),
    s3vl._sync_truncate(),
    -- Invoker helpers the public invoker functions call.
    s3vl._invalid(text, text, text, text),
    s3vl._check_flag(text, text, boolean),
    s3vl._check_sync_columns(text, regclass, text, text, text[]),
    s3vl._type_is_built_in(oid),
    s3vl._read_columns(s3vl.sync_source, text),
    s3vl._text_column(regclass, text),
    s3vl._check_table_privilege(text, regclass, text, text[])
TO s3vl_writer;

GRANT EXECUTE ON FUNCTION
    s3vl.configure(text, text, integer, boolean, integer, integer),
    s3vl.validate_config(),
    s3vl.get_config(),
    s3vl.register_index(text, text, text, integer, text),
    s3vl.activate_index(text),
    s3vl.deactivate_index(text),
    s3vl.unregister_index(text),
    s3vl.import_bucket(text, text, text),
    s3vl.create_index_view(text, text, text)
TO s3vl_admin;
-- Searchable keys and the index mode (the bridge serves them only with indexAdmin).
GRANT EXECUTE ON FUNCTION
    s3vl.add_searchable_keys(text, text[], text),
    s3vl.remove_searchable_keys(text, text[]),
    s3vl.set_index_mode(text, text),
    s3vl.refresh_text_search(text)
TO s3vl_admin;
-- The embedding model an index is filled with (65_embeddings.sql).
GRANT EXECUTE ON FUNCTION
    s3vl.set_embedding_model(text, text, boolean)
TO s3vl_admin;
