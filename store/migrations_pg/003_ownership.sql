-- Ownership of owed posts and jobs, as SQLite's migration 011.
CREATE INDEX sends_held ON sends (owner) WHERE lease_until > 0;
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    lease_until BIGINT  NOT NULL
);
