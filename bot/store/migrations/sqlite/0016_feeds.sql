-- Blogs a server follows (issue 27): each feed's new entries are imported by their address and
-- posted as read-alongs. ``feeds`` keeps what the poller needs between polls (the validators of a
-- conditional GET, the errors in a row for the backoff, when it is due) and what /feed list shows.
-- ``feed_entries`` is every entry ever seen, keyed by (feed, entry): an entry is claimed by one
-- poller (state 'pending' -> 'claimed', a single UPDATE) before it is posted, so no entry is
-- posted twice, whatever restarts or other processes do.
CREATE TABLE feeds (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    channel_kind   TEXT    NOT NULL CHECK (channel_kind IN ('text', 'forum')),
    tag_id         INTEGER,
    url            TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    pace_minutes   INTEGER NOT NULL CHECK (pace_minutes >= 0),
    state          TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'gone')),
    notify_channel_id INTEGER,
    created_by     INTEGER NOT NULL,
    created_at     TEXT    NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    last_poll_at   TEXT,
    last_error     TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    next_poll_at   TEXT    NOT NULL,
    UNIQUE (guild_id, channel_id, url)
) STRICT;
CREATE INDEX feeds_due ON feeds (state, next_poll_at);

CREATE TABLE feed_entries (
    feed_id     INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    entry_key   TEXT    NOT NULL,
    link        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    published   TEXT,
    seen_at     TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('skipped', 'pending', 'claimed', 'posted', 'failed')),
    claimed_at  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    article_id  TEXT,
    posting_id  INTEGER,
    error       TEXT,
    PRIMARY KEY (feed_id, entry_key)
) STRICT;
CREATE INDEX feed_entries_state ON feed_entries (state, feed_id);
