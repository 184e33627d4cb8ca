"""The resolver :mod:`bot.services.webfetch` gives aiohttp's connector, so that what is checked is
what is connected to (a redirect is resolved and checked the same way).

In a module of its own because it subclasses aiohttp's resolver: it is imported when a page is
fetched, so the commands that fetch nothing (``readalong ask``, ``list``, ``export``) start without
importing aiohttp, about half of their CPU (``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from bot.errors import FetchError
from bot.services.addresses import Resolve, refused_address


class GuardedResolver(AbstractResolver):
    """The connector's resolver: resolves with ``resolve`` and refuses the host if any of its addresses is
    not public (one bad address is enough: the connection could go to it)."""

    def __init__(self, resolve: Resolve, *, allow_private: bool) -> None:
        self._resolve = resolve
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        """The checked addresses of ``host``, as aiohttp's connector wants them."""
        addresses = await self._resolve(host, port)
        if not addresses:
            raise FetchError(f"{host}: no such host (its name does not resolve)")
        for address in addresses:
            why = None if self._allow_private else refused_address(address.ip)
            if why is not None:
                raise FetchError(
                    f"{host}: resolves to a {why} address ({address.ip}); only public web addresses are fetched"
                )
        results: list[ResolveResult] = []
        for address in addresses:
            target = address.connect_host or address.ip
            results.append(
                ResolveResult(
                    hostname=host,
                    host=target,
                    port=address.connect_port or port,
                    family=socket.AF_INET6 if ":" in target else socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        return results

    async def close(self) -> None:
        """Nothing to release."""
