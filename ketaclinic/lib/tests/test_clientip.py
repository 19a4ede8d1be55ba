"""The trusted-proxy rule (``lib.clientip``)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.lib.clientip import TrustedProxyError, client_ip, parse_networks

PROXIES = parse_networks(["10.0.0.5", "192.168.1.0/24", "::1"])


def test_without_a_header_the_peer_is_the_client() -> None:
    assert client_ip("203.0.113.7", None, PROXIES) == "203.0.113.7"
    assert client_ip("10.0.0.5", None, PROXIES) == "10.0.0.5"


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_ip("10.0.0.5", "198.51.100.20", PROXIES) == "198.51.100.20"


def test_chained_trusted_proxies_are_skipped_from_the_right() -> None:
    forwarded = "198.51.100.20, 192.168.1.9"
    assert client_ip("10.0.0.5", forwarded, PROXIES) == "198.51.100.20"


def test_a_spoofed_leftmost_hop_does_not_win_over_the_address_the_proxy_saw() -> None:
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    assert client_ip("10.0.0.5", "1.2.3.4, 198.51.100.20", PROXIES) == "198.51.100.20"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip("203.0.113.7", "1.2.3.4", PROXIES) == "203.0.113.7"


def test_a_malformed_hop_ends_the_walk_at_the_last_good_address() -> None:
    assert client_ip("10.0.0.5", "<script>, 198.51.100.20", PROXIES) == "198.51.100.20"
    assert client_ip("10.0.0.5", "garbage", PROXIES) == "10.0.0.5"
    assert client_ip("10.0.0.5", "[2001:db8::7]:443", PROXIES) == "2001:db8::7"
    assert client_ip("10.0.0.5", "198.51.100.20:5555", PROXIES) == "198.51.100.20"


def test_no_peer_address_is_none() -> None:
    assert client_ip(None, "1.2.3.4", PROXIES) is None
    assert client_ip("not-an-ip", None, PROXIES) is None


def test_a_malformed_trusted_proxy_entry_is_refused() -> None:
    with pytest.raises(TrustedProxyError, match="not an IP address"):
        parse_networks(["10.0.0.5", "proxy.internal"])


addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)


def _trusted(text: str) -> bool:
    address = ipaddress.ip_address(text)
    return any(address.version == net.version and address in net for net in PROXIES)


@given(peer=addresses, hops=st.lists(st.one_of(addresses, st.text(max_size=12)), max_size=5))
def test_an_untrusted_peer_is_always_the_client_whatever_the_header(
    peer: str, hops: list[str]
) -> None:
    if _trusted(peer):
        return
    assert client_ip(peer, ", ".join(hops), PROXIES) == str(ipaddress.ip_address(peer))


@given(hops=st.lists(addresses, min_size=1, max_size=5))
def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client(hops: list[str]) -> None:
    answer = client_ip("10.0.0.5", ", ".join(hops), PROXIES)
    untrusted = [h for h in hops if not _trusted(h)]
    expected = untrusted[-1] if untrusted else hops[0]
    assert answer == str(ipaddress.ip_address(expected))
