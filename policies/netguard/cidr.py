"""IP blocks (NetworkPolicyPeer.ipBlock): a CIDR minus a list of excepted CIDRs, IPv4 or IPv6.

An ipBlock is matched against the other side's IP: a pod's status.podIP when known, or an
external endpoint's address. An endpoint without an IP is never matched. As in the API server,
a CIDR may have host bits set (``10.0.0.1/24`` means ``10.0.0.0/24``), and each ``except`` must be
a strict subset of ``cidr`` of the same family. An IPv4-mapped IPv6 CIDR (``::ffff:10.0.0.0/104``)
is the IPv4 CIDR it maps (``10.0.0.0/8``): Go's net.IPNet, which the API server and the CNIs read
CIDRs with, matches IPv4 addresses with it.
"""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
from dataclasses import dataclass
from typing import Any, Optional, Union

from .errors import Location, kind_of, unknown_key

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


@dataclass(frozen=True)
class IPBlock:
    cidr: Network
    excepts: tuple[Network, ...] = ()

    def matches(self, ip: Optional[Address]) -> bool:
        if ip is None or ip.version != self.cidr.version or ip not in self.cidr:
            return False
        return not any(ip in e for e in self.excepts)

    def intervals(self) -> tuple[int, tuple[tuple[int, int], ...]]:
        """(IP version, sorted inclusive integer intervals of the addresses this block matches)."""
        spans = [(int(self.cidr.network_address), int(self.cidr.broadcast_address))]
        for e in sorted(self.excepts):
            lo, hi = int(e.network_address), int(e.broadcast_address)
            spans = [piece for s in spans for piece in _subtract(s, lo, hi)]
        return self.cidr.version, tuple(spans)

    def describe(self) -> str:
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(str(e) for e in self.excepts)}"


_FAMILY_SIZE = {4: 1 << 32, 6: 1 << 128}


def covered_families(blocks) -> frozenset[int]:
    """The IP versions (4, 6) every address of which some block of ``blocks`` matches."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for block in blocks:
        version, pieces = block.intervals()
        spans.setdefault(version, []).extend(pieces)
    covered = set()
    for version, pieces in spans.items():
        reach = 0  # the next address not yet covered
        for lo, hi in sorted(pieces):
            if lo > reach:
                break
            reach = max(reach, hi + 1)
        if reach >= _FAMILY_SIZE[version]:
            covered.add(version)
    return frozenset(covered)


def _subtract(span: tuple[int, int], lo: int, hi: int) -> list[tuple[int, int]]:
    a, b = span
    if hi < a or lo > b:
        return [span]
    pieces = []
    if a < lo:
        pieces.append((a, lo - 1))
    if hi < b:
        pieces.append((hi + 1, b))
    return pieces


def parse_network(raw: Any, at: Location) -> Network:
    if not isinstance(raw, str):
        raise at.error(f"expected a CIDR string, got {kind_of(raw)}")
    if "/" not in raw:
        raise at.error(f"{raw!r} is not a CIDR (it needs a /prefix length)")
    try:
        network = ipaddress.ip_network(raw.strip(), strict=False)
    except ValueError:
        raise at.error(f"{raw!r} is not a valid IPv4 or IPv6 CIDR") from None
    if getattr(network.network_address, "scope_id", None):
        raise at.error(f"{raw!r} is not a valid IPv4 or IPv6 CIDR (no %zone allowed)")
    return unmapped(network)


def unmapped(network: Network) -> Network:
    """The IPv4 network an IPv4-mapped IPv6 network (inside ::ffff:0:0/96) stands for; others as they are."""
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is None or network.prefixlen < 96:
        return network
    return ipaddress.IPv4Network((mapped, network.prefixlen - 96))


def parse_ip(raw: Any, at: Location) -> Address:
    if not isinstance(raw, str):
        raise at.error(f"expected an IP address string, got {kind_of(raw)}")
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        raise at.error(f"{raw!r} is not a valid IPv4 or IPv6 address") from None
    if getattr(address, "scope_id", None):  # fe80::1%eth0: a zone is local to one host, no pod IP
        raise at.error(f"{raw!r} is not a valid IPv4 or IPv6 address (no %zone allowed)")
    return address


def parse_ip_block(raw: Any, at: Location) -> IPBlock:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with cidr and except, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"cidr", "except"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field of an ipBlock")
    if raw.get("cidr") is None:
        raise at.key("cidr").error("an ipBlock needs a cidr")
    cidr = parse_network(raw["cidr"], at.key("cidr"))
    excepts_raw = raw.get("except") or []
    if not isinstance(excepts_raw, list):
        raise at.key("except").error(f"expected a list of CIDRs, got {kind_of(excepts_raw)}")
    excepts = []
    for i, item in enumerate(excepts_raw):
        where = at.key("except").index(i)
        e = parse_network(item, where)
        if e.version != cidr.version:
            raise where.error(f"{item} is IPv{e.version} but cidr {raw['cidr']} is IPv{cidr.version}")
        if not e.subnet_of(cidr):
            raise where.error(f"{item} is not inside cidr {raw['cidr']}")
        if e.prefixlen <= cidr.prefixlen:
            raise where.error(f"{item} is not strictly inside cidr {raw['cidr']} (it excepts all of it)")
        excepts.append(e)
    return IPBlock(cidr, tuple(excepts))
