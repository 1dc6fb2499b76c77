-- When Linkup was called for a send. A claimed send (state 'sending') with
-- called_at = 0 never reached Linkup: a crash puts it back in the queue.
-- With called_at set, Linkup may have acted on it: a crash makes it unknown.
-- The daily cap counts sends by this time, not by when they were asked.
ALTER TABLE sends ADD COLUMN called_at INTEGER NOT NULL DEFAULT 0;
UPDATE sends SET called_at = created_at WHERE state IN ('sending', 'sent', 'unknown');

-- The cap is keyed on the account's stable name, no longer on a hash of its
-- login token, so that renewing the token keeps the day's count.
UPDATE sends SET account = 'default' WHERE account LIKE 'li-%';
DROP INDEX sends_account_day;
CREATE INDEX sends_account_called ON sends (account, state, called_at);

-- How many times each Slack post of a send was about to be made. A try is
-- recorded before the post; a try without its done flag (announced,
-- outcome_posted, notified) may or may not have posted, so the bot looks
-- for the post in Slack before it posts again.
ALTER TABLE sends ADD COLUMN root_tries    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN outcome_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN notify_tries  INTEGER NOT NULL DEFAULT 0;
