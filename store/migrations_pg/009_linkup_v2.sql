-- Linkup v2's account ids and webhooks, as SQLite's migration 017.
CREATE TABLE linkup_accounts (
    name         TEXT   PRIMARY KEY,
    account_id   TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL DEFAULT '',
    webhook_id   TEXT   NOT NULL DEFAULT '',
    events_since BIGINT NOT NULL DEFAULT 0
);
