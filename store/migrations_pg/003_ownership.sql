-- Ownership of owed posts and jobs, as SQLite's migration 011.
CREATE INDEX sends_held ON sends (owner) WHERE lease_until > 0;
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    lease_until BIGINT  NOT NULL
);
DROP INDEX sends_queue;
CREATE INDEX sends_queued ON sends (not_before, id) WHERE state = 'queued';
DROP INDEX sends_bridge;
CREATE INDEX sends_unbridged ON sends (id) WHERE state = 'sent' AND bridged = 0 AND dry_run = 0;
CREATE TABLE once_keys (
    key     TEXT    PRIMARY KEY,
    seen_at BIGINT  NOT NULL
);
