-- The default account stored like the others, as SQLite's migration 016.
ALTER TABLE accounts ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
