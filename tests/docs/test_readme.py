"""The README stays a page a newcomer reads in five minutes (issue 22): at most 200 lines, opening
with the two set-up commands (the second is the one ``.ci/run`` finds and runs), its pictures
there; and the licence ``pyproject.toml`` declares is the one in ``LICENSE``."""

from __future__ import annotations

import re
import tomllib

from tests.docs.markdown import ROOT, blocks

README = ROOT / "README.md"
SETUP = (
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/readalong sandbox",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest",
)


def test_the_readme_is_short_and_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first = blocks(README)[0]
    assert tuple(first.text.splitlines()) == SETUP
    # .ci/run takes its test command from the README with this pattern, and runs what it finds.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pattern = re.search(r"grep -m1 -E '([^']+)' README.md", ci)
    assert pattern is not None
    assert re.findall(pattern[1], text, re.MULTILINE) == [SETUP[1]]


def test_the_license_is_mit_as_pyproject_says() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]
    assert declared == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the Readalong contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_the_invite_link_asks_for_the_permissions_integer_it_names() -> None:
    text = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    integer = re.search(r"permissions integer\s+\*\*(\d+)\*\*", text)
    link = re.search(
        r"https://discord\.com/oauth2/authorize\?client_id=\w+&scope=([^&]+)&permissions=(\d+)", text
    )
    assert integer is not None and link is not None
    assert link[2] == integer[1]
    assert link[1].split("%20") == ["bot", "applications.commands"]
