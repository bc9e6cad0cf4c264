-- s3vl 0.1.0 -> 0.2.0: the security release (issue 9).
-- Runs inside install.sql's transaction, before the parts recreate every function.

-- Functions whose signature changed, or that are gone: CREATE OR REPLACE cannot change them.
-- (each section below drops what it replaces)

-- Configuration (s3vl.config).

-- Sync delivery (s3vl.outbox).
