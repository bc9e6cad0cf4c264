-- Keeping a table in sync with an index, part 2: delivery. s3vl.flush sends the pending changes
-- of s3vl.outbox and records in s3vl.key_version what the index now holds per key;
-- s3vl.retry_dead and s3vl.discard_dead deal with dead changes; s3vl.purge_outbox forgets old
-- finished ones.
--
-- The life of a change (one outbox row):
--   pending   done_at and dead_at NULL: flush sends it (coalesced with the other pending
--             changes of its key, the latest wins);
--   done      done_at set once the bridge's success answer names its key (or a newer change
--             of the key was sent: a dead change is then superseded);
--   dead      dead_at set after s3vl.config.max_attempts failed sends: flush passes over it,
--             so one change that can never succeed does not hold up the queue;
--   discarded discarded_at and done_at set by s3vl.discard_dead.
-- A send whose outcome is unknown (the invocation timed out or its connection broke, the
-- statement was cancelled, or S3 Vectors answered the bridge "unavailable" or timed out) may
-- still be written after a later send of the same key. Its changes get in_doubt_until = the
-- time of failure + s3vl.config.function_timeout_seconds (by then the abandoned invocation
-- has ended), and no change of the key is sent before that; afterwards the key's latest change
-- is sent again, whatever the abandoned invocation wrote.

-- s3vl._claim
-- Every lookup goes by id or by (index_name, key) through arrays, never a self-join of the
-- outbox, and plans are made for each call: the outbox can grow by thousands of rows while a
-- flush runs, and a plan made for a small outbox must not turn quadratic.
CREATE OR REPLACE FUNCTION s3vl._claim(index_name text, batch_size integer, after_id bigint,
                                       horizon bigint, passed bigint[])
RETURNS TABLE (key text, ids bigint[], operation text, data jsonb, metadata jsonb,
               content_hash text, first_id bigint, last_first_id bigint)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_doubt text[];
    v_first bigint[];
    v_last bigint;
    v_keys text[];
    v_mine bigint[];
BEGIN
    v_doubt := s3vl._keys_in_doubt(_claim.index_name);
    SELECT pg_catalog.array_agg(c.id ORDER BY c.id) INTO v_first FROM (
        SELECT o.id FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL AND o.dead_at IS NULL
          AND o.id > after_id AND o.id <= horizon
          AND o.id <> ALL (passed) AND o.key <> ALL (v_doubt)
        ORDER BY o.id
        LIMIT batch_size
        FOR UPDATE OF o SKIP LOCKED) AS c;
    IF v_first IS NULL THEN
        RETURN;
    END IF;
    v_last := v_first[pg_catalog.cardinality(v_first)];
    v_keys := ARRAY(SELECT DISTINCT o.key FROM s3vl.outbox AS o WHERE o.id = ANY (v_first));
    -- Every unfinished (pending or dead) change of those keys that no other flush holds; ours
    -- are among them (a row this transaction locked is not skipped).
    SELECT pg_catalog.array_agg(c.id) INTO v_mine FROM (
        SELECT o.id FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL AND o.key = ANY (v_keys)
        FOR UPDATE OF o SKIP LOCKED) AS c;
    RETURN QUERY
    WITH mine AS (
        SELECT o.* FROM s3vl.outbox AS o WHERE o.id = ANY (v_mine)
    ), unfinished AS (
        SELECT o.key, pg_catalog.count(*) AS n FROM s3vl.outbox AS o
        WHERE o.index_name = _claim.index_name AND o.done_at IS NULL AND o.key = ANY (v_keys)
        GROUP BY o.key
    ), free AS (
        -- An unfinished change of the key that is not ours belongs to another flush (or was
        -- recorded meanwhile): skip the key.
        SELECT u.key FROM unfinished AS u
        JOIN (SELECT m.key, pg_catalog.count(*) AS n FROM mine AS m GROUP BY m.key) AS t
          ON t.key = u.key AND t.n = u.n
    )
    SELECT m.key, pg_catalog.array_agg(m.id ORDER BY m.id),
           (pg_catalog.array_agg(m.operation ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.data ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.metadata ORDER BY m.id DESC))[1],
           (pg_catalog.array_agg(m.content_hash ORDER BY m.id DESC))[1],
           pg_catalog.min(m.id), v_last
    FROM mine AS m
    WHERE m.key IN (SELECT f.key FROM free AS f)
    GROUP BY m.key
    UNION ALL
    -- Keys held elsewhere: returned with operation NULL so the caller passes over their ids.
    SELECT m.key, pg_catalog.array_agg(m.id), NULL, NULL, NULL, NULL, pg_catalog.min(m.id), v_last
    FROM mine AS m
    WHERE m.key NOT IN (SELECT f.key FROM free AS f)
    GROUP BY m.key;
