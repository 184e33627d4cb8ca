"""What an orchestrator probes and Prometheus scrapes: ``/health`` and ``/metrics`` on one port.

Off unless ``READALONG_HEALTH_PORT`` is set; bound to 127.0.0.1 unless ``READALONG_HEALTH_HOST``
says otherwise. ``/health`` (also ``/healthz`` and ``/readyz``) answers 200 when the bot is ready
(its gateway connected and its database reachable) and 503 when it is not, with JSON saying
which: ``{"ready", "gateway_connected", "database_reachable", "postings_behind_schedule"}``.
``/metrics`` is Prometheus' text format, from a :class:`~prometheus_client.CollectorRegistry` of
the bot's own (never the process-wide default one). The metrics are counted whether or not the
port is set, so the code that counts them is the same in tests and in production.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.errors import SettingsError
from bot.store import Store
from bot.store.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

BEHIND_GRACE_SECONDS = 60.0
"""An item due longer ago than this and not sent yet puts its posting "behind schedule"."""
PING_TIMEOUT_SECONDS = 2.0
"""How long ``/health`` waits for the database's answer before calling it unreachable."""
ASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
"""``/ask``'s latency buckets (seconds): quotes alone take milliseconds, a model a few seconds,
and Discord's 3 s for a first response is a line worth seeing."""


class _StoreCollector(Collector):
    """Read at each scrape from the store's own counts, which exist whether or not anyone scrapes."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        availability = self._store.availability
        errors = CounterMetricFamily(
            "readalong_database_errors",
            "Store calls that found the database unreachable (refused, dropped, disk failing)",
        )
        errors.add_metric([], availability.errors)
        yield errors
        outages = CounterMetricFamily("readalong_database_outages", "Database outages seen (each once)")
        outages.add_metric([], availability.outages)
        yield outages
        up = GaugeMetricFamily("readalong_database_available", "1 while the database is reachable")
        up.add_metric([], 1.0 if availability.available else 0.0)
        yield up


@dataclass(eq=False)
class Metrics:
    """The bot's Prometheus metrics, registered on ``registry`` (one per bot: two bots in one
    process, as in the tests, never share counts)."""

    registry: CollectorRegistry
    items_sent: Counter
    items_failed: Counter
    postings_behind: Gauge
    recorder_queue: Gauge
    ask_latency: Histogram

    @classmethod
    def create(cls, store: Store, registry: CollectorRegistry | None = None) -> Metrics:
        """The metrics on ``registry`` (a new one if None), with the store's counts among them."""
        registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        registry.register(_StoreCollector(store))
        return cls(
            registry=registry,
            items_sent=Counter("readalong_items_sent", "Posting items sent to Discord", registry=registry),
            items_failed=Counter(
                "readalong_items_failed", "Attempts to send a posting item that failed", registry=registry
            ),
            postings_behind=Gauge(
                "readalong_postings_behind_schedule",
                f"Active postings with an item due more than {BEHIND_GRACE_SECONDS:.0f} s ago (-1: database unreachable)",
                registry=registry,
            ),
            recorder_queue=Gauge(
                "readalong_recorder_queue_length",
                "Discussion changes waiting in memory for the database",
                registry=registry,
            ),
            ask_latency=Histogram(
                "readalong_ask_latency_seconds",
                "Time to answer /ask and mentions (retrieval, model, logging)",
                buckets=ASK_BUCKETS,
                registry=registry,
            ),
        )


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/health`` answers."""

    gateway_connected: bool
    database_reachable: bool
    postings_behind_schedule: int | None

    @property
    def ready(self) -> bool:
        """Ready to serve: connected to Discord and to the database. Postings behind schedule are
        reported, not a reason to restart the bot (Discord's rate limits also put them behind)."""
        return self.gateway_connected and self.database_reachable

    def to_json(self) -> dict[str, object]:
        """The JSON body."""
        return {
            "ready": self.ready,
            "gateway_connected": self.gateway_connected,
            "database_reachable": self.database_reachable,
            "postings_behind_schedule": self.postings_behind_schedule,
        }


class HealthServer:
    """The aiohttp server of ``/health`` and ``/metrics``, started and stopped with the bot."""

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        *,
        gateway_connected: Callable[[], bool],
        recorder_queue: Callable[[], int],
        behind_schedule: Callable[[float], Awaitable[int]],
        host: str,
        port: int,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._gateway_connected = gateway_connected
        self._recorder_queue = recorder_queue
        self._behind_schedule = behind_schedule
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        """The port it listens on once started (the one asked for, or the one chosen for 0)."""

    async def start(self) -> None:
        """Listen on the host and port; a port already taken fails the bot's start in one line."""
        app = web.Application()
        for path in ("/health", "/healthz", "/readyz"):
            app.router.add_get(path, self._health)
        app.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as error:
            await runner.cleanup()
            raise SettingsError(
                f"READALONG_HEALTH_PORT: cannot listen on {self._host}:{self._port} ({error.strerror or error})"
            ) from None
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        log.info("health and metrics on http://%s:%d/health and /metrics", self._host, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def check(self) -> Health:
        """Look now: the gateway, the database (one ``SELECT 1``, told to the store's availability
        if it fails, so the workers wait too), and the postings behind schedule."""
        reachable = await self._store.reachable(PING_TIMEOUT_SECONDS)
        behind: int | None = None
        if reachable:
            try:
                behind = await self._behind_schedule(BEHIND_GRACE_SECONDS)
            except DatabaseUnavailableError:
                reachable = False
        self._metrics.postings_behind.set(-1 if behind is None else behind)
        self._metrics.recorder_queue.set(self._recorder_queue())
        return Health(self._gateway_connected(), reachable, behind)

    async def _health(self, request: web.Request) -> web.Response:
        health = await self.check()
        return web.Response(
            text=json.dumps(health.to_json()),
            status=200 if health.ready else 503,
            content_type="application/json",
        )

    async def _metrics_page(self, request: web.Request) -> web.Response:
        await self.check()
        body = generate_latest(self._metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
