-- SQLite's 0016 (see there): a posting's schedule as `schedule:` takes it, and its IANA zone;
-- NULL for a posting paced by pace_minutes.
ALTER TABLE postings ADD COLUMN schedule TEXT;
ALTER TABLE postings ADD COLUMN timezone TEXT;

-- SQLite's 0016: the server's opt-in reminder role, and whether reminders are on.
ALTER TABLE guild_settings ADD COLUMN reminder_role_id BIGINT;
ALTER TABLE guild_settings ADD COLUMN reminders BIGINT NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1));