END
$$;
COMMENT ON FUNCTION s3vl._claim(text, integer, bigint, bigint, bigint[]) IS
    'Private: locks the next pending changes of an index for a flush (FOR UPDATE SKIP LOCKED): up to batch_size in order, after after_id (what the flush already took), no later than horizon (the newest pending when it started), not passed over, of keys not in doubt; plus the other pending and dead changes of those keys, coalesced per key (the latest wins, a dead one is superseded); a key another flush holds a change of comes back with operation NULL, so one key is never in two flushes; last_first_id is the newest change taken in order (the next after_id)';

-- s3vl._keys_in_doubt
-- Few: the keys of the sends whose outcome was unknown, for function_timeout_seconds.
CREATE OR REPLACE FUNCTION s3vl._keys_in_doubt(index_name text)
RETURNS text[]
LANGUAGE sql VOLATILE
AS $$
    SELECT ARRAY(SELECT DISTINCT d.key FROM s3vl.outbox AS d
                 WHERE d.index_name = _keys_in_doubt.index_name AND d.in_doubt_until IS NOT NULL
                   AND d.in_doubt_until > pg_catalog.clock_timestamp())
$$;
COMMENT ON FUNCTION s3vl._keys_in_doubt(text) IS
    'Private: the keys of an index in doubt now (in_doubt_until in the future): their last send may still land';

-- s3vl._change_ids
CREATE OR REPLACE FUNCTION s3vl._change_ids(changes jsonb)
RETURNS bigint[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(c -> 'ids')::bigint
                 FROM pg_catalog.jsonb_array_elements(changes) AS c)
$$;
COMMENT ON FUNCTION s3vl._change_ids(jsonb) IS
    'Private: the outbox ids of claimed changes ([{ids: [...]}, ...])';

