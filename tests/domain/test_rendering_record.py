"""What the log keeps of an answer to render it again (issue 21) holds no Discord limit since issue
24: the room left for it follows from what the posted message shows before it. Rows written before
still load."""

from __future__ import annotations

import json

from bot.domain.answer import Answer, Chosen, Quote, Rendering

QUOTE = Quote("Sixteen people died.", "body", 2, None, 10, 30, 1.0, 0.9, "zh")


def test_a_rendering_keeps_no_limit_and_an_older_row_with_one_still_loads() -> None:
    answer = Answer("How many died?", "zh", True, (QUOTE,), 3.0, section_urls={2: "https://x/2"})
    kept = Rendering.of(answer)
    assert "max_chars" not in kept.to_json()
    assert Rendering.from_json(json.loads(json.dumps(kept.to_json()))) == kept
    older = {**kept.to_json(), "max_chars": 1900}  # as issue 21's rows hold it
    assert Rendering.from_json(older) == kept


def test_the_article_chosen_is_kept_to_be_said_again() -> None:
    """Issue 22: an answer that said which article it answered from says it again once re-rendered."""
    chosen = Chosen("zh", "Zhanaozen", ("harbour",), in_place=True)
    answer = Answer("How many died?", "zh", True, (QUOTE,), 3.0, chosen=chosen)
    kept = Rendering.of(answer)
    assert Rendering.from_json(json.loads(json.dumps(kept.to_json()))).chosen == chosen
    assert Rendering.from_json({k: v for k, v in kept.to_json().items() if k != "chosen"}).chosen is None
