-- The LinkedIn account a mirrored conversation belongs to: the account
-- whose send started its thread (or whose inbox it came to). It is read
-- with that account's session, and replies from its thread go from it.
-- '' is the default account (LINKUP_LOGIN_TOKEN), as every conversation
-- mirrored before accounts existed.
ALTER TABLE conversations ADD COLUMN account TEXT NOT NULL DEFAULT '';
