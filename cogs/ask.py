"""``/ask`` and mentions: questions answered with the article's own words, quoted verbatim."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot, defer_reply
from bot.discord.interactions import article_autocomplete
from bot.discord.visibility import answer_viewer
from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.domain.answer import Answer
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.services.ask import ask as ask_question
from bot.services.ask import choose_article, section_urls

log = logging.getLogger(__name__)

_NO_MENTIONS = discord.AllowedMentions.none()
THREAD_LOCKED = 160005
CANNOT_REPLY_WITHOUT_HISTORY = 160002


def _member_cooldown(interaction: discord.Interaction[ReadalongBot]) -> app_commands.Cooldown | None:
    seconds = interaction.client.settings.ask_cooldown_seconds
    return app_commands.Cooldown(1, seconds) if seconds > 0 else None


class Ask(commands.Cog):
    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot
        self._mention_cooldown = commands.CooldownMapping.from_cooldown(
            1, max(bot.settings.ask_cooldown_seconds, 0.001), commands.BucketType.member
        )

    async def answer(
        self,
        member: discord.Member,
        channel_id: int,
        question: str,
        article: str | None,
        *,
        max_chars: int = MESSAGE_LIMIT,
    ) -> Answer:
        # The answer is public: it quotes only what everyone reading this channel may see too.
        viewer = await answer_viewer(self.bot, self.bot.store, member, channel_id)
        article_id, posting_id = await choose_article(self.bot.store, viewer, channel_id, article)
        stored = await articles_service.article(self.bot.store, article_id, member.guild.id)
        asked = await ask_question(
            self.bot.store,
            stored,
            question,
            viewer=viewer,
            writer=self.bot.writer,
            embedder=self.bot.embedder,
            section_urls=await section_urls(self.bot.store, member.guild.id, posting_id),
            max_chars=max_chars,
        )
        return asked.answer

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question about the article (up to 300 characters)",
        article="Which article (default: the one whose thread you are in, else the latest posted here)",
    )
    @app_commands.autocomplete(article=article_autocomplete)
    @app_commands.checks.dynamic_cooldown(_member_cooldown, key=lambda i: (i.guild_id, i.user.id))
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction[ReadalongBot],
        question: app_commands.Range[str, 1, 300],
        article: str | None = None,
    ) -> None:
        """Ask the article a question; the answer quotes it word for word, with links to its sections."""
        if not question.strip():
            raise ReadalongError("Type a question after `question:`.")
        assert interaction.channel_id is not None
        if not isinstance(interaction.user, discord.Member):
            raise ReadalongError("This command works in a server only.")
        # Public, like the answer. Always: a model may take longer than Discord's 3 s, and so may
        # working out the viewer (one Discord lookup per private thread).
        await defer_reply(interaction, ephemeral=False)
        heading = f"**Q:** {discord.utils.escape_mentions(question)}\n"
        answer = await self.answer(
            interaction.user,
            interaction.channel_id,
            question,
            article,
            max_chars=MESSAGE_LIMIT - len(heading),
        )
        await interaction.followup.send(heading + answer.text, allowed_mentions=_NO_MENTIONS)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A member mentioning the bot with a question in an article's thread gets the answer there."""
        me = self.bot.user
        if (
            message.guild is None
            or message.author.bot
            or me is None
            or me not in message.mentions
            or not isinstance(message.author, discord.Member)
        ):
            return
        placement = await self.bot.store.postings.placement(message.channel.id)
        if placement is None:
            return
        question = message.content.replace(f"<@{me.id}>", "").replace(f"<@!{me.id}>", "").strip()
        if not question:
            return
        if self._mention_cooldown.update_rate_limit(message):
            return  # asked again too soon: stay quiet rather than scold in public
        channel = message.channel
        if (
            isinstance(channel, discord.Thread)
            and channel.locked
            and not channel.permissions_for(message.guild.me).manage_threads
        ):
            # Discord refuses messages in a locked thread without Manage Threads (160005), which the
            # invite permissions do not include: nowhere to answer, so stay quiet and say why here.
            log.info(
                "not answering a mention in locked thread %s: posting there needs Manage Threads", channel.id
            )
            return
        async with channel.typing():
            answer = await self.answer(message.author, channel.id, question[:300], None)
        try:
            await message.reply(answer.text, mention_author=False, allowed_mentions=_NO_MENTIONS)
        except discord.HTTPException as error:
            if error.code == CANNOT_REPLY_WITHOUT_HISTORY:
                # A reply needs Read Message History; without it, answer as a plain message.
                await channel.send(answer.text, allowed_mentions=_NO_MENTIONS)
            elif error.code == THREAD_LOCKED:
                log.info("not answering a mention in thread %s: it was locked meanwhile", channel.id)
            else:
                raise


async def setup(bot: ReadalongBot) -> None:
    await bot.add_cog(Ask(bot))
