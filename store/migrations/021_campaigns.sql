-- Campaigns (issue 27): one reviewed template sent to many recipients,
-- one row each, paced by the campaign runner. A row becomes a send (its
-- idempotency key is campaign:<id>:<row>), so at most once holds as for
-- any send. Times are epoch milliseconds.
CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY,
    idem_key     TEXT    NOT NULL UNIQUE, -- the form's view: submitted twice, one campaign
    name         TEXT    NOT NULL,
    owner        TEXT    NOT NULL,        -- Slack user ID
    account      TEXT    NOT NULL,        -- the LinkedIn account it sends from
    channel      TEXT    NOT NULL,        -- where its root goes (a user ID: a DM)
    template     TEXT    NOT NULL,
    tz           TEXT    NOT NULL DEFAULT '', -- the owner's Slack time zone (IANA)
    state        TEXT    NOT NULL,        -- review, running, paused, cancelled, done
    root_channel TEXT    NOT NULL DEFAULT '',
    root_ts      TEXT    NOT NULL DEFAULT '',
    next_at      INTEGER NOT NULL DEFAULT 0, -- the next send not before (the runner's clock)
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL DEFAULT 0,
    report_tries INTEGER NOT NULL DEFAULT 0, -- uploads of the report tried (recorded before each)
    report_done  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_state ON campaigns (state);
-- A campaign's rows: pending, skipped (reason), claimed (its send is
-- being recorded or runs), sent, failed, unknown, cancelled.
CREATE TABLE campaign_rows (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    row_no      INTEGER NOT NULL, -- 1 for the first line after the header
    profile_url TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    send_id     INTEGER NOT NULL DEFAULT 0,
    claimed_at  INTEGER NOT NULL DEFAULT 0,
    sent_at     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, row_no)
);