-- s3vl._settle_done
CREATE OR REPLACE FUNCTION s3vl._settle_done(index_name text, changes jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    UPDATE s3vl.outbox AS o
    SET done_at = pg_catalog.clock_timestamp(), last_attempt_at = pg_catalog.clock_timestamp(),
        attempts = o.attempts + 1
    WHERE o.id = ANY (s3vl._change_ids(changes));
    INSERT INTO s3vl.key_version AS v (index_name, key, version, content_hash)
    SELECT _settle_done.index_name, c ->> 'key', 1, c ->> 'content_hash'
    FROM pg_catalog.jsonb_array_elements(changes) AS c
    WHERE c ->> 'operation' = 'put'
    ON CONFLICT ON CONSTRAINT key_version_pkey DO UPDATE
    SET version = v.version + 1, content_hash = EXCLUDED.content_hash, synced_at = pg_catalog.now();
    DELETE FROM s3vl.key_version AS v
    WHERE v.index_name = _settle_done.index_name
      AND v.key IN (SELECT c ->> 'key' FROM pg_catalog.jsonb_array_elements(changes) AS c
                    WHERE c ->> 'operation' = 'delete');
END
$$;
COMMENT ON FUNCTION s3vl._settle_done(text, jsonb) IS
    'Private: marks done the changes whose keys the bridge''s success answer named (a dead change of the key is superseded: done, dead_at kept), and records what the index now holds per key (s3vl.key_version)';

-- s3vl._settle_failed
CREATE OR REPLACE FUNCTION s3vl._settle_failed(changes jsonb, error text, counted boolean,
                                               max_attempts integer,
                                               in_doubt_until timestamp with time zone)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_ids bigint[] := s3vl._change_ids(changes);
    v_dead_before integer;
    v_dead_after integer;
BEGIN
    SELECT pg_catalog.count(*) INTO v_dead_before FROM s3vl.outbox AS o
    WHERE o.id = ANY (v_ids) AND o.dead_at IS NOT NULL;
    UPDATE s3vl.outbox AS o
    SET attempts = o.attempts + CASE WHEN counted THEN 1 ELSE 0 END,
        last_attempt_at = pg_catalog.clock_timestamp(),
        last_error = error,
        in_doubt_until = GREATEST(o.in_doubt_until, _settle_failed.in_doubt_until),
        dead_at = CASE WHEN o.dead_at IS NOT NULL THEN o.dead_at
                       WHEN counted AND o.attempts + 1 >= max_attempts THEN pg_catalog.clock_timestamp()
                  END
    WHERE o.id = ANY (v_ids);
    SELECT pg_catalog.count(*) INTO v_dead_after FROM s3vl.outbox AS o
    WHERE o.id = ANY (v_ids) AND o.dead_at IS NOT NULL;
    RETURN v_dead_after - v_dead_before;
END
$$;
COMMENT ON FUNCTION s3vl._settle_failed(jsonb, text, boolean, integer, timestamp with time zone) IS
    'Private: keeps the changes of a failed send unfinished with the error; counted (the send left, or may have) adds an attempt, dead at max_attempts; in_doubt_until (the send''s outcome is unknown until then) holds their keys; returns how many died now';

-- s3vl._failure_kind
--   refused   the bridge refused the request as invalid (22023): one of its changes, or the
--             only one, can never be written as it is;
--   in_doubt  the outcome is unknown: no answer (invoke API failed 58000, a function error
--             38000: crashed or timed out), the statement cancelled (57014), or S3 Vectors
--             answered the bridge unavailable / timed out (the request may still land). Even
--             "Unable to connect to endpoint" is in doubt: compat says so also when a kept-alive
--             connection broke under a request and the retry could not connect;
--   not_sent  refused before anything was sent (s3vl not configured, an endpoint set by a
--             session, a bad aws_lambda setting): no attempt is counted;
--   failed    the bridge answered with any other error (throttled, access denied, unknown
--             index, quota ...): nothing was written.
-- The bridge's answers are told apart by the DETAIL s3vl._raise_lambda_error gives them:
-- 'The bridge Lambda function answered <type>[ on field "<field>"]; retryable: <bool>; ...'.
CREATE OR REPLACE FUNCTION s3vl._failure_kind(state text, detail text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_type text := pg_catalog.lower(pg_catalog.replace(
        pg_catalog.substring(detail, '^The bridge Lambda function answered ([A-Za-z0-9_.:-]+)'), '_', ''));
    v_retryable text := pg_catalog.substring(detail, '; retryable: ([a-z]+);');
BEGIN
    IF state = '57014' THEN
        RETURN 'in_doubt';
    ELSIF v_type IS NULL THEN
        -- No answer from the bridge: either the invocation itself failed, or nothing was sent.
        RETURN CASE WHEN state IN ('58000', '38000') THEN 'in_doubt' ELSE 'not_sent' END;
    ELSIF state = '22023' THEN
        RETURN 'refused';
    ELSIF v_type ~ '(throttl|toomanyrequests)' THEN
        RETURN 'failed';
    ELSIF v_type ~ '(unavailable|timeout|timedout|partialwrite)' OR v_retryable = 'true' THEN
        RETURN 'in_doubt';
    END IF;
    RETURN 'failed';
END
$$;
COMMENT ON FUNCTION s3vl._failure_kind(text, text) IS
    'Private: what a failed send means (refused, in_doubt, not_sent, failed), from the SQLSTATE and DETAIL of the error s3vl._invoke raised';

-- s3vl._deliver
-- When the bridge refuses a send of several changes as invalid, the culprit is isolated (the
-- change its error field names, else each change alone) so only it accrues an attempt and the
-- others go out. stop: a failure that is not one change's (unknown outcome, the bridge or S3
-- Vectors failing): the flush ends there.
-- items: each put's vector as the JSON text it is sent as, by key ({key: text}); the changes
-- themselves stay small, as every step here takes them apart again.
CREATE OR REPLACE FUNCTION s3vl._deliver(label text, arn text, operation text, changes jsonb,
                                         max_attempts integer, function_timeout_seconds integer,
                                         items jsonb)
RETURNS TABLE (done_count integer, failed_count integer, died_count integer, error text,
               stop boolean)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_queue jsonb[] := ARRAY[changes];
    v_part jsonb;
    v_request json;
    v_result jsonb;
    v_named text[];
    v_left jsonb;
    v_state text;
    v_message text;
    v_detail text;
    v_kind text;
    v_culprit integer;
    v_culprit_key text;
    v_envelope jsonb;
    v_partly text[];
    v_sent jsonb;
    v_written jsonb;
    v_until timestamp with time zone;
    v_done integer := 0;
    v_failed integer := 0;
    v_died integer := 0;
    v_error text;
BEGIN
    WHILE pg_catalog.cardinality(v_queue) > 0 LOOP
        v_part := v_queue[1];
        v_queue := v_queue[2:];
        IF operation = 'put' THEN
            v_request := s3vl._put_request(arn,
                ARRAY(SELECT items ->> (e.c ->> 'key')
                      FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS e(c, n) ORDER BY e.n));
        ELSE
            v_request := pg_catalog.jsonb_build_object('operation', 'delete_vectors', 'index_arn', arn,
                'vector_ids', (SELECT pg_catalog.jsonb_agg(e.c -> 'key' ORDER BY e.n)
                               FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS e(c, n)))::json;
        END IF;

        v_state := NULL;
        v_partly := '{}';
        BEGIN
            v_envelope := s3vl._invoke_envelope('flush', v_request);
            IF (v_envelope ->> 'success') IS DISTINCT FROM 'true' THEN
                -- A PartialWrite is raised as its cause, whose kind settles the rest below.
                v_partly := s3vl._partly_done(v_envelope);
                PERFORM s3vl._raise_lambda_error('flush', v_envelope);
            END IF;
            v_result := v_envelope -> 'result';
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL;
        END;

        IF v_state IS NULL THEN
            -- Done is what the answer names: an answer without the keys (an older bridge, or
            -- not the bridge at all) marks nothing done.
            v_named := s3vl._strings(v_result -> CASE operation WHEN 'put' THEN 'written_keys' ELSE 'deleted_keys' END);
            PERFORM s3vl._settle_done(label,
                coalesce((SELECT pg_catalog.jsonb_agg(e.c) FROM pg_catalog.jsonb_array_elements(v_part) AS e(c)
                          WHERE (e.c ->> 'key') = ANY (v_named)), '[]'::jsonb));
            v_left := (SELECT pg_catalog.jsonb_agg(e.c) FROM pg_catalog.jsonb_array_elements(v_part) AS e(c)
                       WHERE (e.c ->> 'key') <> ALL (v_named));
            v_done := v_done + pg_catalog.jsonb_array_length(v_part) - coalesce(pg_catalog.jsonb_array_length(v_left), 0);
            IF v_left IS NOT NULL THEN
                v_error := pg_catalog.format(
                    's3vl.flush: the bridge answered success but its answer did not name %s of the %s key(s) sent (first: %L) in %s, so they stay pending',
                    pg_catalog.jsonb_array_length(v_left), pg_catalog.jsonb_array_length(v_part),
                    v_left -> 0 ->> 'key',
                    CASE operation WHEN 'put' THEN 'result.written_keys' ELSE 'result.deleted_keys' END);
                v_died := v_died + s3vl._settle_failed(v_left, v_error, true, max_attempts, NULL);
                v_failed := v_failed + pg_catalog.jsonb_array_length(v_left);
                RETURN QUERY SELECT v_done, v_failed, v_died, v_error, true;
                RETURN;
            END IF;
            CONTINUE;
        END IF;

        IF pg_catalog.cardinality(v_partly) > 0 THEN
            -- Chunks of the send were written all the same: their changes are done. v_sent keeps
            -- the send as it went out, which a refusal's vectors[i] counts in.
            v_written := (SELECT pg_catalog.jsonb_agg(e.c) FROM pg_catalog.jsonb_array_elements(v_part) AS e(c)
                          WHERE (e.c ->> 'key') = ANY (v_partly));
            IF v_written IS NOT NULL THEN
                PERFORM s3vl._settle_done(label, v_written);
                v_done := v_done + pg_catalog.jsonb_array_length(v_written);
            END IF;
        END IF;
        v_sent := v_part;
        v_part := coalesce((SELECT pg_catalog.jsonb_agg(e.c ORDER BY e.n)
                            FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS e(c, n)
                            WHERE (e.c ->> 'key') <> ALL (v_partly)), '[]'::jsonb);
        CONTINUE WHEN pg_catalog.jsonb_array_length(v_part) = 0;

        v_kind := s3vl._failure_kind(v_state, v_detail);
        v_error := v_message;
        IF v_kind = 'refused' AND (pg_catalog.jsonb_array_length(v_sent) > 1
                                   OR pg_catalog.jsonb_array_length(v_part) > 1) THEN
            -- The bridge checks every item before writing any and names the first bad one:
            -- vectors[i] / vector_ids[i], 0-based, in the order sent.
            v_culprit := pg_catalog.substring(v_detail, ' on field "(?:vectors|vector_ids)\[([0-9]{1,6})\]')::integer;
            v_culprit_key := CASE WHEN v_culprit < pg_catalog.jsonb_array_length(v_sent)
                                  THEN v_sent -> v_culprit ->> 'key' END;
            IF v_culprit_key IS NOT NULL AND v_culprit_key <> ALL (v_partly) THEN
                v_died := v_died + s3vl._settle_failed(
                    (SELECT pg_catalog.jsonb_agg(e.c) FROM pg_catalog.jsonb_array_elements(v_part) AS e(c)
                     WHERE e.c ->> 'key' = v_culprit_key), v_error, true, max_attempts, NULL);
                v_failed := v_failed + 1;
                v_part := coalesce((SELECT pg_catalog.jsonb_agg(e.c ORDER BY e.n)
                                    FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS e(c, n)
                                    WHERE e.c ->> 'key' <> v_culprit_key), '[]'::jsonb);
                IF pg_catalog.jsonb_array_length(v_part) > 0 THEN
                    v_queue := ARRAY[v_part] || v_queue;
                END IF;
            ELSE
                -- No item named: each change alone finds the bad ones.
                v_queue := ARRAY(SELECT pg_catalog.jsonb_build_array(e.c)
                                 FROM pg_catalog.jsonb_array_elements(v_part) WITH ORDINALITY AS e(c, n)
                                 ORDER BY e.n) || v_queue;
            END IF;
            CONTINUE;
        END IF;

        v_until := CASE WHEN v_kind = 'in_doubt'
                        THEN pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => function_timeout_seconds) END;
        IF v_until IS NOT NULL THEN
            v_error := pg_catalog.format(
                '%s (the outcome is unknown: the write may still land, so its keys are not sent again before %s)',
                v_message, v_until);
        END IF;
        v_died := v_died + s3vl._settle_failed(v_part, v_error, v_kind <> 'not_sent', max_attempts, v_until);
        v_failed := v_failed + pg_catalog.jsonb_array_length(v_part);
        IF v_kind <> 'refused' THEN
            RETURN QUERY SELECT v_done, v_failed, v_died, v_error, true;
            RETURN;
        END IF;
        -- One change refused: the rest of the queue goes on.
    END LOOP;
    RETURN QUERY SELECT v_done, v_failed, v_died, v_error, false;
