-- An account's identity, as SQLite's migration 012.
ALTER TABLE accounts ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE accounts SET id = replace(gen_random_uuid()::text, '-', '');
WITH single AS (
    SELECT account, min("user") AS who FROM account_users GROUP BY account HAVING count(*) = 1
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
UPDATE accounts SET owner = picked.who FROM picked WHERE picked.account = accounts.name;
CREATE UNIQUE INDEX accounts_id ON accounts (id);
CREATE UNIQUE INDEX accounts_owner ON accounts (owner) WHERE owner != '';
