"""An OpenAI-compatible chat server on 127.0.0.1 for tests: the real ``openai`` client talks to it
over HTTP. It answers from the passages it is sent, the way a model might: honestly, by making
up quotes, by never answering, by failing, or with text that is not the JSON asked for.

It also serves ``/v1/embeddings``: deterministic vectors from a small table of meanings (words
that mean the same share a dimension, so a paraphrase lands near its sentence, as with a real
model), or a failure, or no answer at all."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from array import array
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Behaviour = Literal["honest", "inventive", "silent", "broken", "babbling", "refusing"]
Embedding = Literal["meaning", "failing", "silent"]
DIMENSIONS = 96
MEANINGS = {
    concept: sorted(words)
    for concept, words in {
        "conflict": {"dispute", "quarrel", "conflict", "row"},
        "worker": {"worker", "employee", "staff", "labourer"},
        "employer": {"company", "employer", "firm", "industry", "industrial"},
        "start": {"erupt", "spark", "start", "trigger", "began"},
        "unrest": {"riot", "unrest", "violence", "clash", "confrontation", "disturbance"},
        "press": {"media", "journalist", "press", "reporter"},
        "invite": {"invite", "allow", "welcome", "permit"},
        "hearing": {"trial", "hearing", "court"},
        "custody": {"prisoner", "detention", "detainee", "custody"},
    }.items()
}
"""Words that mean the same, by concept: each concept is one dimension of the test vectors."""
_CONCEPT = {word: concept for concept, words in MEANINGS.items() for word in words}
_WORD = re.compile(r"[a-z]+")
_IGNORED = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "to",
        "in",
        "into",
        "on",
        "at",
        "for",
        "with",
        "by",
        "was",
        "were",
        "is",
        "are",
        "be",
        "their",
        "our",
        "what",
        "how",
        "who",
        "which",
        "did",
        "do",
        "does",
    ]
)


def embed(text: str) -> list[float]:
    """The test model: a bag of meanings (or of words, for words outside the table), hashed."""
    vector = [0.0] * DIMENSIONS
    for found in _WORD.findall(text.lower()):
        if found in _IGNORED:
            continue
        word = next(
            (
                found[: -len(end)]
                for end in ("ing", "ed", "es", "s")
                if found.endswith(end) and found[: -len(end)] in _CONCEPT
            ),
            found,
        )
        key = _CONCEPT.get(word, word)
        digest = hashlib.sha256(key.encode()).digest()
        vector[digest[0] % DIMENSIONS] += 1.0 if digest[1] % 2 else -1.0
    return vector


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
    embedding: Embedding = "meaning"
    embedded: list[list[str]] = field(default_factory=list)
    """The inputs of each embeddings request, in order."""
    _runner: web.AppRunner | None = None
    url: str = ""

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_post("/v1/embeddings", self._embed)
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

    async def _embed(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        inputs = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        self.embedded.append(inputs)
        if self.embedding == "silent":
            await asyncio.sleep(3600)
        if self.embedding == "failing":
            return web.json_response({"error": {"message": "the model is not loaded"}}, status=503)
        data = []
        for index, text in enumerate(inputs):
            vector = embed(text)
            encoded: object = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(array("f", vector).tobytes()).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
            }
        )

    def embedded_texts(self) -> list[str]:
        return [text for batch in self.embedded for text in batch]

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
