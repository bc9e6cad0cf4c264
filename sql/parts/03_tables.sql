-- Every table of s3vl: the configuration row, the registry of index names, and the sync state
-- (synced tables, the outbox of changes, what the index holds per key).
-- Column names follow the aws-samples integration so its queries keep working; columns it
-- lacks come last. Invariants live in CHECK constraints.

CREATE TABLE IF NOT EXISTS s3vl.config (
    id serial PRIMARY KEY,
    lambda_arn text NOT NULL,
    aws_region text NOT NULL,
    timeout_seconds integer NOT NULL DEFAULT 30,
    created_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    last_validated_at timestamp with time zone,
    last_validation_status text,
    function_timeout_seconds integer NOT NULL DEFAULT 900,
    max_attempts integer NOT NULL DEFAULT 5,
    CONSTRAINT valid_timeout CHECK (timeout_seconds BETWEEN 1 AND 900),
    CONSTRAINT valid_function_timeout CHECK (function_timeout_seconds BETWEEN 1 AND 900),
    CONSTRAINT valid_max_attempts CHECK (max_attempts BETWEEN 1 AND 100),
    -- A function name, or a function ARN with an optional version or alias.
    CONSTRAINT valid_lambda_arn CHECK (
        lambda_arn ~ '^[A-Za-z0-9_-]{1,64}$'
        OR lambda_arn ~ '^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$'
    ),
    CONSTRAINT valid_aws_region CHECK (aws_region ~ '^[a-z]{2}(-[a-z]+)+-[0-9]+$')
);
-- Exactly one configuration: s3vl.configure replaces it.
CREATE UNIQUE INDEX IF NOT EXISTS config_single_row ON s3vl.config ((true));

COMMENT ON TABLE s3vl.config IS
    'The s3vl bridge Lambda function to invoke; one row, written by s3vl.configure()';
COMMENT ON COLUMN s3vl.config.lambda_arn IS 'Function name or ARN of the s3vl bridge Lambda function';
COMMENT ON COLUMN s3vl.config.aws_region IS 'AWS Region of the Lambda function';
COMMENT ON COLUMN s3vl.config.timeout_seconds IS
    'Applied to aws_lambda.request_timeout_ms for every s3vl invocation (1-900)';
COMMENT ON COLUMN s3vl.config.last_validation_status IS
    'HEALTHY or the error of the last s3vl.validate_config()';
COMMENT ON COLUMN s3vl.config.function_timeout_seconds IS
    'The bridge function''s own timeout (1-900, default 900, Lambda''s maximum): the longest an invocation can run. A flush whose outcome is unknown (timed out, connection lost, S3 Vectors unavailable) holds its keys in doubt this long, until the abandoned write must have landed. Set it to the deployed function''s timeout (CDK context timeoutSeconds, 30 by default) so that keys in doubt wait no longer than needed; never lower';
COMMENT ON COLUMN s3vl.config.max_attempts IS
    'Failed sends after which s3vl.flush moves a change to the dead letter (outbox.dead_at) so the queue flows past it (1-100, default 5)';

CREATE TABLE IF NOT EXISTS s3vl.index_registry (
    id serial PRIMARY KEY,
    index_name text NOT NULL UNIQUE,
    index_arn text NOT NULL,
    description text,
    bucket_name text NOT NULL,
    region text NOT NULL,
    account_id text NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    is_active boolean NOT NULL DEFAULT true,
    dimension integer,
    distance_metric text,
    CONSTRAINT valid_index_name CHECK (
        index_name ~ '^[a-zA-Z][a-zA-Z0-9_-]*$' AND length(index_name) BETWEEN 2 AND 64
    ),
    -- Keep in step with s3vl._check_index_arn().
    CONSTRAINT valid_arn_format CHECK (
        index_arn ~ '^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:[0-9]{12}:bucket/[a-z0-9][a-z0-9-]{1,61}[a-z0-9]/index/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
    ),
    CONSTRAINT valid_bucket_name CHECK (
        bucket_name ~ '^[a-z0-9][a-z0-9-]*[a-z0-9]$' AND length(bucket_name) BETWEEN 3 AND 63
    ),
    CONSTRAINT valid_account_id CHECK (account_id ~ '^[0-9]{12}$'),
    -- S3 Vectors' largest dimension as a literal, not s3vl._limit('dimension'): this file runs
    -- before the functions exist (and alone, in the aws-sample migration), and a constraint
    -- calling a function would change, unchecked against the stored rows, whenever install.sql
    -- replaces the function; a changed limit takes a migration that checks the rows.
    CONSTRAINT valid_dimension CHECK (dimension BETWEEN 1 AND 4096),
    CONSTRAINT valid_distance_metric CHECK (distance_metric IN ('cosine', 'euclidean')),
    CONSTRAINT dimension_with_metric CHECK ((dimension IS NULL) = (distance_metric IS NULL))
);

