"""``readalong ask`` answers as ``/ask`` does (issue 13): through the same service function, with
the model writer when a key is set (the real ``openai`` client against a local server)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.openai_server import FakeOpenAI

ID = "the-lessons-of-zhanaozen"


async def test_with_a_key_readalong_ask_has_the_model_write_the_answer(
    tmp_path: Path, sample_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.db"
    assert await asyncio.to_thread(main, ["--db", str(db), "import", str(sample_path)]) == 0
    async with FakeOpenAI(behaviour="honest") as model:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
        monkeypatch.setenv("OPENAI_BASE_URL", model.url)
        monkeypatch.setenv("OPENAI_MODEL", "cli-model")
        capsys.readouterr()
        code = await asyncio.to_thread(main, ["--db", str(db), "ask", ID, "How many people died?"])
        out = capsys.readouterr().out
        assert code == 0
        (request,) = model.requests
        assert request.authorization == "Bearer sk-cli-test" and request.body["model"] == "cli-model"
        assert request.document["question"] == "How many people died?"
        offered = request.document["passages"][0]["text"]
        assert "Written by a language model" in out and f"> {offered}" in out

        # A question about the article itself is answered from its byline, without the model.
        code = await asyncio.to_thread(main, ["--db", str(db), "ask", ID, "Who wrote this?", "--json"])
        answer = json.loads(capsys.readouterr().out)
        assert code == 0 and len(model.requests) == 1
        assert answer["answered"] and answer["quotes"][0] == {
            "text": "Erlan Idrissov",
            "source": "byline",
            "section": None,
            "comment": None,
            "score": 1.0,
        }
