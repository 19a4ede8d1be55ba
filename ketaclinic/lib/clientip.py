"""The client's IP address behind trusted reverse proxies. Pure: no Django.

One rule, used by sign-in throttling (django-axes), the audit trail's request context and every
limiter: the peer address (``REMOTE_ADDR``) is the client unless that peer is one of the trusted
proxies. Only then is the proxy header read (``X-Forwarded-For`` style: a comma-separated list,
the nearest hop last), from right to left, skipping further trusted proxies; the first address
that is not a trusted proxy is the client. A header sent by anyone else (a client talking to the
application directly) is ignored, so it cannot choose the address it is counted under.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxyError(ValueError):
    """A trusted-proxy entry that is not an IP address or network."""


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.5", "192.168.0.0/24", "::1"]`` -> networks; raises on a malformed entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise TrustedProxyError(
                f"{entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: Sequence[Network]
) -> bool:
    return any(address.version == net.version and address in net for net in nets)


def client_ip(
    remote_addr: str | None, forwarded: str | None, trusted: Sequence[Network]
) -> str | None:
    """The client address for a request from ``remote_addr`` carrying proxy header ``forwarded``.

    ``forwarded`` is None when no header is configured. A malformed hop ends the walk: the last
    address known good (a trusted proxy's view of its peer) is used, never the malformed text.
    """
    peer = _address(remote_addr or "")
    if peer is None:
        return None
    if forwarded is None or not _trusted(peer, trusted):
        return str(peer)
    client = peer
    for hop in reversed(forwarded.split(",")):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)
