-- Several bots on one log: a finished send stays its owner's while its
-- Slack posts are owed (lease_until > 0), and work that must run on one
-- bot at a time (the reply bridge) is held by a lease in jobs.
CREATE INDEX sends_held ON sends (owner) WHERE lease_until > 0;
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    lease_until INTEGER NOT NULL
);
