"""An OpenAI-compatible chat server on 127.0.0.1 for tests: the real ``openai`` client talks to it
over HTTP. It answers from the passages it is sent, the way a model might: honestly, by making
up quotes, by never answering, by failing, or with text that is not the JSON asked for."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Behaviour = Literal["honest", "inventive", "silent", "broken", "babbling", "refusing"]
INVENTED = "the workers were paid in gold bars every Tuesday"


@dataclass
class Request:
    authorization: str
    body: dict[str, Any]

    @property
    def system(self) -> str:
        return str(self.body["messages"][0]["content"])

    @property
    def document(self) -> dict[str, Any]:
        """The user message, which Readalong sends as JSON: the question and the passages."""
        parsed: dict[str, Any] = json.loads(self.body["messages"][1]["content"])
        return parsed


@dataclass
class FakeOpenAI:
    behaviour: Behaviour = "honest"
    requests: list[Request] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        recorded = Request(request.headers.get("Authorization", ""), body)
        self.requests.append(recorded)
        if self.behaviour == "silent":
            await asyncio.sleep(3600)
        if self.behaviour == "broken":
            # A careless server echoing the request's headers: nothing of it may reach our logs.
            return web.json_response(
                {"error": {"message": f"overloaded; you sent {recorded.authorization}"}}, status=500
            )
        passages = recorded.document["passages"]
        first = passages[0]["text"]
        if self.behaviour == "babbling":
            content = f"Sure! Here is what I found: {first}"
        elif self.behaviour == "refusing":
            content = json.dumps({"answered": False, "answer": "", "quotes": []})
        elif self.behaviour == "honest":
            opening = " ".join(first.split()[:5])
            content = json.dumps(
                {
                    "answered": True,
                    "answer": f'The article says "{opening}", and explains why.',
                    "quotes": [{"passage": "P1", "text": first}],
                }
            )
        else:
            content = json.dumps(
                {
                    "answered": True,
                    "answer": f'It says "{INVENTED}". It also names a cause.',
                    "quotes": [
                        {"passage": "P1", "text": INVENTED},
                        {"passage": f"P{len(passages) + 5}", "text": "a passage that was never offered"},
                        {"passage": "P2", "text": passages[1]["text"] if len(passages) > 1 else first},
                    ],
                }
            )
        return web.json_response(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )
