"""The audit: observed connections classified against the manifests' policies.

Classes, for each (source, destination, port, protocol):
- ``observed-allowed``: seen, the policy allows it, and the cluster let it through;
- ``observed-denied``: seen, the policy denies it, and the cluster dropped it (a broken pipeline,
  or an attack);
- ``verdict-mismatch``: the cluster's verdict disagrees with the policy's (forwarded although the
  policy denies, or dropped by a policy although it allows): the cluster does not run these manifests;
- ``unknown-endpoint``: an end the manifests do not know (its verdict is still evaluated from the
  flow's namespace and labels);
- ``unobserved``: allowed but never seen, a candidate to tighten (each declared port of the
  destination, or the allowed range where it declares none).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from dataclasses import dataclass
from typing import Optional, Sequence

from ..analysis import Analyzer
from ..connectivity import class_connections
from ..errors import Location, NetguardInputError
from ..internet import address_ranges, is_range, span, with_internet
from ..loader import external_endpoint, load_paths
from ..model import Endpoint
from .endpoints import EndpointMap
from .observed import Observations, Tally, read_flows

SCHEMA = "netguard.audit/v1"
CLASSES = ("verdict-mismatch", "observed-denied", "unknown-endpoint", "observed-allowed", "unobserved")


@dataclass(frozen=True)
class AuditConnection:
    source: str
    destination: str
    port: int
    protocol: str
    policy: str  # allowed, denied
    klass: str
    tally: Optional[Tally] = None  # None: never observed
    end_port: Optional[int] = None  # an unobserved range's last port
    new: Optional[bool] = None  # with --baseline: not in the earlier audit


@dataclass(frozen=True)
class AuditResult:
    connections: tuple[AuditConnection, ...]
    seen: Observations
    analyzer: Analyzer
    manifest_ids: frozenset[str]  # the endpoints of the manifests and --external
    baseline: Optional[str] = None


def run_audit(paths: Sequence[str], flows: str, externals: Sequence[str] = (),
              baseline: Optional[str] = None) -> AuditResult:
    cluster = load_paths(paths, externals)
    earlier = read_baseline(baseline) if baseline else None
    seen = read_flows(flows)
    endpoints = EndpointMap(cluster, {external_endpoint(x).id for x in externals})
    merged: dict[tuple[str, str, str, int], Tally] = {}
    known: dict[tuple[str, str, str, int], bool] = {}
    extra: dict[str, Endpoint] = {}
    for (src, dst, protocol, port), tally in seen.tallies.items():
        ends = []
        for peer in (src, dst):
            resolved = endpoints.resolve(peer)
            endpoint_id = resolved.id
            if resolved.endpoint is not None:
                if endpoint_id in endpoints.by_id:  # an unknown pod named like a workload
                    endpoint_id = f"{endpoint_id} (pod)"
                    resolved = dataclasses.replace(resolved, id=endpoint_id,
                                                   endpoint=dataclasses.replace(resolved.endpoint, id=endpoint_id))
                extra.setdefault(endpoint_id, resolved.endpoint)
            ends.append(resolved)
        key = (ends[0].id, ends[1].id, protocol, port)
        merged.setdefault(key, Tally()).merge(tally)
        known[key] = ends[0].known and ends[1].known
    full = dataclasses.replace(cluster, endpoints=tuple(sorted((*cluster.endpoints, *extra.values()), key=lambda e: e.id)))
    analyzer = Analyzer(with_internet(full, address_ranges([full])))
    out = []
    for (src, dst, protocol, port), tally in merged.items():
        allowed = analyzer.allowed(src, dst, port, protocol)
        out.append(AuditConnection(
            src, dst, port, protocol, "allowed" if allowed else "denied",
            _klass(allowed, tally, known[(src, dst, protocol, port)]), tally,
            new=None if earlier is None else (src, dst, port, protocol) not in earlier,
        ))
    out.extend(_unobserved(analyzer, merged, set(extra)))
    out.sort(key=lambda c: (c.source, c.destination, c.protocol, c.port))
    manifest_ids = frozenset(e.id for e in cluster.endpoints)
    return AuditResult(tuple(out), seen, analyzer, manifest_ids, baseline)


def _klass(allowed: bool, tally: Tally, known: bool) -> str:
    if not known:
        return "unknown-endpoint"
    if allowed:
        return "verdict-mismatch" if tally.denied else "observed-allowed"
    return "verdict-mismatch" if tally.passed else "observed-denied"


def _unobserved(analyzer: Analyzer, merged: dict, observed_only: set[str]) -> list[AuditConnection]:
    ports_seen: dict[tuple[str, str, str], set[int]] = {}
    external_seen: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for (src, dst, protocol, port) in merged:
        ports_seen.setdefault((src, dst, protocol), set()).add(port)
        endpoint = analyzer.cluster.endpoint(dst)
        if endpoint.external and endpoint.address is not None:
            external_seen.setdefault((src, protocol), []).append((int(endpoint.address), port))
    members = analyzer.classes.members
    out = []
    for grouped in class_connections(analyzer):
        for a in members[grouped.source]:
            if a.external or a.id in observed_only:
                continue
            for b in members[grouped.destination]:
                if b.id == a.id or b.id in observed_only:
                    continue
                for protocol, ports in grouped.ports.items():
                    seen = ports_seen.get((a.id, b.id, protocol), set())
                    declared = sorted({p.port for p in b.ports if p.protocol == protocol and p.port in ports})
                    if declared:
                        out.extend(AuditConnection(a.id, b.id, p, protocol, "allowed", "unobserved")
                                   for p in declared if p not in seen)
                        continue
                    for lo, hi in ports.ranges():
                        if any(lo <= p <= hi for p in seen) or _seen_in_range(b, external_seen.get((a.id, protocol), ()), lo, hi):
                            continue
                        out.append(AuditConnection(a.id, b.id, lo, protocol, "allowed", "unobserved",
                                                   end_port=hi if hi != lo else None))
    return out


def _seen_in_range(destination: Endpoint, seen: Sequence[tuple[int, int]], lo: int, hi: int) -> bool:
    """An address range counts as used when traffic to an address inside it was seen on those ports."""
    if not seen or not is_range(destination):
        return False
    version, first, last = span(destination)
    return any(first <= address <= last and lo <= port <= hi and ipaddress.ip_address(address).version == version
               for address, port in seen)


def read_baseline(path: str) -> frozenset[tuple[str, str, int, str]]:
    at = Location(source=path, field="--baseline")
    try:
        with open(path, encoding="utf-8") as handle:
            earlier = json.load(handle)
    except OSError as error:
        raise at.error(f"cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise at.error(f"not JSON ({error})") from None
    if not isinstance(earlier, dict) or earlier.get("schema") != SCHEMA:
        raise at.error(f"not an audit's JSON (expected \"schema\": \"{SCHEMA}\")")
    connections = earlier.get("connections")
    if not isinstance(connections, list):
        raise at.error("'connections' is not a list")
    keys = set()
    for i, c in enumerate(connections):
        if not isinstance(c, dict) or not all(k in c for k in ("from", "to", "port", "protocol")):
            raise NetguardInputError(f"connections[{i}] lacks from, to, port or protocol", source=path, field="--baseline")
        if c.get("observed"):
            keys.add((c["from"], c["to"], c["port"], c["protocol"]))
    return frozenset(keys)
