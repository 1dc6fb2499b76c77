-- Leases, for several bots on one log (PostgreSQL): a claimed send
-- belongs to the bot that claimed it until its lease ends; the owner
-- renews it while it lives, and when it does not, another bot takes over.
-- On SQLite (one bot per folder) they are kept too.
ALTER TABLE sends ADD COLUMN owner         TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN lease_until   INTEGER NOT NULL DEFAULT 0;
-- The bots that used the log lately (doctor shows them).
CREATE TABLE replicas (
    id      TEXT    PRIMARY KEY,
    host    TEXT    NOT NULL DEFAULT '',
    seen_at INTEGER NOT NULL
);
