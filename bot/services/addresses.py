"""Which web addresses the bot may fetch from, and how a host's name becomes addresses.

Any admin can make the bot fetch an address, so every host is resolved and each of its addresses
checked before a connection is made (:mod:`bot.services.resolver` does so for the connector), and a
host written as an address is checked before anything is resolved. Plain standard library: a
command that fetches nothing need not import the HTTP client to know these rules.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.errors import FetchError

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class Address:
    """One address a host resolves to: ``ip`` is what the guard checks and what is connected to, unless
    a test's resolver routes it elsewhere (``connect_host``/``connect_port``: the local server standing
    in for a real site, while the guard still checks the site's public address)."""

    ip: str
    connect_host: str | None = None
    connect_port: int | None = None


Resolve = Callable[[str, int], Awaitable[Sequence[Address]]]
"""Host and port to the addresses to connect to."""


async def system_resolve(host: str, port: int) -> Sequence[Address]:
    """The system resolver (``getaddrinfo``), every address it gives."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"{host}: no such host (its name does not resolve)") from None
    return [Address(str(info[4][0])) for info in infos]


def refused_address(ip: str) -> str | None:
    """Why connecting to ``ip`` is refused (``loopback``, ``private``…), or None for a public address."""
    try:
        address = ipaddress.ip_address(ip.split("%", maxsplit=1)[0])
    except ValueError:
        return "not an address"
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if mapped is None and address in _NAT64:
            # NAT64 (RFC 6052): the last 32 bits are the IPv4 address a gateway connects to.
            mapped = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if mapped is not None:
            return refused_address(str(mapped)) or None
    for kind, test in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if test:
            return kind
    if not address.is_global:
        return "not public"
    return None


def literal_address(host: str) -> str | None:
    """The address a host written as one means, however it is spelled: ``127.0.0.1``, ``[::1]``,
    and the forms browsers and ``inet_aton`` accept (``2130706433``, ``0x7f.1``, ``0177.0.0.1``)."""
    host = host.strip("[]")
    try:
        return str(ipaddress.ip_address(host.split("%")[0]))
    except ValueError:
        pass
    if re.fullmatch(r"(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}\.?", host, re.I):
        try:
            return socket.inet_ntoa(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return host  # a number no address reads: refused as "not an address"
    return None
