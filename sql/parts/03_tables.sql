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
    CONSTRAINT valid_timeout CHECK (timeout_seconds BETWEEN 1 AND 900),
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
    CONSTRAINT valid_operation CHECK (operation IN ('put', 'delete')),
    -- A put carries what to write; a delete carries nothing.
    CONSTRAINT put_carries_data CHECK ((operation = 'put') = (data IS NOT NULL AND content_hash IS NOT NULL)),
    CONSTRAINT valid_attempts CHECK (attempts >= 0)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON s3vl.outbox (index_name, id) WHERE done_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_pending_key ON s3vl.outbox (index_name, key) WHERE done_at IS NULL;
COMMENT ON TABLE s3vl.outbox IS
    'Changes of synced tables waiting for s3vl.flush (done_at NULL), with attempts and the last error; done rows are kept until purged';

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
