"""Differences of port sets per protocol: what one side has that the other has not."""

from __future__ import annotations

from ..ports import PROTOCOLS, PortSet
from ..report.model import PortsByProtocol


def difference(a: PortsByProtocol, b: PortsByProtocol) -> PortsByProtocol:
    out = {}
    for p in PROTOCOLS:
        rest = a.get(p, PortSet()) - b.get(p, PortSet())
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
