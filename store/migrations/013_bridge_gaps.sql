-- A read of a conversation that the daily read-credit cap cut short: the
-- newest messages it read are recorded held (not posted) until the older
-- ones, read when credits return, are recorded before them. Where the read
-- resumes is kept in bridge_state under gap:<conversation>.
ALTER TABLE conversation_messages ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
-- A message whose post went past its thread (Slack refused the thread, so
-- it went to the requester's DM or the notification channel): where a lost
-- answer may have left it is looked for there too.
ALTER TABLE conversation_messages ADD COLUMN fell_back INTEGER NOT NULL DEFAULT 0;
