-- The Linkup API (v1 or v2) that answered a send's call (issue 23): v2 does
-- not bill errors, so a send it refused cost no credit, while v1 bills
-- failed calls. '' when no Linkup answer is recorded (not called, a dry
-- run, or a send finished before this version).
ALTER TABLE sends ADD COLUMN linkup_api TEXT NOT NULL DEFAULT '';
