"""Exports of an article's discussion, one module per format: Markdown (:mod:`.markdown`), one
self-contained HTML page (:mod:`.html`), and DiscordChatExporter's JSON files (:mod:`.dce`), with
what they share in :mod:`.common`.

Markdown and HTML read like the blog's comment section: each section of the article followed by
its discussion, replies nested under what they answer, one part per channel or thread it was
discussed in (an article posted twice is two discussions, each saying where, never one merged);
then the original comments and the readers' replies to them. Threads are named from what the
store knows of them (the postings that opened them), never from who wrote in them; mentions,
custom emoji and times are shown as Discord shows them (:mod:`bot.shown`). The JSON is DiscordChatExporter's export: one file per channel and one
per thread, so DCE's readers and viewers read the discussion as they read any DCE export;
Readalong's extras are in a file of their own. Choosing the format and gathering what goes in is
the export service's (:mod:`bot.services.archive`).
"""