COMMENT ON TABLE s3vl.index_registry IS
    'Friendly names for S3 Vectors index ARNs, with the dimension and metric checked before invoking';
COMMENT ON COLUMN s3vl.index_registry.index_name IS 'Name used in SQL calls (letters, digits, _ and -)';
COMMENT ON COLUMN s3vl.index_registry.index_arn IS 'Full S3 Vectors index ARN';
COMMENT ON COLUMN s3vl.index_registry.dimension IS
    'Vector dimension from DescribeIndex; query vectors must match it';
COMMENT ON COLUMN s3vl.index_registry.distance_metric IS 'cosine or euclidean, from DescribeIndex';
COMMENT ON COLUMN s3vl.index_registry.is_active IS 'Inactive indexes refuse queries by name';

-- Sync state (sql/parts/80_sync_capture.sql records changes, 81_sync_delivery.sql sends them).
CREATE TABLE IF NOT EXISTS s3vl.sync_source (
    id serial PRIMARY KEY,
    source_table regclass NOT NULL,
    key_column name NOT NULL,
    embedding_column name NOT NULL,
    index_name text NOT NULL,
    metadata_columns name[] NOT NULL DEFAULT '{}',
    created_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT sync_source_table_index_key UNIQUE (source_table, index_name)
);
COMMENT ON TABLE s3vl.sync_source IS
    'Tables kept in sync with an index by s3vl.sync_table: which columns hold the key, the embedding and the metadata';

CREATE TABLE IF NOT EXISTS s3vl.sync_key (
    source_id integer NOT NULL REFERENCES s3vl.sync_source (id) ON DELETE CASCADE,
    key text NOT NULL,
    PRIMARY KEY (source_id, key)
);
COMMENT ON TABLE s3vl.sync_key IS
    'Per synced table: the keys it has asked the index to hold (recorded with each change), so TRUNCATE can delete them without s3vl reading the table';

CREATE TABLE IF NOT EXISTS s3vl.outbox (
    id bigserial PRIMARY KEY,
    source_id integer NOT NULL REFERENCES s3vl.sync_source (id) ON DELETE CASCADE,
    index_name text NOT NULL,
    key text NOT NULL,
    operation text NOT NULL,
    data jsonb,
    metadata jsonb,
    content_hash text,
    enqueued_at timestamp with time zone NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    last_attempt_at timestamp with time zone,
    last_error text,
    done_at timestamp with time zone,
    dead_at timestamp with time zone,
    discarded_at timestamp with time zone,
    in_doubt_until timestamp with time zone,
    CONSTRAINT valid_operation CHECK (operation IN ('put', 'delete')),
    -- A put carries what to write; a delete carries nothing.
    CONSTRAINT put_carries_data CHECK ((operation = 'put') = (data IS NOT NULL AND content_hash IS NOT NULL)),
    CONSTRAINT valid_attempts CHECK (attempts >= 0),
    -- Only a dead change is discarded, and a discarded change is finished.
    CONSTRAINT discarded_was_dead CHECK (discarded_at IS NULL OR (dead_at IS NOT NULL AND done_at IS NOT NULL))
);
-- Pending and dead changes (done_at NULL); a dead change has dead_at too.
CREATE INDEX IF NOT EXISTS outbox_pending ON s3vl.outbox (index_name, id) WHERE done_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_pending_key ON s3vl.outbox (index_name, key) WHERE done_at IS NULL;
-- Keys whose last send may still land: no change of the key is sent before in_doubt_until.
CREATE INDEX IF NOT EXISTS outbox_in_doubt ON s3vl.outbox (index_name, key, in_doubt_until)
    WHERE in_doubt_until IS NOT NULL;
