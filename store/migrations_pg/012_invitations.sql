-- Connection requests (issue 24), as SQLite's migration 020.
CREATE TABLE invitations (
    id            BIGSERIAL PRIMARY KEY,
    idem_key      TEXT   NOT NULL UNIQUE,
    account       TEXT   NOT NULL,
    requester     TEXT   NOT NULL,
    channel       TEXT   NOT NULL DEFAULT '',
    thread_ts     TEXT   NOT NULL DEFAULT '',
    recipient     TEXT   NOT NULL,
    note          TEXT   NOT NULL DEFAULT '',
    country       TEXT   NOT NULL DEFAULT '',
    from_send     BIGINT NOT NULL DEFAULT 0,
    message       TEXT   NOT NULL DEFAULT '',
    intent        TEXT   NOT NULL DEFAULT '',
    send_id       BIGINT NOT NULL DEFAULT 0,
    state         TEXT   NOT NULL,
    reason        TEXT   NOT NULL DEFAULT '',
    code          TEXT   NOT NULL DEFAULT '',
    credits       INTEGER NOT NULL DEFAULT 0,
    check_credits INTEGER NOT NULL DEFAULT 0,
    name          TEXT   NOT NULL DEFAULT '',
    told          TEXT   NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    called_at     BIGINT NOT NULL DEFAULT 0,
    finished_at   BIGINT NOT NULL DEFAULT 0,
    checked_at    BIGINT NOT NULL DEFAULT 0,
    accepted_at   BIGINT NOT NULL DEFAULT 0,
    called_db     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX invitations_account ON invitations (account, called_at);
CREATE INDEX invitations_state ON invitations (state);
