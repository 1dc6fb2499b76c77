-- A Slack file attached to a send: where to download it when the send runs.
-- Only its address is kept, never its content.
ALTER TABLE sends ADD COLUMN media_file_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN media_url     TEXT NOT NULL DEFAULT '';
