-- An account's identity (issue 21). id is random and never changes: each
-- sealed login token is bound to it (its AES-GCM additional data), so a
-- token copied into another account's row does not open there. owner is
-- the Slack user whose own account this is: a self-service connect finds
-- and renews only the account its caller owns, never one by its name,
-- which is a label. An owned account's only user is its owner.
ALTER TABLE accounts ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE accounts SET id = lower(hex(randomblob(16)));
-- Existing accounts: one whose only user is X was X's own, and is owned by
-- X, when X is the only user of no other account; where X is the only user
-- of several, the one X connected from Slack (connected_by = X), when
-- there is exactly one such; otherwise none of them (an operator settles
-- it: README, "Accounts").
WITH single AS (
    SELECT account, min(user) AS who FROM account_users GROUP BY account HAVING count(*) = 1
), picked AS (
    SELECT s.account, s.who FROM single s
    WHERE (SELECT count(*) FROM single o WHERE o.who = s.who) = 1
    UNION ALL
    SELECT s.account, s.who FROM single s JOIN accounts a ON a.name = s.account
    WHERE a.connected_by = s.who
      AND (SELECT count(*) FROM single o WHERE o.who = s.who) > 1
      AND (SELECT count(*) FROM single o JOIN accounts b ON b.name = o.account
           WHERE o.who = s.who AND b.connected_by = o.who) = 1
)
UPDATE accounts SET owner = (SELECT who FROM picked WHERE picked.account = accounts.name)
WHERE name IN (SELECT account FROM picked);
CREATE UNIQUE INDEX accounts_id ON accounts (id);
CREATE UNIQUE INDEX accounts_owner ON accounts (owner) WHERE owner != '';
