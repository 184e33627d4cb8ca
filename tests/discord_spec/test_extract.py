"""The committed extract of Discord's spec, and the script that makes it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox import Sandbox
from bot.sandbox.api import add_routes
from tests.discord_spec.extract import ROUTES, extract

EXTRACT = Path(__file__).with_name("readalong_routes.json")


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(item) for item in node))
    return set()


def test_the_extract_is_self_contained_and_says_where_it_comes_from() -> None:
    data = json.loads(EXTRACT.read_text())
    source = data["source"]
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]) and source["licence"] == "MIT"
    assert source["repository"] == "https://github.com/discord/discord-api-spec"
    dt.date.fromisoformat(source["extracted"])
    assert set(data["routes"]) == {f"{method} {path}" for method, path in ROUTES}
    pointers = refs(data["routes"]) | refs(data["$defs"])
    assert pointers and all(p.startswith("#/$defs/") for p in pointers)
    assert {p.removeprefix("#/$defs/") for p in pointers} <= set(data["$defs"])  # nothing dangles


def test_every_route_the_sandbox_serves_is_in_the_extract() -> None:
    """A route added to the sandbox without its Discord reference fails here: add it to ROUTES."""
    app = web.Application()
    add_routes(app, Sandbox())
    served = {
        f"{route.method} {route.resource.canonical.removeprefix('/api/v10')}"
        for route in app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/v10")
    }
    known = set(json.loads(EXTRACT.read_text())["routes"])
    assert served and served <= known, sorted(served - known)


def mini_spec() -> dict[str, Any]:
    message = {"type": "object", "properties": {"reply": {"$ref": "#/components/schemas/Message"}}}
    paths: dict[str, dict[str, Any]] = {}
    for method, path in ROUTES:
        paths.setdefault(path, {})[method.lower()] = {"responses": {"204": {"description": "ok"}}}
    paths["/channels/{channel_id}/messages"] = {
        "get": {"responses": {"4XX": {"$ref": "#/components/responses/ClientErrorResponse"}}},
        "post": {
            "requestBody": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Create"}}},
                "required": True,
            },
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
                }
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"version": "10"},
        "paths": paths,
        "components": {
            "schemas": {
                "Message": message,
                "Create": {"type": "object"},
                "Unused": {"type": "string"},
                "ErrorResponse": {"type": "object", "required": ["code", "message"]},
                "RatelimitedResponse": {"type": "object"},
            },
            "responses": {
                "ClientErrorResponse": {
                    "description": "Client error response",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
                    },
                }
            },
        },
    }


def test_the_script_copies_only_what_the_routes_reach_with_refs_rewritten() -> None:
    made = extract(mini_spec(), "a" * 40, "MIT License\n\nCopyright 2023 Discord\n", dt.date(2026, 11, 25))
    post = made["routes"]["POST /channels/{channel_id}/messages"]
    assert post["request"] == {"$ref": "#/$defs/Create"} and post["request_required"] is True
    assert post["responses"]["200"]["schema"] == {"$ref": "#/$defs/Message"}
    assert made["routes"]["GET /channels/{channel_id}/messages"]["responses"]["4XX"]["schema"] == {
        "$ref": "#/$defs/ErrorResponse"
    }
    assert made["$defs"]["Message"]["properties"]["reply"] == {"$ref": "#/$defs/Message"}  # recursive
    assert "Unused" not in made["$defs"]
    assert made["source"] | {"commit": "", "copyright": ""} == made["source"] | {
        "commit": "",
        "copyright": "",
    }
    assert (made["source"]["licence"], made["source"]["extracted"]) == ("MIT", "2026-11-25")


def test_the_script_refuses_a_spec_without_a_route_readalong_uses() -> None:
    spec = mini_spec()
    del spec["paths"]["/gateway/bot"]
    with pytest.raises(SystemExit, match="no GET /gateway/bot"):
        extract(spec, "a" * 40, "MIT License", dt.date(2026, 11, 25))
