-- Issue 27: a posting released on a schedule (`/article post schedule: timezone:`). The
-- schedule is kept as `schedule:` takes it (``daily at 09:00``) with its IANA zone, so the
-- releases of a resumed posting are computed from it again; each item's due time stays in
-- posting_items.due_at as before. NULL: paced by pace_minutes, as every earlier posting.
ALTER TABLE postings ADD COLUMN schedule TEXT;
ALTER TABLE postings ADD COLUMN timezone TEXT;

-- The server's opt-in reminder role (`/article settings reminder_role:`), mentioned alone when a
-- section is released; `reminders` 0 turns the mentions and the intro's button off.
ALTER TABLE guild_settings ADD COLUMN reminder_role_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN reminders INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1));