END
$$;
COMMENT ON FUNCTION s3vl._deliver(text, text, text, jsonb, integer, integer, jsonb) IS
    'Private: sends changes of one operation (one batch of put_vectors or delete_vectors; a put''s vector from items, by key) and settles each by the answer: marks done only the keys the success answer (or a PartialWrite''s details) names (the others stay pending, and a partial write''s with its cause), isolates changes the bridge refuses, holds keys in doubt after an unknown outcome; stop: the flush ends there';

-- s3vl.flush
-- The life of a change and the doubt window: see the top of this file. Claimed changes stay
-- locked until the caller's transaction ends, and a key is never in two flushes at once, so no
-- change is sent twice and a key's changes stay in order.
CREATE OR REPLACE FUNCTION s3vl.flush(index_name text, batch_size integer DEFAULT 1500,
                                      max_batches integer DEFAULT 100)
RETURNS TABLE (put_count integer, delete_count integer, failed_count integer,
               pending_count bigint, last_error text, dead_count bigint, in_doubt_count bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_index record;
    v_config s3vl.config;
    v_horizon bigint;
    v_after bigint := 0;
    v_batches integer := 0;
    v_passed bigint[] := '{}';
    v_changes jsonb;
    v_items jsonb;
    v_put_changes jsonb;
    v_doubt text[];
    v_send record;
    v_sent record;
    v_embedded record;
    v_puts integer := 0;
    v_deletes integer := 0;
    v_failed integer := 0;
    v_died integer := 0;
    v_error text;
    v_stop boolean := false;
BEGIN
    SELECT * INTO v_index FROM s3vl._resolve_index('flush', index_name, NULL);
    IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 10000 THEN
        PERFORM s3vl._invalid('flush', 'batch_size',
            pg_catalog.format('must be between 1 and 10000, got %s', coalesce(batch_size::text, 'NULL')),
            pg_catalog.format('Leave it out for %s: each batch goes out in invocations of at most that many vectors.',
                s3vl._limit('put_batch')));
    END IF;
    IF max_batches IS NULL OR max_batches NOT BETWEEN 1 AND 100000 THEN
        PERFORM s3vl._invalid('flush', 'max_batches',
            pg_catalog.format('must be between 1 and 100000, got %s', coalesce(max_batches::text, 'NULL')),
            'Leave it out for 100: one call sends at most max_batches * batch_size changes; call flush again for more.');
    END IF;
    v_config := s3vl._configuration('flush');

    -- Only what is pending now: changes recorded while this flush runs wait for the next call.
    SELECT pg_catalog.max(o.id) INTO v_horizon FROM s3vl.outbox AS o
    WHERE o.index_name = v_index.label AND o.done_at IS NULL AND o.dead_at IS NULL;

    -- A synced text column's changes get their vectors first (65_embeddings.sql); the keys left
    -- without one are passed over.
    SELECT * INTO v_embedded FROM s3vl._embed_pending(v_index.label, v_index.arn,
        batch_size * max_batches, v_config.max_attempts);
    v_passed := v_embedded.passed;
    v_failed := v_embedded.failed_count;
    v_died := v_embedded.died_count;
    v_error := v_embedded.error;

    WHILE v_horizon IS NOT NULL AND v_batches < max_batches AND NOT v_stop LOOP
        -- A put's vector is made once here, from the outbox's data, into the JSON text it is
        -- sent as (v_items, by key); the sends build their requests from it as text.
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'key', c.key, 'ids', c.ids, 'operation', c.operation, 'content_hash', c.content_hash,
                   'first_id', c.first_id) ORDER BY c.first_id),
               pg_catalog.jsonb_object_agg(c.key, s3vl._put_item(c.key, c.data::text, c.metadata))
                   FILTER (WHERE c.operation = 'put'),
               pg_catalog.max(c.last_first_id)
        INTO v_changes, v_items, v_after
        FROM s3vl._claim(v_index.label, batch_size, v_after, v_horizon, v_passed) AS c;
        EXIT WHEN v_changes IS NULL;
        v_batches := v_batches + 1;
        v_put_changes := (SELECT pg_catalog.jsonb_agg(e.c ORDER BY (e.c ->> 'first_id')::bigint)
                          FROM pg_catalog.jsonb_array_elements(v_changes) AS e(c)
                          WHERE e.c ->> 'operation' = 'put');

        -- Deletes, then puts (distinct keys, so their order does not matter), each cut like
        -- delete_vectors and put_vectors cut theirs.
        FOR v_send IN
            SELECT 'delete' AS operation, d.n AS part,
                   pg_catalog.jsonb_agg(d.c ORDER BY (d.c ->> 'first_id')::bigint) AS changes
            FROM (SELECT e.c, (pg_catalog.row_number() OVER (ORDER BY (e.c ->> 'first_id')::bigint) - 1)
                              / s3vl._limit('delete_keys')::integer AS n
                  FROM pg_catalog.jsonb_array_elements(v_changes) AS e(c)
                  WHERE e.c ->> 'operation' = 'delete') AS d
            GROUP BY d.n
            UNION ALL
            SELECT 'put', b.batch,
                   pg_catalog.jsonb_path_query_array(v_put_changes, '$[$first to $last]',
                       pg_catalog.jsonb_build_object('first', b.first_item - 1, 'last', b.last_item - 1))
            FROM s3vl._put_batches(ARRAY(SELECT v_items ->> (e.c ->> 'key')
                                         FROM pg_catalog.jsonb_array_elements(v_put_changes) WITH ORDINALITY AS e(c, n)
                                         ORDER BY e.n)) AS b
            ORDER BY 1, 2
        LOOP
            SELECT * INTO v_sent FROM s3vl._deliver(v_index.label, v_index.arn, v_send.operation,
                v_send.changes, v_config.max_attempts, v_config.function_timeout_seconds, v_items);
            IF v_send.operation = 'delete' THEN
                v_deletes := v_deletes + v_sent.done_count;
            ELSE
                v_puts := v_puts + v_sent.done_count;
            END IF;
            v_failed := v_failed + v_sent.failed_count;
            v_died := v_died + v_sent.died_count;
            v_error := coalesce(v_sent.error, v_error);
            IF v_sent.stop THEN
                v_stop := true;
                EXIT;
            END IF;
        END LOOP;

        -- Passed over for the rest of this call: keys another flush holds, and what failed,
        -- beyond what the next claim starts after.
        v_passed := ARRAY(SELECT p.id FROM pg_catalog.unnest(v_passed) AS p(id) WHERE p.id > v_after)
            || ARRAY(SELECT o.id FROM s3vl.outbox AS o
                     WHERE o.id = ANY (s3vl._change_ids(v_changes)) AND o.id > v_after
                       AND o.done_at IS NULL AND o.dead_at IS NULL);
    END LOOP;

    IF v_died > 0 THEN
        RAISE WARNING 's3vl.flush: % change(s) of index "%" failed % times and are dead: flush no longer sends them',
            v_died, v_index.label, v_config.max_attempts
            USING HINT = 'See dead_count and last_error in SELECT * FROM s3vl.sync_status(); fix the rows (a newer change supersedes a dead one), or run s3vl.retry_dead or s3vl.discard_dead.';
    END IF;
    IF v_stop THEN
        RAISE WARNING 's3vl.flush: changes of index "%" stay pending: %', v_index.label, v_error
            USING HINT = 'They are retried by the next s3vl.flush (keys whose send may still land wait until in_doubt_until); see SELECT * FROM s3vl.sync_status();';
    END IF;

    v_doubt := s3vl._keys_in_doubt(v_index.label);
    RETURN QUERY
    SELECT v_puts, v_deletes, v_failed,
           pg_catalog.count(*) FILTER (WHERE o.dead_at IS NULL),
           v_error,
           pg_catalog.count(*) FILTER (WHERE o.dead_at IS NOT NULL),
           pg_catalog.count(*) FILTER (WHERE o.dead_at IS NULL AND o.key = ANY (v_doubt))
    FROM s3vl.outbox AS o
    WHERE o.index_name = v_index.label AND o.done_at IS NULL;
