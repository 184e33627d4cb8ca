"""The walls of the house (issue 24): a file does one job (under ~450 lines), the CLI's imports are
ones lint-imports can see, and the import contracts reach every module of the sandbox and the CLI.

lint-imports itself runs in CI; these check that what it is given covers the code, so that a new
module cannot sit outside every contract unnoticed."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 450


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _layer_names(contract: dict[str, Any]) -> set[str]:
    return {name.strip() for layer in contract["layers"] for name in layer.split(":")}


def _modules_of(folder: Path) -> set[str]:
    """The names of ``folder``'s modules and subpackages, as a containers contract names them."""
    return {
        path.stem if path.is_file() else path.name
        for path in folder.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }


def test_no_module_is_over_450_lines() -> None:
    over = {
        str(path.relative_to(ROOT)): lines
        for folder in ("bot", "cogs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert over == {}


def test_the_cli_imports_its_subcommands_as_modules_lint_imports_sees() -> None:
    cli = ROOT / "bot" / "cli"
    tree = ast.parse((cli / "__init__.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "bot.cli"
        for alias in node.names
    }
    assert imported == _modules_of(cli)
    for path in cli.glob("*.py"):
        assert "importlib" not in path.read_text(encoding="utf-8"), f"{path.name} imports by name"


def test_the_sandbox_and_the_cli_are_in_the_bots_layers() -> None:
    layers = next(c for c in _contracts() if c["type"] == "layers" and "containers" not in c)
    assert {"bot.cli", "bot.sandbox"} <= _layer_names(layers)


def test_every_module_of_the_sandbox_has_its_place_in_the_sandboxs_layers() -> None:
    sandbox = next(c for c in _contracts() if c.get("containers") == ["bot.sandbox"])
    assert _layer_names(sandbox) == _modules_of(ROOT / "bot" / "sandbox")


def test_the_fake_discord_is_forbidden_the_bot_all_but_the_harness_and_the_command() -> None:
    forbidden = next(
        c for c in _contracts() if c["type"] == "forbidden" and "bot.sandbox.server" in c["source_modules"]
    )
    runs_the_bot = {"harness", "cli"}
    assert set(forbidden["source_modules"]) == {
        f"bot.sandbox.{name}" for name in _modules_of(ROOT / "bot" / "sandbox") - runs_the_bot
    }
    top = {
        f"bot.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "bot").iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path / "__init__.py").is_file()
    }
    # bot.shown draws Discord's markup as a client does, for the archive and the sandbox's chat
    # alike; it imports nothing (tests/test_shown.py), so the fake Discord may use it.
    shared = {"bot.shown"}
    assert set(forbidden["forbidden_modules"]) == top - {"bot.sandbox"} - shared | {"cogs", "discord"}


def test_the_routes_and_the_middleware_never_import_the_server_not_even_for_types() -> None:
    sandbox = ROOT / "bot" / "sandbox"
    for path in [*sorted((sandbox / "api").glob("*.py")), sandbox / "middleware.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "bot.sandbox.server" not in imported, f"{path.relative_to(ROOT)} imports the server"
