-- Held messages of a conversation whose read the read cap cut short, as SQLite's migration 013.
ALTER TABLE conversation_messages ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversation_messages ADD COLUMN fell_back BIGINT NOT NULL DEFAULT 0;