END
$$;
COMMENT ON FUNCTION s3vl.flush(text, integer, integer) IS
    'Sends the changes of an index (name or ARN) pending when it starts (coalesced per key, the latest wins, in order), at most max_batches batches of batch_size; marks a change done only when the bridge''s answer names its key; a change the bridge refuses as invalid accrues an attempt alone (the others of its send go out) and is dead-lettered after max_attempts (s3vl.configure); a send of unknown outcome holds its keys in doubt; any other failure stays pending with its error and attempt count, and flush stops there; safe in several sessions at once (SKIP LOCKED); returns put_count, delete_count, failed_count, pending_count, last_error, dead_count, in_doubt_count';

-- s3vl._check_dead_arguments
CREATE OR REPLACE FUNCTION s3vl._check_dead_arguments(fn text, index_name text, keys text[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_null integer;
BEGIN
    IF index_name IS NULL OR pg_catalog.btrim(index_name) = '' THEN
        PERFORM s3vl._invalid(fn, 'index_name', 'must not be null or empty',
            'Pass the index a table is synced with, as listed by SELECT index_name, dead_count FROM s3vl.sync_status();');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM s3vl.sync_source AS s WHERE s.index_name = _check_dead_arguments.index_name)
       AND NOT EXISTS (SELECT 1 FROM s3vl.index_registry AS r WHERE r.index_name = _check_dead_arguments.index_name) THEN
        RAISE EXCEPTION 's3vl.%: index "%" is not registered and no table is synced with it', fn, index_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Argument "index_name" must name an index of s3vl.sync_status().',
                  HINT = 'Run SELECT index_name, dead_count FROM s3vl.sync_status(); to see the dead changes per index.';
    END IF;
    IF keys IS NULL THEN
        RETURN;
    END IF;
    IF pg_catalog.array_ndims(keys) IS NULL THEN
        PERFORM s3vl._invalid(fn, 'keys', 'must not be empty',
            'Leave keys out (NULL) for every dead change of the index, or pass ARRAY[''key'', ...].');
    END IF;
    IF pg_catalog.array_ndims(keys) <> 1 THEN
        PERFORM s3vl._invalid(fn, 'keys',
            pg_catalog.format('must be a one-dimensional array, got %s dimensions', pg_catalog.array_ndims(keys)),
            'Pass ARRAY[''key'', ...].');
    END IF;
    SELECT k.n INTO v_null FROM pg_catalog.unnest(keys) WITH ORDINALITY AS k(key, n)
    WHERE k.key IS NULL ORDER BY k.n LIMIT 1;
    IF FOUND THEN
        PERFORM s3vl._invalid(fn, 'keys', pg_catalog.format('has NULL at position %s', v_null),
            'Every key must be a text value; leave keys out (NULL) for every dead change of the index.');
    END IF;
END
$$;
COMMENT ON FUNCTION s3vl._check_dead_arguments(text, text, text[]) IS
    'Private: the checks of retry_dead and discard_dead: SQLSTATE 22023 or 42704 unless index_name has synced tables or is registered, and keys is NULL (every dead change of the index) or a non-empty list of non-NULL keys';

-- s3vl.retry_dead
CREATE OR REPLACE FUNCTION s3vl.retry_dead(index_name text, keys text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    PERFORM s3vl._check_dead_arguments('retry_dead', retry_dead.index_name, retry_dead.keys);
    UPDATE s3vl.outbox AS o
    SET dead_at = NULL, attempts = 0
    WHERE o.index_name = retry_dead.index_name AND o.dead_at IS NOT NULL AND o.done_at IS NULL
      AND (retry_dead.keys IS NULL OR o.key = ANY (retry_dead.keys));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION s3vl.retry_dead(text, text[]) IS
    'Puts the dead changes of an index (all, or those of the given keys) back in the queue with attempts reset; the next s3vl.flush sends them; returns how many';

-- s3vl.discard_dead
-- Discarded changes stay in the outbox until s3vl.purge_outbox, so the history shows them.
CREATE OR REPLACE FUNCTION s3vl.discard_dead(index_name text, keys text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    PERFORM s3vl._check_dead_arguments('discard_dead', discard_dead.index_name, discard_dead.keys);
    UPDATE s3vl.outbox AS o
    SET discarded_at = pg_catalog.clock_timestamp(), done_at = pg_catalog.clock_timestamp()
    WHERE o.index_name = discard_dead.index_name AND o.dead_at IS NOT NULL AND o.done_at IS NULL
      AND (discard_dead.keys IS NULL OR o.key = ANY (discard_dead.keys));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION s3vl.discard_dead(text, text[]) IS
    'Gives up the dead changes of an index (all, or those of the given keys): marked discarded, kept until s3vl.purge_outbox; the index keeps what it had (s3vl.stale_keys lists those rows); returns how many';

-- s3vl.purge_outbox
-- The changes of a key still in doubt are kept: they hold its later changes back.
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
            'Pass e.g. keep => interval ''1 day''; changes finished before now() - keep are deleted.');
    END IF;
    DELETE FROM s3vl.outbox AS o
    WHERE o.done_at < pg_catalog.now() - keep
      AND (o.in_doubt_until IS NULL OR o.in_doubt_until <= pg_catalog.now());
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION s3vl.purge_outbox(interval) IS
    'Deletes outbox rows finished (sent, superseded or discarded) longer ago than keep (default 7 days), except those of keys still in doubt; returns how many';
