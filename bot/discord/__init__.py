"""The Discord side of the bot: what talks to discord.py (interactions and their views).

The core (``bot.domain``, ``bot.store``, ``bot.search``, ``bot.answers``, ``bot.services``) never
imports discord; ``lint-imports`` checks it.
"""
