-- The reply bridge: which LinkedIn conversation a send went to, where its
-- outcome and notification posts are (to edit them when an unknown send is
-- settled), and the settling of unknown sends by reading the conversation.
ALTER TABLE sends ADD COLUMN conversation_id TEXT    NOT NULL DEFAULT ''; -- short form, '' when Linkup gave none
ALTER TABLE sends ADD COLUMN entity_urn      TEXT    NOT NULL DEFAULT ''; -- the LinkedIn message, when Linkup gave it
ALTER TABLE sends ADD COLUMN outcome_channel TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN outcome_ts      TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN notify_channel  TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN notify_ts       TEXT    NOT NULL DEFAULT '';
-- Reads of the conversation done to settle an unknown send, and their
-- verdict: '' (none yet), 'confirmed' (now sent) or 'not_delivered' (now
-- failed). A verdict is posted in the thread like an outcome.
ALTER TABLE sends ADD COLUMN checks          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN verdict         TEXT    NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN verdict_posted  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN verdict_tries   INTEGER NOT NULL DEFAULT 0;
-- Whether the bridge has taken the send's conversation under watch.
-- Sends logged before the bridge are taken too, and matched by their
-- recipient's URL once.
ALTER TABLE sends ADD COLUMN bridged         INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sends_bridge ON sends (state, bridged);

-- One row per LinkedIn conversation mirrored into a Slack thread.
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT    NOT NULL DEFAULT '', -- short form; '' until known
    profile_url     TEXT    NOT NULL DEFAULT '', -- the other side
    participant     TEXT    NOT NULL DEFAULT '', -- their name, once seen
    requester       TEXT    NOT NULL DEFAULT '', -- mentioned on the first reply; '' for the inbox
    channel         TEXT    NOT NULL,
    thread_ts       TEXT    NOT NULL DEFAULT '', -- '' while an inbox conversation's root is not posted
    root_tries      INTEGER NOT NULL DEFAULT 0,
    since           INTEGER NOT NULL,            -- messages before this are not mirrored
    last_activity   INTEGER NOT NULL,            -- watched for REPLY_WATCH_DAYS after it
    last_seen       TEXT    NOT NULL DEFAULT '', -- the inbox's last message when last read
    looked_up       INTEGER NOT NULL DEFAULT 0,  -- read once by its URL, its ID unknown
    mentioned       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_linkedin ON conversations (conversation_id) WHERE conversation_id != '';
CREATE INDEX conversations_thread ON conversations (channel, thread_ts);
CREATE INDEX conversations_active ON conversations (last_activity);

-- Each LinkedIn message of a mirrored conversation, recorded before it is
-- posted and marked posted after, so that a crash repeats a post at most
-- once and never loses one.
CREATE TABLE conversation_messages (
    conversation INTEGER NOT NULL REFERENCES conversations(id),
    key          TEXT    NOT NULL, -- entity_urn, else a digest of time, sender and text
    sent_at      INTEGER NOT NULL,
    kind         TEXT    NOT NULL, -- reply, account, other, own (the bot's own send: never posted)
    sender       TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL DEFAULT '',
    posted       INTEGER NOT NULL DEFAULT 0,
    tries        INTEGER NOT NULL DEFAULT 0,
    notified     INTEGER NOT NULL DEFAULT 0,
    notify_tries INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation, key)
);
CREATE INDEX conversation_messages_owed ON conversation_messages (posted, notified);

-- Credits spent on reading, per UTC day, and whether the cap was announced.
CREATE TABLE read_credits (
    day     TEXT    PRIMARY KEY, -- 2006-01-02
    credits INTEGER NOT NULL DEFAULT 0,
    capped  INTEGER NOT NULL DEFAULT 0
);

-- The bridge's small settings: the inbox watermark.
CREATE TABLE bridge_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
