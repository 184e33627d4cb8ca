"""The privacy matrix (issue 21): every output path against every change, end to end on both
backends, in one sandbox world per backend.

Vic is the viewer: a member with the Staff role, a member of a private thread, who can read every
channel's history. Each change hides one canary message (its word, file name and link are its own):
an edit, a deletion, a deletion with ``purge_deleted``, Vic's removal from the private thread, the
loss of the Staff role, Read Message History denied on #history, and an article's deletion. The
canaries' attachments are kept by the archive (issue 22): their bytes are checked in the exports
and, for the changes that remove a message, in the database. The
changes are applied in sequence; after each, every path is read as Vic reads it now, and must show
nothing of the canaries hidden so far, while still showing the control canary (no change hides it)
and, as the positive control of the next change, the next canary. A second server is checked too:
it never sees the first's words, places or article ids. Every failing cell is collected, and the
whole matrix reported in one assertion at the end."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import CommandResult, Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from tests.conftest import both_backends
from tests.e2e.privacy_world import (
    QUAGGA,
    Canary,
    archived_as,
    attachment_text,
    bot_messages_seen,
    every_bot_message,
    found,
    mention,
    pages,
    remove_from_thread,
    remove_role,
    run,
)
from tests.e2e.test_privacy import settle

pytestmark = [both_backends, pytest.mark.slow(seconds=14)]

ARTICLE = "the-lessons-of-zhanaozen"
NOTES_TITLE = "Quokka Ledger"
NOTES = b"""---
title: Quokka Ledger
author: Jane Roe
---

The ledger of the quokka cooperative lists its members and its debts.
"""
THEIR_NOTES = b"""---
title: Quokka Ledger
author: Someone Else
---

A different ledger, kept by another server, about a different cooperative.
"""

CHANGES = ("edited", "deleted", "purged", "threadremoved", "roleremoved", "nohistory", "articledeleted")
CONTENT_CHANGES = ("edited", "deleted", "purged")

WORD_PATHS = (
    "/ask",
    "mention answer",
    "/archive show",
    "/archive search",
    "/archive search pager (pressed after)",
    "/archive export markdown",
    "/archive export html",
    "/archive export json",
)
NOTICES = "notices (pause notice)"
PLACE_PATHS: dict[str, set[str]] = {
    # A listing shows places, not words: it is checked for the changes that hide a place.
    "/archive threads": {"threadremoved", "roleremoved", "articledeleted"},
    "/articles": {"roleremoved", "articledeleted"},
    "article autocomplete": {"articledeleted"},
    "/archive show thread autocomplete": {"threadremoved", "roleremoved", "articledeleted"},
    NOTICES: {"roleremoved"},
}
LISTS_ARTICLES = {"/articles", "article autocomplete"}
"""The listings that name articles; the others name threads and channels."""
REPLIED_TO = ("deleted", "purged")
"""The canaries someone replies to."""
NO_CONTROL = {
    ("mention answer", "threadremoved"): "the bot answers a mention only in an article's own threads "
    "(its posting's placement), and a member's private thread is not one",
    ("/archive threads", "threadremoved"): "it lists a posting's own threads, not members' private ones",
    ("/archive show thread autocomplete", "threadremoved"): "it offers a posting's own threads only",
}
"""Cells where the path cannot show the canary even before its change, with the reason: their
leak is still checked, but there is no positive control to ask for."""
POSTED = "answers already posted"
"""The bot's answers that quoted a canary before its change, as they stand now (content changes)."""
POSTED_WITHIN = 3.0
"""Seconds the bot has to edit an answer it posted once a message it quotes is gone."""
KEPT_BYTES = "kept file bytes in exports"
"""The canary's attachment as the archive keeps it (issue 22): its bytes bundled into the HTML
(base64 in a data: URI) and JSON (a DCE media file) exports."""
STORED_BYTES = "kept file bytes in the database"
"""The archive's own copy of the canary's attachment: gone once the message is (deleted, purged,
its article deleted with its archive); kept while only who may see it changed."""
FORGETS_BYTES = ("deleted", "purged", "articledeleted")
EVERY_PATH = {*WORD_PATHS, *PLACE_PATHS, POSTED, "/archive show reply snippet", KEPT_BYTES, STORED_BYTES}
"""What the matrix must have checked by its end: a path dropped by mistake fails the test."""


