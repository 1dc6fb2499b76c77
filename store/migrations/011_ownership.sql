-- Several bots on one log: a finished send stays its owner's while its
-- Slack posts are owed (lease_until > 0), and work that must run on one
-- bot at a time (the reply bridge) is held by a lease in jobs.
CREATE INDEX sends_held ON sends (owner) WHERE lease_until > 0;
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    lease_until INTEGER NOT NULL
);
-- Indexes that change only when a send enters or leaves what they serve
-- (the queue, the sends the bridge has yet to watch), not at every change
-- of state: fewer pages written per send.
DROP INDEX sends_queue;
CREATE INDEX sends_queued ON sends (not_before, id) WHERE state = 'queued';
DROP INDEX sends_bridge;
CREATE INDEX sends_unbridged ON sends (id) WHERE state = 'sent' AND bridged = 0 AND dry_run = 0;
-- Requests acted on once across bots (a connect form's submission, which
-- logs in to LinkedIn): the first to record its key acts on it.
CREATE TABLE once_keys (
    key     TEXT    PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
