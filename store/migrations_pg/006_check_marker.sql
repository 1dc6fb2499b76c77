-- Settling unknown sends without comparing clocks, as SQLite's migration 014.
ALTER TABLE sends ADD COLUMN seen_before TEXT NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN check_fails BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN check_due BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_with ON conversations (account, profile_url);
