-- The Linkup API that answered a send's call, as SQLite's migration 018.
ALTER TABLE sends ADD COLUMN linkup_api TEXT NOT NULL DEFAULT '';
