-- Connection requests (issue 24): one row per invitation, written before
-- Linkup is called (state calling), as a send is. intent is what happens
-- when the person accepts: '' nothing, wanted (send the message then),
-- due (accepted: the message is to be sent), sending (handed to the send
-- pipeline under an idempotency key of its own), sent, cancelled, dropped
-- (the invitation expired or failed).
CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY,
    idem_key     TEXT    NOT NULL UNIQUE,
    account      TEXT    NOT NULL,
    requester    TEXT    NOT NULL,
    channel      TEXT    NOT NULL DEFAULT '',
    thread_ts    TEXT    NOT NULL DEFAULT '',
    recipient    TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    country      TEXT    NOT NULL DEFAULT '',
    from_send    INTEGER NOT NULL DEFAULT 0,  -- the failed send it came from
    message      TEXT    NOT NULL DEFAULT '', -- that send's message, for intent
    intent       TEXT    NOT NULL DEFAULT '',
    send_id      INTEGER NOT NULL DEFAULT 0,  -- the send made on acceptance
    state        TEXT    NOT NULL,            -- calling, pending, accepted, failed, unknown, expired
    reason       TEXT    NOT NULL DEFAULT '',
    code         TEXT    NOT NULL DEFAULT '', -- Linkup's error code, when refused
    credits      INTEGER NOT NULL DEFAULT 0,
    check_credits INTEGER NOT NULL DEFAULT 0, -- what checking it cost (v1)
    name         TEXT    NOT NULL DEFAULT '', -- who accepted, as LinkedIn names them
    told         TEXT    NOT NULL DEFAULT '', -- the last state told in Slack
    created_at   INTEGER NOT NULL,
    called_at    INTEGER NOT NULL DEFAULT 0,  -- ms; counts toward the weekly cap
    finished_at  INTEGER NOT NULL DEFAULT 0,
    checked_at   INTEGER NOT NULL DEFAULT 0,
    accepted_at  INTEGER NOT NULL DEFAULT 0,
    called_db    INTEGER NOT NULL DEFAULT 0   -- ms, the database's clock: when the call began, for recovery
);
CREATE INDEX invitations_account ON invitations (account, called_at);
CREATE INDEX invitations_state ON invitations (state);
