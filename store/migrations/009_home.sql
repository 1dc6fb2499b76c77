-- People who opened the bot's Home tab: their Home is republished when one
-- of their sends changes state or a reply comes for them.
CREATE TABLE home_users (
    user      TEXT    PRIMARY KEY,
    opened_at INTEGER NOT NULL
);
CREATE INDEX sends_requester ON sends (requester, id);
