"""Readalong: read an article together on Discord.

The bot is built by :func:`bot.discord.client.create_bot` (the one entry point: ``readalong run``,
the sandbox and the tests); importing ``bot`` itself imports nothing, so the core (domain,
articles, store, search, answers, services) loads without discord.py.
"""
