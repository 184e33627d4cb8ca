"""Attacks on "no spoilers" (issue 13) across what a member may see: another server's posting of
the same (shared) article, and a posting in a private channel, must neither limit nor unlock what
``/ask`` quotes, nor be named or linked in the answer ("§4 … not posted here yet" says a posting
exists). The setup (private #staff, a second server) is test_privacy's."""

from __future__ import annotations

from pathlib import Path

from bot.articles import Article
from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.e2e import test_privacy
from tests.e2e.test_ask_spoilers import JOBS, JOBS_ANSWER, NOT_POSTED
from tests.e2e.test_privacy import ARTICLE, Places

places = test_privacy.places
settings = test_privacy.settings
bot = test_privacy.bot


async def paced(sandbox: Sandbox, admin: str, where: str, channel: str) -> None:
    """Post the article into ``channel`` an hour a section: only the intro and §1 go now."""
    result = await sandbox.run_command(
        admin, where, "article post", {"article": ARTICLE, "channel": channel, "pace": 60}
    )
    assert not result.failed, result.text
    await sandbox.wait_until(lambda: len(sandbox.messages(channel)) == 2, within=10)
    await sandbox.wait_idle()


async def ask(sandbox: Sandbox, member: str, where: str) -> str:
    result = await sandbox.run_command(member, where, "ask", {"question": JOBS, "article": ARTICLE})
    assert not result.failed, result.text
    return result.text


async def test_attack_another_servers_posting_neither_limits_nor_unlocks(
    sandbox: Sandbox,
    seed: Seed,
    places: Places,
    bot: ReadalongBot,
    sample_path: Path,
    sample_article: Article,
) -> None:
    await bot.store.articles.add(sample_article)
    await paced(sandbox, "ada", "general", "general")
    # The second server has not posted it: quoted whole, nothing of the first server's posting.
    theirs = await ask(sandbox, "fay", "lounge")
    assert JOBS_ANSWER in theirs and NOT_POSTED not in theirs and seed.guild_id not in theirs
    # Control: the first server, a section in, is spoiled nothing.
    ours = await ask(sandbox, "ben", "general")
    assert NOT_POSTED in ours and "5,000" not in ours

    # The second server posts it all: that unlocks nothing in the first.
    await test_privacy.post(sandbox, "eve", "lounge", "lounge", imported=True, sample_path=sample_path)
    theirs = await ask(sandbox, "fay", "lounge")
    assert JOBS_ANSWER in theirs and seed.guild_id not in theirs
    ours = await ask(sandbox, "ben", "general")
    assert NOT_POSTED in ours and "5,000" not in ours and places.other_guild_id not in ours


async def test_attack_a_posting_in_a_private_channel_is_not_named_to_others(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await paced(sandbox, "ada", "general", "staff")
    # Staff reading along in #staff are spoiled nothing (the control) ...
    staff = await ask(sandbox, "cat", "staff")
    assert NOT_POSTED in staff and "5,000" not in staff
    # ... and a member who cannot see #staff is not reading along: the whole article, with no
    # word or link of the posting there.
    public = await ask(sandbox, "ben", "general")
    assert JOBS_ANSWER in public and NOT_POSTED not in public and places.staff_id not in public
    # Nor does a staff member asking in #general, where everyone reads the answer, link #staff.
    shared = await ask(sandbox, "cat", "general")
    assert JOBS_ANSWER in shared and places.staff_id not in shared
