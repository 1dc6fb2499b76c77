-- LinkedIn accounts the team sends from. The login token is kept only
-- sealed (AES-256-GCM under ACCOUNTS_KEY, see package account); a
-- password never is.
CREATE TABLE accounts (
    name         TEXT    PRIMARY KEY,
    country      TEXT    NOT NULL,
    token        BLOB    NOT NULL, -- nonce and sealed login token
    state        TEXT    NOT NULL CHECK (state IN ('connected', 'expired')),
    connected_at INTEGER NOT NULL,
    connected_by TEXT    NOT NULL DEFAULT '', -- a Slack user ID, or "command line"
    expired_at   INTEGER NOT NULL DEFAULT 0,
    told         INTEGER NOT NULL DEFAULT 0  -- the expiry was told to its owner
);

-- Who may send from an account: one user makes it theirs, several share it.
CREATE TABLE account_users (
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    user    TEXT NOT NULL,
    PRIMARY KEY (account, user)
);
CREATE INDEX account_users_user ON account_users (user);

-- A known text sealed with ACCOUNTS_KEY when the first account is stored:
-- a wrong key is told at start, before it could touch a stored account.
CREATE TABLE accounts_key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB    NOT NULL
);
