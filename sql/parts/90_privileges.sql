-- Privileges. PUBLIC gets nothing; each role gets exactly its functions (and inherits the
-- functions of the roles below it). Tables and private helpers are reachable only through the
-- SECURITY DEFINER functions.
REVOKE ALL ON SCHEMA s3vl FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA s3vl FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA s3vl FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA s3vl FROM PUBLIC;

GRANT USAGE ON SCHEMA s3vl TO s3vl_reader, s3vl_writer, s3vl_admin;

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

GRANT EXECUTE ON FUNCTION
    s3vl.put_vectors(text, text[], real[], jsonb[]),
    s3vl.put_vectors(text, jsonb),
    s3vl.delete_vectors(text, text[]),
    s3vl.sync_table(regclass, text, text, text, text[], boolean),
    s3vl.unsync_table(regclass, text),
    s3vl.flush(text, integer),
    s3vl.stale_keys(regclass, text),
    s3vl.reconcile(regclass, text, boolean),
    s3vl.sync_status(),
    s3vl.purge_outbox(interval)
TO s3vl_writer;

GRANT EXECUTE ON FUNCTION
    s3vl.configure(text, text, integer, boolean),
    s3vl.validate_config(),
    s3vl.get_config(),
    s3vl.register_index(text, text, text, integer, text),
    s3vl.activate_index(text),
    s3vl.deactivate_index(text),
    s3vl.unregister_index(text),
    s3vl.import_bucket(text, text, text),
    s3vl.create_index_view(text, text, text)
TO s3vl_admin;
