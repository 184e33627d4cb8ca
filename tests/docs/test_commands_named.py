"""Every command the README, the changelog and ``docs/`` name exists as named: a slash command
(``/article post channel:``) in the bot's own command tree with the options named, a
``readalong …`` command in the CLI's argparse tree with its ``--options`` (issue 22)."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from discord import app_commands

from bot.cli import build_parser
from bot.discord.client import create_bot, extension_names
from bot.settings import Settings
from tests.docs.markdown import PAGES, ROOT, blocks, spans

NOT_COMMANDS = frozenset({"health", "healthz", "readyz", "metrics", "dev", "v1"})
"""Paths that start with ``/`` and are no slash command: the health server's routes
(docs/operations.md), ``/dev/zero``, ``/v1/embeddings``."""
_SLASH = re.compile(r"/([a-z][\w-]*)(?=\s|$|\|)")
_BARE = re.compile(r"(?<![/\w])readalong (?:run|sandbox|ask|export|import|list|show|archive|db)\b")
_CLI = re.compile(r"(?:^|\s)(?:\.venv/bin/)?readalong(?=\s|$)")
Tree = dict[str, set[str]]
"""A command's qualified name (``article post``) → its options' names."""


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """The bot's app-command tree, from its cogs loaded as the bot loads them (once a module)."""

    async def load() -> Tree:
        bot = create_bot(Settings(db_path=tmp_path_factory.mktemp("tree") / "r.db"))
        await bot.store.open()
        try:
            for name in extension_names():
                await bot.load_extension(name)
            return {
                command.qualified_name: (
                    {p.name for p in command.parameters}
                    if isinstance(command, app_commands.Command)
                    else set()
                )
                for command in bot.tree.walk_commands()
            }
        finally:
            await bot.close()

    return asyncio.run(load())


def slash_mentions(page: Path) -> Iterator[str]:
    """Slash commands as ``page`` writes them: inline code and chat lines starting with ``/``."""
    for span in spans(page):
        if (found := _SLASH.match(span)) and found[1] not in NOT_COMMANDS:
            yield span
    for block in blocks(page):
        if block.tag == "chat":
            yield from (line.strip() for line in block.text.splitlines() if line.startswith("/"))


def slash_problems(mention: str, tree: Tree) -> list[str]:
    """What in ``mention`` is not in the tree: the command (``a|b`` alternatives each), its options."""
    words = mention.removeprefix("/").split()
    head = words[0]
    if head not in tree:
        return [f"{mention}: no command /{head}"]
    rest = [w for w in words[1:] if ":" not in w and w not in ("…", "or")]
    names = [f"{head} {choice}" for choice in rest[0].split("|")] if rest else [head]
    problems = [f"{mention}: no command /{name}" for name in names if name not in tree]
    options = [w.split(":", 1)[0] for w in words[1:] if re.match(r"[a-z_]+:", w)]
    for name in names:
        problems += [
            f"{mention}: /{name} has no option {option}:"
            for option in options
            if name in tree and option not in tree[name]
        ]
    return problems


def cli_mentions(page: Path) -> Iterator[str]:
    """``readalong …`` as ``page`` writes it: in inline code and on the lines of its blocks."""
    for span in spans(page):
        if _CLI.search(span):
            yield span
    for block in blocks(page):
        yield from (line.strip() for line in block.text.splitlines() if _CLI.match(line.strip()))


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_problems(mention: str, parser: argparse.ArgumentParser) -> list[str]:
    """What in ``mention`` the CLI does not have: a subcommand, or an ``--option`` of it
    (placeholders, ``[…]`` and ``a | b`` as the usage lines write them)."""
    start = _CLI.search(mention)
    assert start is not None
    text = mention[start.end() :].split(" #", maxsplit=1)[0]
    words = text.replace("[", " ").replace("]", " ").replace("|", " ").split()
    path, takes_value = "readalong", False
    for word in words:
        if word in ("…", "..."):
            break
        if takes_value:
            takes_value = False
            continue
        if word.startswith("-") and len(word) > 1:
            action = parser._option_string_actions.get(word.split("=")[0])
            if action is None:
                return [f"{mention}: {path} has no option {word.split('=')[0]}"]
            takes_value = action.nargs != 0 and "=" not in word
            continue
        commands = _subcommands(parser)
        if commands:
            if word not in commands:
                return [f"{mention}: {path} has no subcommand {word}"]
            parser, path = commands[word], f"{path} {word}"
    return []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_slash_command_named_exists_with_its_options(page: Path, tree: Tree) -> None:
    assert [p for mention in slash_mentions(page) for p in slash_problems(mention, tree)] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_readalong_command_named_exists_with_its_options(page: Path) -> None:
    parser = build_parser()
    assert [p for mention in cli_mentions(page) for p in cli_problems(mention, parser)] == []


def test_the_checks_see_what_they_look_for(tree: Tree) -> None:
    assert sum(1 for page in PAGES for _ in slash_mentions(page)) > 30
    assert sum(1 for page in PAGES for _ in cli_mentions(page)) > 30
    assert slash_problems("/archive threads|show|search|export", tree) == []
    assert slash_problems("/article post article: channel: pace: comments: tag:", tree) == []
    assert slash_problems("/article post chanel:", tree) == [
        "/article post chanel:: /article post has no option chanel:"
    ]
    assert slash_problems("/archive list|show", tree) == ["/archive list|show: no command /archive list"]
    assert slash_problems("/artcle", tree) == ["/artcle: no command /artcle"]
    parser = build_parser()
    assert cli_problems("readalong sandbox [--script FILE] [--data DIR | --fresh] [--verbose]", parser) == []
    assert cli_problems("readalong --db DIR/readalong.db ask …", parser) == []
    assert cli_problems("READALONG_ASK_COOLDOWN=0 .venv/bin/readalong sandbox", parser) == []
    assert cli_problems("readalong db copy --to", parser) == []
    assert cli_problems("readalong export ID --fromat html", parser) == [
        "readalong export ID --fromat html: readalong export has no option --fromat"
    ]
    assert cli_problems("readalong db cpy", parser) == [
        "readalong db cpy: readalong db has no subcommand cpy"
    ]
    assert cli_problems("readalong exprot ID", parser) == [
        "readalong exprot ID: readalong has no subcommand exprot"
    ]


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.name != "CHANGELOG.md"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_commands_are_written_as_they_run(page: Path) -> None:
    # `readalong …` alone fails outside an activated venv (issue 22, finding 6): a page writes
    # `.venv/bin/readalong …`, or says once to activate the venv first. (The changelog is history.)
    text = page.read_text(encoding="utf-8")
    if _BARE.search(text):
        assert "activate the venv first" in text, f"{page.name}: bare `readalong …` and no word of the venv"
