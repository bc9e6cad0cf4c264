-- Keeping a table in sync with an index, part 2: delivery. s3vl.flush sends the pending changes
-- of s3vl.outbox and records in s3vl.key_version what the index now holds per key;
-- s3vl.purge_outbox forgets old sent changes.

-- s3vl._claim: lock the next pending changes of an index for this flush. Takes up to batch_size
-- changes in order, plus the later changes of the same keys (coalesced: the latest wins), and
-- gives back any key another flush holds a change of, so one key is never in two flushes.
CREATE OR REPLACE FUNCTION s3vl._claim(index_name text, batch_size integer, passed bigint[])
RETURNS TABLE (key text, ids bigint[], operation text, data jsonb, metadata jsonb,
               content_hash text, first_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_first bigint[];
    v_mine bigint[];
BEGIN
    SELECT pg_catalog.array_agg(c.id) INTO v_first FROM (
        SELECT o.id FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL AND o.id <> ALL (passed)
        ORDER BY o.id
        LIMIT batch_size
        FOR UPDATE SKIP LOCKED) AS c;
    IF v_first IS NULL THEN
        RETURN;
    END IF;
    -- The other pending changes of the same keys, when no other flush holds them.
    SELECT v_first || coalesce(pg_catalog.array_agg(c.id), '{}') INTO v_mine FROM (
        SELECT o.id FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL
          AND o.key IN (SELECT f.key FROM s3vl.outbox AS f WHERE f.id = ANY (v_first))
          AND o.id <> ALL (v_first)
        FOR UPDATE SKIP LOCKED) AS c;
    RETURN QUERY
    WITH mine AS (
        SELECT o.* FROM s3vl.outbox AS o WHERE o.id = ANY (v_mine)
    ), free AS (
        -- A pending change of the key that is not ours belongs to another flush: skip the key.
        SELECT DISTINCT m.key FROM mine AS m
        WHERE NOT EXISTS (SELECT 1 FROM s3vl.outbox AS o
                          WHERE o.index_name = _claim.index_name AND o.key = m.key
                            AND o.done_at IS NULL AND o.id <> ALL (v_mine))
    )
    SELECT m.key, pg_catalog.array_agg(m.id ORDER BY m.id),
           (pg_catalog.array_agg(m.operation ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.data ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.metadata ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.content_hash ORDER BY m.id DESC))[1],
           pg_catalog.min(m.id)
    FROM mine AS m
    WHERE m.key IN (SELECT f.key FROM free AS f)
    GROUP BY m.key
    UNION ALL
    -- Keys held elsewhere: returned with operation NULL so the caller passes over their ids.
    SELECT m.key, pg_catalog.array_agg(m.id), NULL, NULL, NULL, NULL, pg_catalog.min(m.id)
    FROM mine AS m
    WHERE m.key NOT IN (SELECT f.key FROM free AS f)
    GROUP BY m.key;
END
$$;
COMMENT ON FUNCTION s3vl._claim(text, integer, bigint[]) IS
    'Private: locks the next pending changes of an index (FOR UPDATE SKIP LOCKED), coalesced per key';

-- s3vl._settle: after a send, mark its changes done (and remember what the index now holds),
-- or count the attempt and keep the error.
CREATE OR REPLACE FUNCTION s3vl._settle(index_name text, changes jsonb, error text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF error IS NOT NULL THEN
        UPDATE s3vl.outbox AS o
        SET attempts = o.attempts + 1, last_attempt_at = pg_catalog.clock_timestamp(), last_error = error
        WHERE o.id IN (SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
                       FROM pg_catalog.jsonb_array_elements(changes) AS c);
        RETURN;
    END IF;
    UPDATE s3vl.outbox AS o
    SET done_at = pg_catalog.clock_timestamp(), last_attempt_at = pg_catalog.clock_timestamp(),
        attempts = o.attempts + 1
    WHERE o.id IN (SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
                   FROM pg_catalog.jsonb_array_elements(changes) AS c);
    INSERT INTO s3vl.key_version AS v (index_name, key, version, content_hash)
    SELECT _settle.index_name, c ->> 'key', 1, c ->> 'content_hash'
    FROM pg_catalog.jsonb_array_elements(changes) AS c
    WHERE c ->> 'operation' = 'put'
    ON CONFLICT ON CONSTRAINT key_version_pkey DO UPDATE
    SET version = v.version + 1, content_hash = EXCLUDED.content_hash, synced_at = pg_catalog.now();
    DELETE FROM s3vl.key_version AS v
    WHERE v.index_name = _settle.index_name
      AND v.key IN (SELECT c ->> 'key' FROM pg_catalog.jsonb_array_elements(changes) AS c
                    WHERE c ->> 'operation' = 'delete');
END
$$;
COMMENT ON FUNCTION s3vl._settle(text, jsonb, text) IS
    'Private: marks sent changes done and records key versions, or counts a failed attempt with its error';

-- s3vl.flush: send an index's pending changes, batch_size changes at a time, until none is
-- left or a send fails. Repeated changes of one key are coalesced (the latest wins). A change is
-- marked done only after S3 Vectors accepted it; a failed send stays pending with its error and
-- attempt count, and flush stops there. Flushes in several sessions share the work: claimed
-- changes stay locked until the caller's transaction ends (FOR UPDATE SKIP LOCKED), and a key
-- is never in two flushes at once, so no change is sent twice and a key's changes stay in order.
CREATE OR REPLACE FUNCTION s3vl.flush(index_name text, batch_size integer DEFAULT 500)
RETURNS TABLE (put_count integer, delete_count integer, failed_count integer,
               pending_count bigint, last_error text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_index record;
    v_passed bigint[] := '{}';
    v_changes jsonb;
    v_light jsonb;
    v_send record;
    v_settled text[];
    v_puts integer := 0;
    v_deletes integer := 0;
    v_failed integer := 0;
    v_error text;
BEGIN
    SELECT * INTO v_index FROM s3vl._write_target('flush', $1);
    IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 10000 THEN
        PERFORM s3vl._invalid('flush', 'batch_size',
            pg_catalog.format('must be between 1 and 10000, got %s', coalesce(batch_size::text, 'NULL')),
            'Pass batch_size => 500: each batch goes out in invocations of at most 500 vectors.');
    END IF;

    <<batches>>
    LOOP
        SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.first_id) INTO v_changes
        FROM s3vl._claim(v_index.label, batch_size, v_passed) AS c;
        EXIT WHEN v_changes IS NULL;
        -- Keys another flush holds are passed over from now on (that flush sends them).
        v_passed := v_passed || ARRAY(
            SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
            FROM pg_catalog.jsonb_array_elements(v_changes) AS c
            WHERE c -> 'operation' = 'null'::jsonb);
        v_settled := '{}';
        -- What settling needs, without the vectors (large: kept out of the per-send work).
        SELECT pg_catalog.jsonb_agg(c - 'data' - 'metadata') INTO v_light
        FROM pg_catalog.jsonb_array_elements(v_changes) AS c;

        -- Deletes, then puts (distinct keys, so their order does not matter), each cut like
        -- delete_vectors and put_vectors cut theirs.
        FOR v_send IN
            SELECT 'delete' AS operation, d.n, NULL::jsonb AS vectors,
                   pg_catalog.array_agg(d.c ->> 'key' ORDER BY (d.c ->> 'first_id')::bigint) AS keys
            FROM (SELECT c, (pg_catalog.row_number() OVER (ORDER BY (c ->> 'first_id')::bigint) - 1) / 500 AS n
                  FROM pg_catalog.jsonb_array_elements(v_changes) AS c
                  WHERE c ->> 'operation' = 'delete') AS d
            GROUP BY d.n
            UNION ALL
            SELECT 'put', b.batch, b.vectors, b.keys
            FROM s3vl._put_batches((
                SELECT pg_catalog.jsonb_agg(
                           pg_catalog.jsonb_build_object('key', c -> 'key', 'data', c -> 'data')
                           || CASE WHEN c -> 'metadata' = '{}'::jsonb THEN '{}'::jsonb
                                   ELSE pg_catalog.jsonb_build_object('metadata', c -> 'metadata') END
                           ORDER BY (c ->> 'first_id')::bigint)
                FROM pg_catalog.jsonb_array_elements(v_changes) AS c
                WHERE c ->> 'operation' = 'put')) AS b
            ORDER BY 1, 2
        LOOP
            BEGIN
                IF v_send.operation = 'delete' THEN
                    PERFORM s3vl._send_delete('flush', v_index.arn, v_send.keys);
                ELSE
                    PERFORM s3vl._send_put('flush', v_index.arn, v_send.vectors);
                END IF;
            EXCEPTION WHEN OTHERS THEN
                v_error := SQLERRM;
            END;
            IF v_error IS NOT NULL THEN
                -- This send and every later one of the batch stay pending, with the error.
                SELECT pg_catalog.count(*) INTO v_failed
                FROM pg_catalog.jsonb_array_elements(v_light) AS c
                WHERE c -> 'operation' <> 'null'::jsonb AND (c ->> 'key') <> ALL (v_settled);
                PERFORM s3vl._settle(v_index.label,
                    (SELECT pg_catalog.jsonb_agg(c) FROM pg_catalog.jsonb_array_elements(v_light) AS c
                     WHERE c -> 'operation' <> 'null'::jsonb AND (c ->> 'key') <> ALL (v_settled)),
                    v_error);
                RAISE WARNING 's3vl.flush: % change(s) of index "%" stay pending: %', v_failed, v_index.label, v_error
                    USING HINT = 'They are retried by the next s3vl.flush; see attempts and last_error in SELECT * FROM s3vl.sync_status();';
                EXIT batches;
            END IF;
            PERFORM s3vl._settle(v_index.label,
                (SELECT pg_catalog.jsonb_agg(c) FROM pg_catalog.jsonb_array_elements(v_light) AS c
                 WHERE (c ->> 'key') = ANY (v_send.keys)),
                NULL);
            v_settled := v_settled || v_send.keys;
            IF v_send.operation = 'delete' THEN
                v_deletes := v_deletes + pg_catalog.cardinality(v_send.keys);
            ELSE
                v_puts := v_puts + pg_catalog.cardinality(v_send.keys);
            END IF;
        END LOOP;
    END LOOP;

    RETURN QUERY
    SELECT v_puts, v_deletes, v_failed,
           (SELECT pg_catalog.count(*) FROM s3vl.outbox AS o
            WHERE o.index_name = v_index.label AND o.done_at IS NULL),
           v_error;
END
$$;
COMMENT ON FUNCTION s3vl.flush(text, integer) IS
    'Sends an index''s pending changes (coalesced per key, in order) until none is left or a send fails; marks them done only once S3 Vectors accepted them; safe in several sessions at once (SKIP LOCKED); returns put_count, delete_count, failed_count, pending_count, last_error';

-- s3vl.purge_outbox: forget changes that were sent longer ago than keep.
CREATE OR REPLACE FUNCTION s3vl.purge_outbox(keep interval DEFAULT '7 days')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    IF keep IS NULL OR keep < interval '0' THEN
        PERFORM s3vl._invalid('purge_outbox', 'keep', 'must be a positive interval',
            'Pass e.g. keep => interval ''1 day''; changes sent before now() - keep are deleted.');
    END IF;
    DELETE FROM s3vl.outbox AS o WHERE o.done_at < pg_catalog.now() - keep;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION s3vl.purge_outbox(interval) IS
    'Deletes outbox rows sent longer ago than keep (default 7 days); returns how many';
