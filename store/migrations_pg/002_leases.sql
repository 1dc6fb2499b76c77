-- Leases, as SQLite's migration 010.
ALTER TABLE sends ADD COLUMN owner         TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN lease_until   BIGINT  NOT NULL DEFAULT 0;
CREATE TABLE replicas (
    id      TEXT    PRIMARY KEY,
    host    TEXT    NOT NULL DEFAULT '',
    seen_at BIGINT  NOT NULL
);
