-- The default account stored like the others (issue 22): connected with
-- `linkedin-bot accounts connect --name <LINKUP_ACCOUNT_NAME>` and no
-- --user, it is for everyone allowed to send, as LINKUP_LOGIN_TOKEN is.
-- It is marked as such when it is connected, never by its name alone: an
-- account that was given that name before, for some people, stays theirs.
ALTER TABLE accounts ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
