"""Extract from Discord's official OpenAPI spec the routes and schemas Readalong uses.

Discord's own documents, not our sandbox, are the reference for what Discord answers. The full
spec (github.com/discord/discord-api-spec, ``specs/openapi.json``, MIT licence) is several MB
and changes often; the tests read a small extract of it committed next to this script,
``readalong_routes.json``, so they never touch the network and a spec update is a reviewed diff.

The extract holds, for each ``METHOD /path`` the bot calls (and the sandbox serves), the JSON
schema of its request body and of each documented response, keyed by status (``200``, ``204``,
``4XX``, ``429``...), with every component schema those reach copied into ``$defs`` and each
``$ref`` rewritten to point there: one self-contained JSON Schema 2020-12 document.

Usage (from the repository root)::

    python tests/discord_spec/extract.py /path/to/discord-api-spec          # a checkout or bare git dir
    python tests/discord_spec/extract.py /path/to/openapi.json --commit SHA  # a copy of the file

It records the spec's commit, its licence and the date of extraction in the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SPEC_FILE = "specs/openapi.json"
OUTPUT = Path(__file__).with_name("readalong_routes.json")
SCHEMA_PREFIX = "#/components/schemas/"
RESPONSE_PREFIX = "#/components/responses/"

# Every REST route Readalong's bot calls through discord.py, as the spec spells it. The sandbox
# serves each of these (bot/sandbox/server.py's route table); @original and @me are spelt out
# because the spec lists them as paths of their own.
ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/gateway"),
    ("GET", "/gateway/bot"),
    ("GET", "/users/@me"),
    ("GET", "/users/{user_id}"),
    ("GET", "/oauth2/applications/@me"),
    ("GET", "/applications/@me"),
    ("GET", "/applications/{application_id}/commands"),
    ("PUT", "/applications/{application_id}/commands"),
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"),
    ("GET", "/guilds/{guild_id}"),
    ("GET", "/guilds/{guild_id}/channels"),
    ("GET", "/guilds/{guild_id}/members/{user_id}"),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"),
    ("GET", "/guilds/{guild_id}/threads/active"),
    ("GET", "/channels/{channel_id}"),
    ("PATCH", "/channels/{channel_id}"),
    ("GET", "/channels/{channel_id}/messages"),
    ("POST", "/channels/{channel_id}/messages"),
    ("GET", "/channels/{channel_id}/messages/{message_id}"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"),
    ("POST", "/channels/{channel_id}/threads"),
    ("GET", "/channels/{channel_id}/threads/archived/public"),
    ("PUT", "/channels/{channel_id}/thread-members/@me"),
    ("GET", "/channels/{channel_id}/thread-members/{user_id}"),
    ("PUT", "/channels/{channel_id}/thread-members/{user_id}"),
    ("POST", "/channels/{channel_id}/typing"),
    ("GET", "/channels/{channel_id}/webhooks"),
    ("POST", "/channels/{channel_id}/webhooks"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
)


def read_spec(source: Path, commit: str | None) -> tuple[dict[str, Any], str, str]:
    """The spec, its commit and its licence text, from a git dir (bare or not) or a plain file."""
    if source.is_file():
        if commit is None:
            raise SystemExit("extract.py: give --commit for a plain spec file (the extract records it)")
        licence_file = source.parent.parent / "LICENSE"
        licence = licence_file.read_text() if licence_file.exists() else "MIT"
        return json.loads(source.read_text()), commit, licence

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True
        ).stdout

    git_dir = source / ".git" if (source / ".git").exists() else source
    revision = commit or "HEAD"
    sha = git("rev-parse", f"{revision}^{{commit}}").strip()
    return json.loads(git("show", f"{sha}:{SPEC_FILE}")), sha, git("show", f"{sha}:LICENSE")


def licence_name(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return "MIT" if "MIT" in first else first


class Extractor:
    """Copies the parts of the spec a set of routes reaches, with ``$ref`` rewritten to ``$defs``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.defs: dict[str, Any] = {}

    def schema(self, node: Any) -> Any:
        """``node`` with each component ``$ref`` rewritten, the components it names copied."""
        if isinstance(node, list):
            return [self.schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref":
                if not value.startswith(SCHEMA_PREFIX):
                    raise SystemExit(f"extract.py: unexpected $ref {value!r} inside a schema")
                name = value.removeprefix(SCHEMA_PREFIX)
                self.component(name)
                out[key] = f"#/$defs/{name}"
            else:
                out[key] = self.schema(value)
        return out

    def component(self, name: str) -> None:
        if name in self.defs:
            return
        self.defs[name] = {}  # placeholder first: schemas may refer to themselves
        self.defs[name] = self.schema(self.spec["components"]["schemas"][name])

    def response(self, node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            node = self.spec["components"]["responses"][node["$ref"].removeprefix(RESPONSE_PREFIX)]
        content = node.get("content") or {}
        body = content.get("application/json", {}).get("schema")
        return {
            "description": node.get("description", ""),
            "schema": None if body is None else self.schema(body),
        }

    def operation(self, method: str, path: str) -> dict[str, Any]:
        item = self.spec["paths"].get(path)
        if item is None or method.lower() not in item:
            raise SystemExit(f"extract.py: the spec has no {method} {path}")
        operation = item[method.lower()]
        request = (operation.get("requestBody") or {}).get("content") or {}
        json_body = request.get("application/json", {}).get("schema")
        return {
            "operationId": operation.get("operationId"),
            "request": None if json_body is None else self.schema(json_body),
            "request_required": bool((operation.get("requestBody") or {}).get("required")),
            "responses": {
                status: self.response(response) for status, response in operation["responses"].items()
            },
        }


def extract(spec: dict[str, Any], commit: str, licence: str, today: dt.date) -> dict[str, Any]:
    extractor = Extractor(spec)
    routes = {f"{method} {path}": extractor.operation(method, path) for method, path in ROUTES}
    for name in ("ErrorResponse", "RatelimitedResponse"):
        extractor.component(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "source": {
            "repository": "https://github.com/discord/discord-api-spec",
            "file": SPEC_FILE,
            "commit": commit,
            "licence": licence_name(licence),
            "copyright": next((ln.strip() for ln in licence.splitlines() if "Copyright" in ln), ""),
            "openapi": spec.get("openapi"),
            "api_version": spec.get("info", {}).get("version"),
            "extracted": today.isoformat(),
            "by": "tests/discord_spec/extract.py",
        },
        "routes": routes,
        "$defs": dict(sorted(extractor.defs.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="discord-api-spec git dir (bare or not) or openapi.json")
    parser.add_argument("--commit", help="the spec's commit (default: HEAD of the git dir)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    spec, commit, licence = read_spec(args.source, args.commit)
    result = extract(spec, commit, licence, dt.datetime.now(dt.UTC).date())
    args.output.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(
        f"{args.output}: {len(result['routes'])} routes, {len(result['$defs'])} schemas, "
        f"spec {commit[:12]} ({result['source']['licence']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
