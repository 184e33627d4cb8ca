"""The health and metrics server as an operator meets it: off unless its port is set, loopback by
default, a bad port one line, and answers an orchestrator and Prometheus can read."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.discord.health import HealthServer, Metrics
from bot.errors import SettingsError
from bot.settings import Settings
from bot.store import Store


def test_off_unless_the_port_is_set() -> None:
    assert Settings.from_mapping({}).health_port is None
    chosen = Settings.from_mapping({"READALONG_HEALTH_PORT": "9464"})
    assert (chosen.health_port, chosen.health_host) == (9464, "127.0.0.1")
    assert Settings.from_mapping({"READALONG_HEALTH_HOST": "0.0.0.0"}).health_host == "0.0.0.0"
    assert not Settings.from_mapping(
        {"READALONG_HEALTH_PORT": "9464", "READALONG_HEALTH_HOST": "::1"}
    ).warnings()


@pytest.mark.parametrize("raw", ["http", "70000", "-1"])
def test_a_bad_port_is_one_line_naming_the_key(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"^READALONG_HEALTH_PORT must be") as raised:
        Settings.from_mapping({"READALONG_HEALTH_PORT": raw})
    assert "\n" not in str(raised.value)


async def behind(grace: float) -> int:
    return 2


async def test_health_and_metrics_answer_in_their_formats(tmp_path: Path) -> None:
    async with Store(tmp_path / "readalong.db") as store:
        metrics = Metrics.create(store)
        metrics.items_sent.inc(3)
        metrics.ask_latency.observe(0.2)
        server = HealthServer(
            store,
            metrics,
            gateway_connected=lambda: False,
            recorder_queue=lambda: 7,
            behind_schedule=behind,
            host="127.0.0.1",
            port=0,
        )
        await server.start()
        try:
            assert server.port
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{server.port}/healthz") as response:
                    assert response.status == 503  # not connected to Discord: not ready
                    assert response.headers["Content-Type"].startswith("application/json")
                    assert await response.json() == {
                        "ready": False,
                        "gateway_connected": False,
                        "database_reachable": True,
                        "postings_behind_schedule": 2,
                    }
                async with session.get(f"http://127.0.0.1:{server.port}/metrics") as response:
                    text = await response.text()
            samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
            assert float(samples["readalong_items_sent_total"]) == 3
            assert float(samples["readalong_items_failed_total"]) == 0
            assert float(samples["readalong_recorder_queue_length"]) == 7
            assert float(samples["readalong_postings_behind_schedule"]) == 2
            assert float(samples["readalong_database_errors_total"]) == 0
            assert float(samples["readalong_database_available"]) == 1
            assert float(samples['readalong_ask_latency_seconds_bucket{le="0.25"}']) == 1
            # A second server on the same port: one line naming the key, not a traceback.
            taken = HealthServer(
                store,
                Metrics.create(store),
                gateway_connected=lambda: True,
                recorder_queue=lambda: 0,
                behind_schedule=behind,
                host="127.0.0.1",
                port=server.port,
            )
            with pytest.raises(
                SettingsError, match=f"^READALONG_HEALTH_PORT: cannot listen on 127.0.0.1:{server.port}"
            ):
                await taken.start()
        finally:
            await server.stop()
