"""Equivalence classes of endpoints: endpoints that no selector, ipBlock or port can tell apart.

Two endpoints are in one class when they share namespace, pod labels, container ports, IP,
ServiceAccount (a mesh principal tells service accounts apart), being external and, for an
external name, the name. Every matcher answers the same for both, so the matrix is computed once per
class pair and then expanded to endpoint pairs. Classes are numbered so that the classes with an
IP come first, sorted by (IP family, address): an IP range is then a contiguous run of class
numbers, which makes an ipBlock a handful of bit masks.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass
from typing import Mapping, Sequence

from .model import Cluster, Endpoint


@dataclass(frozen=True)
class EndpointClasses:
    members: tuple[tuple[Endpoint, ...], ...]  # class number -> its endpoints, sorted by id
    class_of: Mapping[str, int]  # endpoint id -> class number
    ip_keys: Mapping[int, tuple[int, ...]]  # IP version -> sorted addresses (as ints) of IP classes
    ip_first: Mapping[int, int]  # IP version -> class number of its first IP class

    def __len__(self) -> int:
        return len(self.members)

    def representative(self, number: int) -> Endpoint:
        return self.members[number][0]

    def ip_range_bits(self, version: int, lo: int, hi: int) -> int:
        """The bitset of the IP classes whose address lies in lo..hi (inclusive)."""
        keys = self.ip_keys.get(version, ())
        i, j = bisect.bisect_left(keys, lo), bisect.bisect_right(keys, hi)
        if i >= j:
            return 0
        return ((1 << (j - i)) - 1) << (self.ip_first[version] + i)


def group_endpoints(cluster: Cluster) -> EndpointClasses:
    groups: dict[tuple, list[Endpoint]] = {}
    for e in cluster.endpoints:
        groups.setdefault(_key(e), []).append(e)
    order = sorted(groups, key=_order)
    members = tuple(tuple(sorted(groups[k], key=lambda e: e.id)) for k in order)
    class_of = {e.id: n for n, group in enumerate(members) for e in group}
    ip_keys: dict[int, list[int]] = {}
    ip_first: dict[int, int] = {}
    for n, group in enumerate(members):
        address = group[0].address
        if address is None:
            continue
        ip_first.setdefault(address.version, n)
        ip_keys.setdefault(address.version, []).append(int(address))
    return EndpointClasses(
        members, class_of, {v: tuple(k) for v, k in ip_keys.items()}, ip_first
    )


def _key(e: Endpoint) -> tuple:
    # An external name is its own class: domain rules tell names apart.
    return (e.external, e.namespace, tuple(sorted(e.labels.items())), e.ports, e.ip, e.service_account or "",
            e.domain or "")


def _order(key: tuple) -> tuple:
    external, namespace, labels, container_ports, ip, account, domain = key
    ports = tuple((p.protocol, p.port, p.name or "") for p in container_ports)
    if ip is None:
        return (1, 0, 0, namespace, labels, external, ports, account, domain)
    address = ipaddress.ip_address(ip)
    return (0, address.version, int(address), namespace, labels, external, ports, account)


def iter_bits(bits: int) -> Sequence[int]:
    """The positions of the set bits of ``bits``, ascending."""
    text = format(bits, "b")[::-1]
    positions = []
    i = text.find("1")
    while i >= 0:
        positions.append(i)
        i = text.find("1", i + 1)
    return positions