@dataclass
class Matrix:
    """The failing cells: (change, path, what was wrong)."""

    failures: list[tuple[str, str, str]] = field(default_factory=list)
    checked: int = 0
    paths: set[str] = field(default_factory=set)

    def leak(self, change: str, path: str, text: str, tokens: Iterable[str]) -> None:
        self.checked += 1
        self.paths.add(path)
        shown = found(text, tokens)
        if shown:
            self.failures.append((change, path, "leaked " + "; ".join(shown)))

    def control(self, change: str, path: str, text: str, tokens: Iterable[str], *, before: bool) -> None:
        if (path, change) in NO_CONTROL:
            return
        self.checked += 1
        self.paths.add(path)
        if not found(text, tokens):
            when = "before the change" if before else "(control canary, never hidden)"
            self.failures.append((change, path, f"control: not shown {when}: {text[:160]!r}"))

    def report(self) -> str:
        """One line per failing cell (a leak seen again in later rounds is counted, not repeated)."""
        cells: dict[tuple[str, str], list[str]] = {}
        for change, path, what in self.failures:
            cells.setdefault((change, path), []).append(what)
        return "\n".join(
            f"[{change} × {path}] {whats[0]}"
            + (f" (and in {len(whats) - 1} later rounds)" if len(whats) > 1 else "")
            for (change, path), whats in cells.items()
        )


@dataclass
class World:
    vic_id: str
    staff_role: str
    staff_id: str
    history_id: str
    notes_channel: str
    other_guild: str
    lounge_id: str
    notes_id: str = ""
    their_notes_id: str = ""
    control: Canary = dataclasses.field(default_factory=lambda: Canary("control", "wrangling"))
    canaries: dict[str, Canary] = field(default_factory=dict)
    fresh_search: CommandResult | None = None


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ask_cooldown_seconds=0.0)


