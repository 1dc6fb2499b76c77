-- Linkup v2's hosted webhooks (issue 23), one per account, in a table of
-- their own rather than in linkup_accounts (whose webhook_id and
-- events_since columns are dropped, unused): a removed account's v2 id
-- goes with it, but its webhook must outlive it, so that the bridge can
-- stop its monitoring (which costs while it runs).
ALTER TABLE linkup_accounts DROP COLUMN webhook_id;
ALTER TABLE linkup_accounts DROP COLUMN events_since;
CREATE TABLE linkup_webhooks (
    account      TEXT    PRIMARY KEY, -- the bot's account name
    webhook_id   TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,    -- the v2 account it watches
    state        TEXT    NOT NULL,    -- active or stopped
    events_since INTEGER NOT NULL DEFAULT 0, -- ms: created_at (Linkup's clock) of the newest event the replay gave
    healthy_at   INTEGER NOT NULL DEFAULT 0  -- ms: when its stream was last known whole (the bot's clock)
);
-- The events handled, by event_id and by content, so that one delivered
-- again (by the stream, by the replay, after a restart) is handled once.
-- Kept two days: the replay keeps events one.
CREATE TABLE linkup_events (
    webhook_id TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    seen_at    INTEGER NOT NULL, -- ms, the database's clock
    PRIMARY KEY (webhook_id, key)
);
