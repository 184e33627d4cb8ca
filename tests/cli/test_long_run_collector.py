"""``readalong run``'s cyclic collector: what start-up made frozen out of its passes, young
collections rarer, and the process's own settings given back when the run ends (a test that runs
the bot in its own process keeps its collector as it was)."""

from __future__ import annotations

import gc

from bot.cli import YOUNG_COLLECTION_THRESHOLD, _collector_for_a_long_run


def test_the_run_freezes_start_up_and_collects_young_less_often_then_gives_both_back() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    start_up = [[n] for n in range(1000)]  # containers made before the run: frozen with the rest
    with _collector_for_a_long_run():
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() >= frozen_before + len(start_up)
        gc.collect()  # a full pass during the run leaves the frozen objects where they are
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
