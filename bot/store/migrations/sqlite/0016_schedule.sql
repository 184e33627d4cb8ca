-- Issue 27: a posting released on a schedule (`/article post schedule: timezone:`). The
-- schedule is kept as `schedule:` takes it (``daily at 09:00``) with its IANA zone, so the
-- releases of a resumed posting are computed from it again; each item's due time stays in
-- posting_items.due_at as before. NULL: paced by pace_minutes, as every earlier posting.
ALTER TABLE postings ADD COLUMN schedule TEXT;
ALTER TABLE postings ADD COLUMN timezone TEXT;