@pytest.fixture
def world(sandbox: Sandbox, seed: Seed) -> World:
    """Made before the bot starts: Vic (Staff and Readers), a #staff for Staff, a #history for
    Readers, a #notes for the second article, and a second server (Eve its owner, Fay a member)
    with #lounge."""
    w = sandbox.world
    staff_role = w.create_role(seed.guild_id, "Staff", perms.EVERYONE_DEFAULT)
    bot_role = next(r for r in w.roles[seed.guild_id].values() if r["name"] == "Readalong")
    vic = w.create_user("vic", display_name="Vic")
    w.add_member(seed.guild_id, vic["id"], [staff_role["id"]])
    staff = w.create_channel(
        seed.guild_id,
        "staff",
        overwrites=[
            {"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)},
            {"id": staff_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
            {"id": bot_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
        ],
    )
    # #history is for the Readers role (Vic and Ben are readers), not the whole server: an answer
    # in #general then never quotes it (a public answer quotes only what every reader there may
    # see), so once Vic may not read its history, no answer he can still read holds its words.
    readers = w.create_role(seed.guild_id, "Readers", perms.EVERYONE_DEFAULT)
    for member in (vic["id"], seed.reader_id):
        w.members[seed.guild_id][member]["roles"].append(readers["id"])
    history = w.create_channel(
        seed.guild_id,
        "history",
        overwrites=[
            {"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)},
            {"id": readers["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
            {"id": bot_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
        ],
    )
    # The second article is posted in a channel of its own: a private thread of #general belongs
    # to the latest article posted there, and must belong to the first.
    notes = w.create_channel(seed.guild_id, "notes")
    eve = w.create_user("eve", display_name="Eve")
    fay = w.create_user("fay", display_name="Fay")
    other = w.create_guild("Other Server", owner_id=eve["id"])
    other_bot_role = w.create_role(other["id"], "Readalong", perms.BOT_DEFAULT)
    w.add_member(other["id"], eve["id"])
    w.add_member(other["id"], fay["id"])
    w.add_member(other["id"], w.bot_id, [other_bot_role["id"]])
    lounge = w.create_channel(other["id"], "lounge")
    return World(
        vic["id"], staff_role["id"], staff["id"], history["id"], notes["id"], other["id"], lounge["id"]
    )


@pytest.fixture
async def bot(settings: Settings, world: World, sandbox: Sandbox, seed: Seed) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        sandbox.world.commands[world.other_guild] = sandbox.world.commands[seed.guild_id]
        yield running


async def post(
    sandbox: Sandbox, admin: str, where: str, article: str, channel: str, *, threads: int = 1
) -> list[dict[str, Any]]:
    """Post an article (no comments) into ``channel``; the threads it made, once there are at least
    ``threads`` of them (a loaded machine can be quiet for a moment between two sections)."""
    before = {t["id"] for t in sandbox.threads(channel)}

    def made() -> list[dict[str, Any]]:
        return [t for t in sandbox.threads(channel) if t["id"] not in before]

    result = await sandbox.run_command(
        admin, where, "article post", {"article": article, "channel": channel, "comments": False}
    )
    assert not result.failed and "Posting" in result.text, result.text
    await sandbox.wait_until(lambda: len(made()) >= threads, within=30)
    await sandbox.wait_idle()
    return made()


async def import_file(sandbox: Sandbox, admin: str, where: str, name: str, data: bytes) -> str:
    result = await sandbox.run_command(admin, where, "article import", {"file": (name, data)})
    assert "Id: `" in result.text, result.text
    return result.text.split("Id: `")[1].split("`")[0]


async def build(sandbox: Sandbox, seed: Seed, bot: ReadalongBot, world: World, sample_path: Path) -> None:
    """Articles imported and posted in #general, #notes, #history and #staff (paused by a refusal,
    so that a notice names it); the private thread, the canaries, replies, fillers and mention
    questions."""
    s = sandbox
    await import_file(s, "ada", "general", sample_path.name, sample_path.read_bytes())
    world.notes_id = await import_file(s, "ada", "general", "quokka.md", NOTES)
    general = await post(s, "ada", "general", ARTICLE, "general", threads=5)
    notes = await post(s, "ada", "general", world.notes_id, "notes")
    history = await post(s, "ada", "general", ARTICLE, "history", threads=1)

    # The #staff posting is refused after its second section (the bot loses Send Messages
    # there), so it pauses and a notice is posted where /article post was used.
    sent = 0

    async def refuse_after_two_sections(phase: str, route: str) -> None:
        nonlocal sent
        if phase == "after" and route == f"POST /channels/{world.staff_id}/messages":
            sent += 1
            if sent == 3:
                s.world.set_overwrite(world.staff_id, seed.bot_id, deny=perms.SEND_MESSAGES, member=True)

    s.faults.hook = refuse_after_two_sections
    staff = await post(s, "ada", "general", ARTICLE, "staff")
    await s.wait_until(
        lambda: "is paused" in bot_messages_seen(s, seed.admin_id, seed.guild_id, seed.bot_id), 15
    )
    s.faults.hook = None
    s.world.set_overwrite(world.staff_id, seed.bot_id, member=True)  # given back; still paused
    assert staff, "the #staff posting made no thread before it was refused"

    private = s.create_private_thread("ben", "general", "zebrathreadremoved room")
    for who in ("vic", "Readalong"):
        s.add_to_thread("ben", private, who)

    where = {
        "control": (general[0], ARTICLE),
        "edited": (general[1], ARTICLE),
        "deleted": (general[2], ARTICLE),
        "purged": (general[3], ARTICLE),
        "threadremoved": (private, ARTICLE),
        "roleremoved": (staff[0], ARTICLE),
        "nohistory": (history[0], ARTICLE),
        "articledeleted": (notes[0], world.notes_id),
    }
    topics = {
        "edited": "lighthouse",
        "deleted": "pension",
        "purged": "harbour",
        "threadremoved": "orchard",
        "roleremoved": "railway",
        "nohistory": "glacier",
        "articledeleted": "vineyard",
    }
    world.canaries = {c: Canary(c, topics[c], with_file=c != "edited") for c in CHANGES}
    sent_messages = []
    for canary in [world.control, *world.canaries.values()]:
        thread, article = where[canary.change]
        canary.thread_id, canary.article = str(thread["id"]), article
        author = "ada" if canary.change == "roleremoved" else "ben"  # ben cannot see #staff
        canary.message = s.send(author, thread, canary.content(), files=canary.files())
        sent_messages.append(canary.message)
    c = world.canaries
    c["threadremoved"].places = [c["threadremoved"].thread_id, "zebrathreadremoved"]
    c["roleremoved"].places = [world.staff_id, *(str(t["id"]) for t in staff)]
    c["articledeleted"].places = [str(t["id"]) for t in notes]
    c["articledeleted"].listed = [world.notes_id, NOTES_TITLE]
    # Someone replies to the message that will be deleted: the reply's snippet must not keep it.
    for change in REPLIED_TO:
        canary = c[change]
        sent_messages.append(
            s.send("ada", canary.thread_id, f"{QUAGGA} I agree with that.", reply_to=canary.message)
        )
    # Fillers, so that a search for the shared word has pages to turn.
    padding = " ".join(["filler"] * 30)
    sent_messages += [s.send("ben", general[4], f"{QUAGGA} {n} {padding}") for n in range(12)]
    await settle(s, bot, *sent_messages)
    # Ben also asks the bot, by mentioning it, with the words the change takes back: the
    # questions-asked section of the exports has them, and so does the bot's archived answer.
    for change in CONTENT_CHANGES:
        canary = c[change]
        question = f"Was the {canary.word} committee right about the {canary.topic} dispute?"
        replies = await mention(s, "ben", canary.thread_id, seed.bot_id, question)
        assert replies, f"the bot did not answer the mention in {change}'s thread"
        canary.asked = replies[0]["message_reference"]["message_id"]
        canary.answers += [(r["channel_id"], r["id"]) for r in replies]
    await settle(s, bot)
    fresh = await s.run_command("vic", "general", "archive search", {"query": QUAGGA})
    assert "page 1/" in fresh.text, f"one page of results: the pager path would check nothing\n{fresh.text}"
    world.fresh_search = fresh


async def check_round(
    s: Sandbox,
    seed: Seed,
    world: World,
    matrix: Matrix,
    hidden: list[Canary],
    just_hidden: Canary | None,
    upcoming: Canary | None,
) -> None:
    """Every path as Vic sees it now: nothing of ``hidden``; the control canary and ``upcoming``
    (the next change's canary, its positive control) shown."""
    vic = "vic"
    shown = [c for c in (world.control, upcoming) if c is not None]

    def judge(path: str, text: str, canaries: Iterable[Canary] = ()) -> None:
        """A leak of any hidden canary counts against the change that hid it; the shown ones must be there."""
        for c in hidden:
            matrix.leak(c.change, path, text, c.words)
        for c in canaries:
            matrix.control(c.change, path, text, c.words, before=c is upcoming)

    def place(canary: Canary) -> str:
        """Where Vic asks about a canary: its thread if Vic may be there now, else the control's."""
        return (
            canary.thread_id if s.world.can_view(world.vic_id, canary.thread_id) else world.control.thread_id
        )

    # Per canary: /ask, a mention answer, /archive show of its thread.
    for canary in [c for c in (world.control, just_hidden, upcoming) if c is not None]:
        targets = [canary] if canary in shown else []
        asked = await run(
            s, vic, place(canary), "ask", {"question": canary.question, "article": canary.article}
        )
        text = asked.text if asked else ""
        judge("/ask", text, targets)
        # The bot stays quiet in a thread that is no article's: a member's private thread, and a
        # section's thread once its article is deleted.
        where = place(canary)
        quiet = where == world.canaries["threadremoved"].thread_id or (
            canary.change == "articledeleted" and canary in hidden
        )
        replies = await mention(s, vic, where, seed.bot_id, canary.question, quiet=quiet)
        judge("mention answer", "\n".join(r.get("content") or "" for r in replies), targets)
        if canary is upcoming and canary.change in CONTENT_CHANGES:
            canary.answers = [(m["channel_id"], m["id"]) for m in (asked.messages if asked else [])]
            canary.answers += [(r["channel_id"], r["id"]) for r in replies]
        shown_thread = await run(s, vic, "general", "archive show", {"thread": canary.thread_id})
        transcript = await pages(s, vic, shown_thread) if shown_thread else ""
        judge("/archive show", transcript, targets)
        if canary.change in REPLIED_TO:
            # Finding 2's own row: the snippet a reply is headed with.
            snippets = "\n".join(line for line in transcript.splitlines() if "↪" in line)
            judge("/archive show reply snippet", snippets, targets)

    # The answers the bot posted while a canary stood, as they stand now.
    if just_hidden is not None and just_hidden.change in CONTENT_CHANGES:

        def posted(canary: Canary = just_hidden) -> str:
            texts = []
            for channel_id, message_id in canary.answers:
                stored = s.world.messages.get(channel_id, {}).get(message_id)
                texts.append((stored or {}).get("content") or "")
            return "\n".join(texts)

        # The bot edits what it posted once it hears of the change: a few seconds at most.
        with contextlib.suppress(TimeoutError):
            await s.wait_until(lambda: not found(posted(), just_hidden.words), within=POSTED_WITHIN)
        matrix.leak(just_hidden.change, POSTED, posted(), just_hidden.words)

    # Search: a fresh one, and the pager of the one run before the change, turned now.
    if world.fresh_search is not None:
        # Only the pages rendered by these presses: the page on screen was rendered before.
        turned = await pages(s, vic, world.fresh_search, pressed_only=True)
        judge("/archive search pager (pressed after)", turned, shown)
    fresh = await run(s, vic, "general", "archive search", {"query": QUAGGA})
    assert fresh is not None
    judge("/archive search", await pages(s, vic, fresh), shown)
    world.fresh_search = fresh  # turned back to its first page: the next round presses it again

    # Exports of each article involved, in the three formats.
    articles = {c.article for c in [*shown, *([just_hidden] if just_hidden else [])]}
    bundled = []
    for fmt in ("markdown", "html", "json"):
        texts = []
        for article in sorted(articles):
            # Every posting of the article (by default an export is of the posting where it is
            # used: issue 22): all the victim may see is at stake.
            exported = await run(
                s,
                vic,
                "general",
                "archive export",
                {"article": article, "format": fmt, "every_posting": True},
            )
            texts.append(await attachment_text(exported) if exported else "")
        judge(f"/archive export {fmt}", "\n".join(texts), shown)
        if fmt != "markdown":
            bundled += texts
    # The attachments' bytes the exports bundle: the hidden canaries' nowhere, the shown ones' there.
    for c in hidden:
        matrix.leak(c.change, KEPT_BYTES, "\n".join(bundled), file_tokens(c))
    for c in shown:
        if c.with_file:
            matrix.control(c.change, KEPT_BYTES, "\n".join(bundled), file_tokens(c), before=c is upcoming)

    # Listings: places only.
    listing_texts = {}
    threads = []
    for article in sorted(articles):
        listed = await run(s, vic, "general", "archive threads", {"article": article})
        threads.append(await pages(s, vic, listed) if listed else "")
    listing_texts["/archive threads"] = "\n".join(threads)
    listed_articles = await run(s, vic, "general", "articles", {})
    listing_texts["/articles"] = listed_articles.text if listed_articles else ""
    choices = await s.autocomplete(vic, "general", "ask", {"question": "x", "article": ""}, focused="article")
    listing_texts["article autocomplete"] = "\n".join(f"{c['name']} {c['value']}" for c in choices)
    choices = await s.autocomplete(vic, "general", "archive show", {"thread": ""}, focused="thread")
    listing_texts["/archive show thread autocomplete"] = "\n".join(
        f"{c['name']} {c['value']}" for c in choices
    )
    listing_texts[NOTICES] = bot_messages_seen(s, world.vic_id, seed.guild_id, seed.bot_id)

    def tokens(c: Canary, path: str) -> list[str]:
        return c.listed if path in LISTS_ARTICLES and c.listed else c.places

    for path, text in listing_texts.items():
        for c in hidden:
            if c.change in PLACE_PATHS[path]:
                matrix.leak(c.change, path, text, tokens(c, path))
        if upcoming is not None and upcoming.change in PLACE_PATHS[path]:
            if path == NOTICES:
                # The notice may rightly go where Vic never reads it (to the admin, say): its
                # control is that it was sent at all, wherever.
                matrix.control(
                    upcoming.change, path, every_bot_message(s, seed.bot_id), ["paused"], before=True
                )
            else:
                matrix.control(upcoming.change, path, text, tokens(upcoming, path), before=True)


def file_tokens(canary: Canary) -> list[str]:
    """The canary's file's bytes as the exports bundle them: base64 in the HTML page's data: URI,
    and as text (what :func:`attachment_text` reads of a zip's media file) in the JSON export."""
    if not canary.with_file:
        return []
    ((_, data),) = canary.files()
    return [base64.b64encode(data).decode("ascii"), data.decode("utf-8", "replace")[1:]]


async def check_stored_bytes(bot: ReadalongBot, world: World, matrix: Matrix, hidden: list[Canary]) -> None:
    """The database's copy of each canary's attachment: gone with a message that is gone, kept
    (the positive control) for one still there, whoever may see it now."""
    for canary in [world.control, *world.canaries.values()]:
        if not canary.with_file or canary.message is None:
            continue
        held = await bot.store.files.count(int(canary.message["id"]))
        gone = canary in hidden and canary.change in FORGETS_BYTES
        matrix.checked += 1
        matrix.paths.add(STORED_BYTES)
        if gone and held:
            matrix.failures.append((canary.change, STORED_BYTES, f"leaked: {held} file rows still stored"))
        elif not gone and not held:
            matrix.failures.append((canary.change, STORED_BYTES, "control: the file was not kept"))


async def apply_change(s: Sandbox, seed: Seed, bot: ReadalongBot, world: World, canary: Canary) -> None:
    """Apply one change, and wait until the bot has heard of it."""
    message = canary.message
    assert message is not None
    asked = s.world.message(canary.thread_id, canary.asked) if canary.asked else None
    match canary.change:
        case "edited":
            s.edit("ben", message, f"{QUAGGA} I took back what I said here.")
            await archived_as(bot, message["id"], edited=True)
            assert asked is not None
            s.edit("ben", asked, f"<@{seed.bot_id}> Never mind.")
            await archived_as(bot, asked["id"], edited=True)
        case "deleted" | "purged":
            if canary.change == "purged":
                changed = await s.run("ada", "general", "/article settings purge_deleted:True")
                assert not changed.failed, changed.text
            assert asked is not None
            for gone in (message, asked):
                s.delete("ben", gone)
                await archived_as(bot, gone["id"], deleted=True)
        case "threadremoved":
            remove_from_thread(s, canary.thread_id, world.vic_id)
        case "roleremoved":
            remove_role(s, seed.guild_id, world.vic_id, world.staff_role)
        case "nohistory":
            s.world.set_overwrite(
                world.history_id, world.vic_id, deny=perms.READ_MESSAGE_HISTORY, member=True
            )
        case "articledeleted":
            prompt = await s.run_command(
                "ada", "general", "article delete", {"article": world.notes_id, "archive": True}
            )
            (message_,) = prompt.messages
            confirmed = await s.press("ada", message_, "Confirm")
            assert not confirmed.failed, confirmed.text
    await s.wait_idle()


async def check_other_server(
    s: Sandbox, seed: Seed, bot: ReadalongBot, world: World, matrix: Matrix, sample_path: Path
) -> None:
    """Eve's server imports an article under the first server's title, posts it and talks: it is
    told the plain id (nothing about the first server), and no path shows the first's words,
    places or articles, while its own message is shown."""
    world.their_notes_id = await import_file(s, "eve", "lounge", "quokka.md", THEIR_NOTES)
    if world.their_notes_id != world.notes_id:
        matrix.failures.append(
            (
                "second server",
                "/article import (id)",
                f"leaked: the same title got {world.their_notes_id!r}, not {world.notes_id!r}",
            )
        )
    threads = await post(s, "eve", "lounge", world.their_notes_id, "lounge")
    theirs = Canary("otherserver", "meadow", with_file=False)
    theirs.message = s.send("fay", threads[0], theirs.content())
    await settle(s, bot, theirs.message)

    first = [*world.control.words, seed.guild_id, ARTICLE, world.staff_id, world.history_id]
    for canary in world.canaries.values():
        first += canary.words + canary.places  # not its title: this server has one the same
    texts: dict[str, str] = {}
    asked = await run(
        s, "eve", "lounge", "ask", {"question": theirs.question, "article": world.their_notes_id}
    )
    texts["/ask"] = asked.text if asked else ""
    searched = await run(s, "eve", "lounge", "archive search", {"query": QUAGGA})
    texts["/archive search"] = await pages(s, "eve", searched) if searched else ""
    for fmt in ("markdown", "json"):
        exported = await run(
            s,
            "eve",
            "lounge",
            "archive export",
            {"article": world.their_notes_id, "format": fmt, "every_posting": True},
        )
        texts[f"/archive export {fmt}"] = await attachment_text(exported) if exported else ""
    for path, text in texts.items():
        matrix.leak("second server", path, text, first)
        matrix.control("second server", path, text, theirs.words, before=False)
    listed = await run(s, "eve", "lounge", "archive threads", {"article": world.their_notes_id})
    matrix.leak("second server", "/archive threads", listed.text if listed else "", first)
    articles = await run(s, "eve", "lounge", "articles", {})
    matrix.leak("second server", "/articles", articles.text if articles else "", first)
    choices = await s.autocomplete(
        "eve", "lounge", "ask", {"question": "x", "article": ""}, focused="article"
    )
    matrix.leak("second server", "article autocomplete", " ".join(c["value"] for c in choices), first)
    shown = await run(s, "eve", "lounge", "archive show", {"thread": world.control.thread_id})
    matrix.leak("second server", "/archive show", shown.text if shown else "", first)


async def test_privacy_matrix(
    sandbox: Sandbox, seed: Seed, world: World, bot: ReadalongBot, sample_path: Path
) -> None:
    started = time.monotonic()
    await build(sandbox, seed, bot, world, sample_path)
    built = time.monotonic()
    matrix = Matrix()
    await check_other_server(sandbox, seed, bot, world, matrix, sample_path)
    hidden: list[Canary] = []
    canaries = list(world.canaries.values())
    await check_round(sandbox, seed, world, matrix, hidden, None, canaries[0])
    for index, canary in enumerate(canaries):
        await apply_change(sandbox, seed, bot, world, canary)
        hidden.append(canary)
        upcoming = canaries[index + 1] if index + 1 < len(canaries) else None
        await check_round(sandbox, seed, world, matrix, hidden, canary, upcoming)
        await check_stored_bytes(bot, world, matrix, hidden)
    took = time.monotonic() - started
    print(f"privacy matrix: {matrix.checked} checks, built in {built - started:.1f} s, all in {took:.1f} s")
    assert matrix.paths >= EVERY_PATH, f"paths never checked: {sorted(EVERY_PATH - matrix.paths)}"
    assert not matrix.failures, f"failing cells:\n{matrix.report()}"
