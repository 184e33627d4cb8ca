"""The bot never pings anyone, whatever the article or a reader writes: an article whose text,
comment bodies and commenter names hold @everyone, @here, a member's and a role's mention is
posted, asked about and quoted, by a bot whose role may mention everyone, so only the bot's own
``allowed_mentions`` stands between those words and a ping."""

from __future__ import annotations

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from tests.e2e.test_posting import assert_no_pings


def hostile_article(seed: Seed, role_id: str) -> str:
    everything = f"@everyone @here <@{seed.reader_id}> <@!{seed.reader_id}> <@&{role_id}>"
    return f"""Pinging Everyone {everything}

by Mallory <@{seed.reader_id}> on 12/18/2012 · 2 comments


The pipeline from Aktau was paid for by the regional fund, {everything} says the minister.

Wages in the oil town rose by a third after the strike, {everything} and the union agreed.

– author of 1 posts on Registan.

Mallory {everything} writes about oil.


@everyone January 2, 2013 at 8:36 pm

Who paid for the pipeline? {everything} I heard it was the regional fund.

<@{seed.reader_id}> January 3, 2013 at 10:20 am

The regional fund paid, {everything} as the post says.

Previous post:
"""


async def test_no_pings_from_a_hostile_article_its_comments_and_answers(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    world = sandbox.world
    loud = world.create_role(seed.guild_id, "Everyone-pinger", perms.BOT_DEFAULT)
    bot_member = world.member(seed.guild_id, seed.bot_id)
    (bot_role,) = bot_member["roles"]
    world.set_role_permissions(seed.guild_id, bot_role, perms.BOT_DEFAULT | perms.MENTION_EVERYONE)
    text = hostile_article(seed, loud["id"])
    imported = await sandbox.run_command(
        "ada", "general", "article import", {"file": ("pings.txt", text.encode())}
    )
    assert not imported.failed, imported.text
    article_id = imported.text.split("Id: `")[1].split("`")[0]
    posted = await sandbox.run_command(
        "ada", "general", "article post", {"article": article_id, "channel": "general"}
    )
    assert not posted.failed, posted.text

    def comments_posted() -> bool:
        threads = [t for t in sandbox.threads("general") if t["name"].startswith("Comments:")]
        return bool(threads) and len(sandbox.messages(threads[-1]["id"])) >= 2

    await sandbox.wait_until(comments_posted, within=30)
    answer = await sandbox.run("ben", "general", "/ask question:Who paid for the pipeline from Aktau?")
    assert "regional fund" in answer.text
    section_thread = sandbox.threads("general")[1]
    sandbox.send("ben", section_thread, f"<@{seed.bot_id}> who paid for the pipeline from Aktau?")
    await sandbox.wait_until(lambda: len(sandbox.messages(section_thread["id"])) >= 2, within=10)
    await sandbox.wait_idle()
    spoken = [
        m
        for channel in world.messages.values()
        for m in channel.values()
        if m["author"]["id"] == seed.bot_id or m.get("webhook_id")
    ]
    # The words that would ping reached Discord (so the check below checks something) ...
    assert sum("@everyone" in m["content"] for m in spoken) >= 4
    assert any(f"<@&{loud['id']}>" in m["content"] for m in spoken)
    assert any(f"<@{seed.reader_id}>" in m["content"] for m in spoken)
    # ... and nobody was pinged.
    assert_no_pings(sandbox)
    assert all(not m["mention_everyone"] and not m["mentions"] and not m["mention_roles"] for m in spoken)
