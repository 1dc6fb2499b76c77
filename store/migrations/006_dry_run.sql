-- A send made with LINKUP_DRY_RUN: it went through everything but the
-- Linkup call. It is kept as sent with 0 credits, shown as dry_run, and
-- counts toward no daily cap and no conversation.
ALTER TABLE sends ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
