"""The sandbox's protocol numbers are Discord's, and what the code imports is declared."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import protocol

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "tests" / "discord_spec" / "readalong_routes.json").read_text(encoding="utf-8"))

SPEC_ENUMS: list[tuple[type[IntEnum], str]] = [
    (protocol.ChannelType, "ChannelTypes"),
    (protocol.MessageType, "MessageType"),
    (protocol.InteractionType, "InteractionTypes"),
    (protocol.CallbackType, "InteractionCallbackTypes"),
    (protocol.ComponentType, "MessageComponentTypes"),
    (protocol.CommandType, "ApplicationCommandType"),
    (protocol.OptionType, "ApplicationCommandOptionType"),
    (protocol.WebhookType, "WebhookTypes"),
    (protocol.OverwriteType, "ChannelPermissionOverwrites"),
    (protocol.ReferenceType, "MessageReferenceType"),
]
DOCS_NAMES = {("CommandType", "CHAT_INPUT"): "CHAT"}
"""Where the docs' name (ours) differs from the spec's title for the same number."""
DOCS_ONLY = {("ChannelType", "GUILD_MEDIA")}
"""In Discord's docs (Channel Types: GUILD_MEDIA, 16) but not in the spec's enum."""


@pytest.mark.parametrize(("enum", "spec_name"), SPEC_ENUMS, ids=[name for _, name in SPEC_ENUMS])
def test_every_protocol_number_is_discords_under_its_name(enum: type[IntEnum], spec_name: str) -> None:
    titles = {option["const"]: option["title"] for option in SPEC["$defs"][spec_name]["oneOf"]}
    # Keyed by names: an IntEnum member equals its number, so members of different enums collide.
    named = [((enum.__name__, member.name), member) for member in enum]
    ours = {member.value: DOCS_NAMES.get(key, member.name) for key, member in named if key not in DOCS_ONLY}
    assert ours, f"{enum.__name__} names no number"
    assert {value: titles.get(value) for value in ours} == ours


def _imported_top_level(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares them: ``prometheus_client`` is ``prometheus-client``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    return {_normalized(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]) for requirement in requirements}


def test_every_third_party_module_the_bot_imports_is_a_declared_dependency() -> None:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = [r for extra in project.get("optional-dependencies", {}).values() for r in extra]
    declared = _declared(project["dependencies"] + optional)
    ours = {"bot", "cogs"}
    modules: set[str] = set()
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            modules |= _imported_top_level(path)
    third_party = {m for m in modules - ours if m not in sys.stdlib_module_names and m != "__future__"}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: distributions.get(module, [module])
        for module in sorted(third_party)
        if not any(_normalized(name) in declared for name in distributions.get(module, [module]))
    }
    assert "aiohttp" in third_party and "yarl" in third_party  # what this test is about is looked at
    assert undeclared == {}
