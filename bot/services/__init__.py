"""One module per user action, called by the cogs and by the command line alike, so the two
cannot drift apart: what ``/ask`` answers, ``readalong ask`` answers too.

Services take the store and plain values (a :class:`~bot.domain.viewer.Viewer`, ids, text) and
return domain values; how they are shown is :mod:`bot.discordfmt`'s or the CLI's job.
"""
