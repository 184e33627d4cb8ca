"""Every setting Readalong reads is documented where operators look (docs/operators.md's
configuration table) and offered in ``.env.example``; none documented is unknown to it."""

from __future__ import annotations

import re

from bot.settings import KNOWN_KEYS
from tests.docs.markdown import ROOT

OPERATORS = ROOT / "docs" / "operators.md"


def table_keys() -> set[str]:
    """The keys in the first column of the configuration table (a row may name several)."""
    section = OPERATORS.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {key for row in rows for key in re.findall(r"`([A-Z_]+)`", row)}


def test_every_setting_is_in_the_configuration_table_and_nothing_else_is() -> None:
    assert table_keys() == set(KNOWN_KEYS)


def test_env_example_offers_every_setting_of_the_bot() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    offered = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    # The environment's own (the data folder's parent, colour) are not the bot's to set in .env.
    assert offered == set(KNOWN_KEYS) - {"XDG_DATA_HOME", "NO_COLOR"}
