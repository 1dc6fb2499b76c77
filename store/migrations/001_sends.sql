-- The send log: one row per accepted request to send a LinkedIn message.
CREATE TABLE sends (
    id            INTEGER PRIMARY KEY,
    idem_key      TEXT    NOT NULL UNIQUE,
    retry_of      INTEGER REFERENCES sends(id),
    account       TEXT    NOT NULL,
    requester     TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    response_url  TEXT    NOT NULL DEFAULT '',
    recipient     TEXT    NOT NULL,
    message       TEXT    NOT NULL,
    country       TEXT    NOT NULL,
    media_link    TEXT    NOT NULL DEFAULT '',
    media_name    TEXT    NOT NULL DEFAULT '',
    media_type    TEXT    NOT NULL DEFAULT '',
    media_size    INTEGER NOT NULL DEFAULT 0,
    state         TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    INTEGER NOT NULL DEFAULT 0,
    linkup_status INTEGER NOT NULL DEFAULT 0,
    linkup_answer TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL DEFAULT '',
    credits       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);

CREATE INDEX sends_queue ON sends (state, not_before, id);
-- Covers the daily cap's count without reading the rows.
CREATE INDEX sends_account_day ON sends (account, created_at, state);
