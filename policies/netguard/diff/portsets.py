"""Differences of port sets per protocol: what one side has that the other has not."""

from __future__ import annotations

from ..ports import MAX_PORT, MIN_PORT, PROTOCOLS, PortSet
from ..report.model import PortsByProtocol


def minus(a: PortSet, b: PortSet) -> PortSet:
    gaps, at = [], MIN_PORT
    for lo, hi in b.ranges():
        if lo > at:
            gaps.append((at, lo - 1))
        at = hi + 1
    if at <= MAX_PORT:
        gaps.append((at, MAX_PORT))
    return a & PortSet.of(gaps)


def difference(a: PortsByProtocol, b: PortsByProtocol) -> PortsByProtocol:
    out = {}
    for p in PROTOCOLS:
        rest = minus(a.get(p, PortSet()), b.get(p, PortSet()))
        if not rest.is_empty():
            out[p] = rest
    return out


def overlap(a: PortsByProtocol, b: PortsByProtocol) -> PortsByProtocol:
    out = {}
    for p in PROTOCOLS:
        both = a.get(p, PortSet()) & b.get(p, PortSet())
        if not both.is_empty():
            out[p] = both
    return out
