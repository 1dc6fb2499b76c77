-- Each accept names its row with a token it makes before the insert, so
-- that a failed or timed-out accept abandons its own row only (Abandon),
-- never another request under the same idempotency key. Rows written
-- before have none: no accept can still be waiting on them.
ALTER TABLE sends ADD COLUMN accept_token TEXT NOT NULL DEFAULT '';
