-- Where each send's messages live in Slack, and which of its outcome
-- messages were delivered, so that a restart or a retried post never
-- posts the same outcome twice.
ALTER TABLE sends ADD COLUMN thread_ts      TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN root_channel   TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN root_ts        TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN announced      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN outcome_posted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN root_updated   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN notified       INTEGER NOT NULL DEFAULT 0;
