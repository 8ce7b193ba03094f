"""The address space outside the cluster, cut into ranges that every policy treats alike.

Reports and diffs must say what reaches the internet even when no ``--external`` address is given.
Every ipBlock (cidr minus excepts) and every cluster tier's network is a union of address intervals; cutting each IP family's
whole space at every interval's ends gives ranges inside which no ipBlock tells two addresses
apart (np-guard's netpol-analyzer shows the same ranges, as ``0.0.0.0-9.255.255.255``). Each range
becomes one external endpoint ``external/<first>-<last>`` whose address is the first one in the
range that no pod and no given external uses. IPv6 ranges appear only when some ipBlock is IPv6.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Iterable, Iterator

from .cidr import IPBlock
from .model import EXTERNAL_NAMESPACE, Cluster, Endpoint

_SPACE = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


def address_ranges(clusters: Iterable[Cluster]) -> list[tuple[int, int, int]]:
    """(IP version, first, last) of each range, over the ipBlocks of all the clusters' policies."""
    cuts: dict[int, set[int]] = {4: {0, _SPACE[4] + 1}}
    for block in _blocks(clusters):
        version, spans = block.intervals()
        points = cuts.setdefault(version, {0, _SPACE[version] + 1})
        for lo, hi in spans:
            points |= {lo, hi + 1}
    out = []
    for version in sorted(cuts):
        points = sorted(cuts[version])
        out.extend((version, lo, hi - 1) for lo, hi in zip(points, points[1:]))
    return out


def _blocks(clusters: Iterable[Cluster]) -> Iterator[IPBlock]:
    """Every address block a rule names: NetworkPolicy ipBlocks, the cluster tiers' networks."""
    for cluster in clusters:
        for policy in cluster.policies:
            for rule in (*policy.ingress, *policy.egress):
                yield from (peer.ip_block for peer in rule.peers or () if peer.ip_block is not None)
        for tier_policy in cluster.tier_policies:
            for tier_rule in (*tier_policy.ingress, *tier_policy.egress):
                for tier_peer in tier_rule.peers:
                    yield from tier_peer.networks or ()


def range_name(version: int, first: int, last: int) -> str:
    a, b = ipaddress.ip_address(first), ipaddress.ip_address(last)
    return str(a) if first == last else f"{a}-{b}"


def with_internet(cluster: Cluster, ranges: list[tuple[int, int, int]]) -> Cluster:
    """The cluster with one external endpoint per address range (ranges whose every address is taken are left out)."""
    taken = {int(e.address) for e in cluster.endpoints if e.address is not None}
    added = []
    for version, first, last in ranges:
        address = first
        while address in taken and address <= last:
            address += 1
        if address > last:
            continue
        name = range_name(version, first, last)
        added.append(Endpoint(
            id=f"{EXTERNAL_NAMESPACE}/{name}", namespace=EXTERNAL_NAMESPACE, name=name, kind="External",
            ip=str(ipaddress.ip_address(address)), external=True, source="address range",
        ))
    known = {e.id for e in cluster.endpoints}
    added = [e for e in added if e.id not in known]  # a --external /32 range keeps its own endpoint
    return dataclasses.replace(cluster, endpoints=tuple(sorted((*cluster.endpoints, *added), key=lambda e: e.id)))


def is_range(endpoint: Endpoint) -> bool:
    return endpoint.external and endpoint.source == "address range"


# Addresses that are not the internet: private, CGNAT, loopback, link-local (cloud metadata), unique-local.
_PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128",
))


def span(endpoint: Endpoint) -> tuple[int, int, int]:
    """(IP version, first, last) of an external endpoint: its range, or its one address."""
    first, _, last = endpoint.name.partition("-")
    a = ipaddress.ip_address(first)
    return a.version, int(a), int(ipaddress.ip_address(last)) if last else int(a)


def is_internet(endpoint: Endpoint) -> bool:
    """An external endpoint with at least one address outside the private, CGNAT and link-local ranges."""
    if not endpoint.external or endpoint.address is None:
        return False
    version, first, last = span(endpoint) if is_range(endpoint) else (
        endpoint.address.version, int(endpoint.address), int(endpoint.address))
    covered = sorted(
        (int(n.network_address), int(n.broadcast_address)) for n in _PRIVATE if n.version == version
    )
    at = first
    for lo, hi in covered:
        if lo > at:
            break
        at = max(at, hi + 1)
    return at <= last
