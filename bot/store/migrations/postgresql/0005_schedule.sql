-- SQLite's 0016 (see there): a posting's schedule as `schedule:` takes it, and its IANA zone;
-- NULL for a posting paced by pace_minutes.
ALTER TABLE postings ADD COLUMN schedule TEXT;
ALTER TABLE postings ADD COLUMN timezone TEXT;
