"""A TCP proxy that can be cut and restored: a database outage for tests and benchmarks.

The machine's PostgreSQL serves every test and engineer at once, so it is never stopped; instead
the bot connects through this proxy, and :meth:`TcpProxy.cut` does to it what a stopped server
or a broken network does: every open connection is closed and new ones are refused (the port is
no longer listened on: ``ConnectionRefusedError``), until :meth:`TcpProxy.restore`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

log = logging.getLogger(__name__)

_CHUNK = 65536


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target_host:target_port`` while not cut."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.connections = 0
        """Connections accepted since the proxy started (all cuts included)."""

    async def start(self) -> None:
        """Listen (on a free port the first time, when ``port`` is 0; on the same port after a cut)."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        if self.port == 0:
            self.port = self._server.sockets[0].getsockname()[1]

    @property
    def is_cut(self) -> bool:
        """Whether connections are refused now."""
        return self._server is None

    async def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._writers):
            with contextlib.suppress(OSError):
                writer.transport.abort()
        self._writers.clear()
        for pump in list(self._pumps):
            pump.cancel()
        for pump in list(self._pumps):
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        self._pumps.clear()

    async def restore(self) -> None:
        """Accept connections again (on the same port)."""
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        """Cut, for good."""
        await self.cut()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._server is None:
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self.connections += 1
        for writer in (client_writer, server_writer):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._writers.add(writer)
        for source, sink in ((client_reader, server_writer), (server_reader, client_writer)):
            pump = asyncio.create_task(self._pump(source, sink), name="tcp proxy pump")
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(_CHUNK):
                sink.write(data)
                await sink.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            self._writers.discard(sink)
            with contextlib.suppress(OSError, RuntimeError):
                sink.close()
