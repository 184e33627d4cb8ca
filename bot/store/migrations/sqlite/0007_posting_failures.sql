-- Independent postings (issue 11): a posting Discord refuses for good is paused with the reason
-- stored (shown by /article status and /article list; cleared on resume), and the admin is told
-- in the channel where /article post was used.
ALTER TABLE postings ADD COLUMN paused_reason TEXT;
ALTER TABLE postings ADD COLUMN notify_channel_id INTEGER;
