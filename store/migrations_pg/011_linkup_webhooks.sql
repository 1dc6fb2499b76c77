-- Linkup v2's hosted webhooks and the events handled, as SQLite's migration 019.
ALTER TABLE linkup_accounts DROP COLUMN webhook_id;
ALTER TABLE linkup_accounts DROP COLUMN events_since;
CREATE TABLE linkup_webhooks (
    account      TEXT   PRIMARY KEY,
    webhook_id   TEXT   NOT NULL,
    account_id   TEXT   NOT NULL,
    state        TEXT   NOT NULL,
    events_since BIGINT NOT NULL DEFAULT 0,
    healthy_at   BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE linkup_events (
    webhook_id TEXT   NOT NULL,
    key        TEXT   NOT NULL,
    seen_at    BIGINT NOT NULL,
    PRIMARY KEY (webhook_id, key)
);