COMMENT ON TABLE s3vl.outbox IS
    'Changes of synced tables: pending (done_at and dead_at NULL) until s3vl.flush sends them, dead (dead_at set) after max_attempts failed sends, finished (done_at set) when sent, superseded by a newer change of the key, or discarded; with attempts, the last error and any doubt window; finished rows are kept until purged';
COMMENT ON COLUMN s3vl.outbox.data IS
    'A put''s vector as flush sends it: {"float32_be_base64": ...} (its float32 values, exact, docs/bridge.md); for a synced text column the text (a JSON string) until flush embeds it, then the embedding (a JSON array of numbers); older rows may hold a JSON array too';
COMMENT ON COLUMN s3vl.outbox.done_at IS
    'When the change was finished: its key named in the bridge''s success answer (or a newer change of the key was), or discarded';
COMMENT ON COLUMN s3vl.outbox.dead_at IS
    'When the change reached s3vl.config.max_attempts failed sends; flush no longer sends it (s3vl.retry_dead, s3vl.discard_dead, or a newer change of the key, which supersedes it)';
COMMENT ON COLUMN s3vl.outbox.discarded_at IS
    'When s3vl.discard_dead gave the dead change up (done_at is set too)';
COMMENT ON COLUMN s3vl.outbox.in_doubt_until IS
    'A send of this change ended without a known outcome (timeout, lost connection, S3 Vectors unavailable): it may still land until then, so no change of the key is sent before; after it, the key''s latest change is sent again';

CREATE TABLE IF NOT EXISTS s3vl.key_version (
    index_name text NOT NULL,
    key text NOT NULL,
    version bigint NOT NULL,
    content_hash text NOT NULL,
    synced_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (index_name, key),
    CONSTRAINT valid_version CHECK (version >= 1)
);
COMMENT ON TABLE s3vl.key_version IS
    'Per index and key: how many times s3vl.flush wrote it and the hash of what it wrote (embedding as float32 and metadata)';

-- What the registry knows of full-text search (45_text_search.sql): per registered name, the
-- mode and searchable keys S3 Vectors last reported for the ARN the name had then (a name
-- registered again for another ARN is described anew).
CREATE TABLE IF NOT EXISTS s3vl.index_text_search (
    index_name text PRIMARY KEY
        REFERENCES s3vl.index_registry (index_name) ON UPDATE CASCADE ON DELETE CASCADE,
    index_arn text NOT NULL,
    index_mode text,
    searchable_keys jsonb NOT NULL DEFAULT '{}',
    described_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT valid_index_mode CHECK (index_mode IN ('CLASSIC', 'ENHANCED')),
    CONSTRAINT searchable_keys_by_name CHECK (pg_catalog.jsonb_typeof(searchable_keys) = 'object')
);
COMMENT ON TABLE s3vl.index_text_search IS
    'Per registered index: its mode and full-text searchable keys ({"title": {"language": "en", "status": "ACTIVE"}}) as describe_index last reported them, so a text search names a wrong key or mode before any invocation';

-- What the registry knows of embeddings (65_embeddings.sql): per registered name, the Bedrock
-- model its vectors are made with and how (for the ARN the name had when it was set), so text is
-- embedded for it the same way and a model or dimension that does not match fails before any
-- invocation.
CREATE TABLE IF NOT EXISTS s3vl.index_embedding (
    index_name text PRIMARY KEY
        REFERENCES s3vl.index_registry (index_name) ON UPDATE CASCADE ON DELETE CASCADE,
    index_arn text NOT NULL,
    model_id text NOT NULL,
    dimension integer NOT NULL,
    normalized boolean NOT NULL,
    set_at timestamp with time zone NOT NULL DEFAULT pg_catalog.now(),
    -- Bedrock's model id characters; the known models are s3vl._embedding_models()'s.
    CONSTRAINT valid_model_id CHECK (model_id ~ '^[a-z0-9][a-z0-9.:-]{0,127}$'),
    CONSTRAINT valid_embedding_dimension CHECK (dimension BETWEEN 1 AND 4096)
);
COMMENT ON TABLE s3vl.index_embedding IS
    'Per registered index: the Bedrock embedding model (and dimension, normalisation) its vectors are made with, set by s3vl.set_embedding_model; s3vl.embed, query_text, put_texts and text sync use it';
