"""Sets of IP addresses as sorted, disjoint integer intervals, one list per IP version.

The egress allowlist has to answer "does this ipBlock, minus its excepts, lie inside the allowed
CIDRs?" and "do these blocks, together, open the whole internet?" - whether a block is written as
0.0.0.0/0 or as 0.0.0.0/1 plus 128.0.0.0/1. Interval arithmetic answers both exactly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from netguard.cidr import unmapped

Interval = tuple[int, int]  # inclusive


@dataclass(frozen=True)
class AddressSet:
    v4: tuple[Interval, ...] = ()
    v6: tuple[Interval, ...] = ()

    @staticmethod
    def of(cidrs: Iterable[str]) -> "AddressSet":
        """The union of CIDRs; raises ValueError naming the first one that is not a CIDR."""
        result = AddressSet()
        for cidr in cidrs:
            result = result | AddressSet.cidr(cidr)
        return result

    @staticmethod
    def cidr(cidr: str) -> "AddressSet":
        network = unmapped(ipaddress.ip_network(str(cidr).strip(), strict=False))
        interval = ((int(network.network_address), int(network.broadcast_address)),)
        return AddressSet(v4=interval) if network.version == 4 else AddressSet(v6=interval)

    @staticmethod
    def of_intervals(version: int, intervals: Iterable[Interval]) -> "AddressSet":
        """Addresses of one IP version as intervals, e.g. an engine IPBlock's `intervals()`."""
        spans = _union(tuple(intervals))
        return AddressSet(v4=spans) if version == 4 else AddressSet(v6=spans)

    def __or__(self, other: "AddressSet") -> "AddressSet":
        return AddressSet(_union(self.v4 + other.v4), _union(self.v6 + other.v6))

    def __sub__(self, other: "AddressSet") -> "AddressSet":
        return AddressSet(_subtract(self.v4, other.v4), _subtract(self.v6, other.v6))

    def __le__(self, other: "AddressSet") -> bool:
        return not (self - other)

    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    def covers_every_address(self, version: int) -> bool:
        """True when every address of IP version 4 or 6 is in the set: that internet is open."""
        return self.v4 == ((0, _V4_MAX),) if version == 4 else self.v6 == ((0, _V6_MAX),)


_V4_MAX = 2**32 - 1
_V6_MAX = 2**128 - 1
EVERYWHERE = AddressSet(v4=((0, _V4_MAX),), v6=((0, _V6_MAX),))


def _union(intervals: tuple[Interval, ...]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _subtract(intervals: tuple[Interval, ...], removed: tuple[Interval, ...]) -> tuple[Interval, ...]:
    result: list[Interval] = []
    for low, high in intervals:
        for r_low, r_high in removed:
            if r_high < low or r_low > high:
                continue
            if r_low > low:
                result.append((low, r_low - 1))
            low = r_high + 1
            if low > high:
                break
        if low <= high:
            result.append((low, high))
    return tuple(result)
