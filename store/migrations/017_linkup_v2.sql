-- Linkup v2 (issue 23): each account's persistent account_id, got once
-- (by migrating its login token, free, or by logging in on v2) and kept, so
-- that a restart logs in to nothing again; and its hosted webhook, reused
-- across restarts, with the creation time (Linkup's clock) of the last
-- event handled, from which a reconnect catches up.
CREATE TABLE linkup_accounts (
    name         TEXT    PRIMARY KEY, -- the bot's account name, the default one's included
    account_id   TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL DEFAULT '', -- SHA-256 of the login token it was migrated from; '' when logged in on v2
    webhook_id   TEXT    NOT NULL DEFAULT '',
    events_since INTEGER NOT NULL DEFAULT 0   -- ms, Linkup's clock
);
