"""Posting an article into Discord, as one component the bot owns (``bot.publisher``).

- :mod:`.checks`: what ``/article post`` can refuse before anything is sent (channel kind, tags,
  permissions), turned into the plain target the posting service records;
- :mod:`.policy`: which failures may pass (retried with backoff) and which cannot (pause);
- :mod:`.sender`: the Discord calls (messages, forum posts, threads, the comments' webhook) and
  finding after a restart what was already sent;
- :mod:`.worker`: the :class:`~.worker.Publisher`, one supervised worker per active posting,
  woken by the posting service's events.

The texts of its refusals are in :mod:`bot.discordfmt.refusals`.
"""
