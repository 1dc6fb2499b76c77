-- Settling an unknown send without comparing this machine's clock with
-- LinkedIn's (issue 21): seen_before is the key of the last message the
-- bot had recorded in the recipient's conversation when Linkup was called
-- (the send's own message comes after it). A check whose read failed is
-- not a check: check_fails counts them, and the next try waits until
-- check_due (epoch ms, 0: no wait).
ALTER TABLE sends ADD COLUMN seen_before TEXT NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN check_fails INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN check_due INTEGER NOT NULL DEFAULT 0;
-- The recipient's conversation, looked up at each claim.
CREATE INDEX conversations_with ON conversations (account, profile_url);
