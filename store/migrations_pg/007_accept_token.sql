-- Accept tokens, as SQLite's migration 015.
ALTER TABLE sends ADD COLUMN accept_token TEXT NOT NULL DEFAULT '';
