"""CIDR values of the config (NET-1, ACC-3): parsed by `ipaddress`, explained in words when they are not networks.

`10.0.0.1/16` is an address with a prefix, not a network: the message names the network that was probably meant.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 1918, section 3: the three blocks reserved for private internets. `ipaddress`'s is_private also admits
# link-local, documentation and other special-purpose ranges, which a VPC must not use.
RFC1918: Final = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)


def as_network(value: Any) -> IpNetwork:
    """A CIDR string as a network; a string with host bits set is refused with the network it probably meant."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value  # built in Python, not read from TOML
    if not isinstance(value, str):
        raise ValueError("must be a network in CIDR notation, in quotes, e.g. '10.20.0.0/16'")
    try:
        return ipaddress.ip_network(value.strip())
    except ValueError:
        pass
    try:
        meant = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueError("is not a network in CIDR notation, e.g. '10.20.0.0/16'") from None
    raise ValueError(f"{value} has host bits set; did you mean {meant}?")


def as_ipv4_network(value: Any) -> ipaddress.IPv4Network:
    network = as_network(value)
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError("must be an IPv4 network: the VPC and the bastion are IPv4-only")
    return network


def is_rfc1918(network: ipaddress.IPv4Network) -> bool:
    return any(network.subnet_of(block) for block in RFC1918)
