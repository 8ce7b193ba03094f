"""The report model: endpoints, allowed connections with their port sets and reasons, findings.

Values only; built by ``build.py``, read by the renderers. Port sets are ``{protocol: PortSet}``
with only non-empty protocols. A rule or a side is shared by every endpoint pair of one class pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from ..ports import PROTOCOLS, PortSet

PortsByProtocol = Mapping[str, PortSet]


@dataclass(frozen=True)
class EndpointInfo:
    id: str
    namespace: str
    name: str
    kind: str  # Pod, Deployment, ..., External
    external: bool = False
    internet: bool = False  # external, with addresses outside the private ranges
    role: str = ""  # netguard.io/role
    data_class: str = ""  # netguard.io/data-class
    isolated_ingress: bool = False
    isolated_egress: bool = False


@dataclass(frozen=True)
class AdmittingRule:
    """A rule that admits the connection on one side, on the ports given (within the allowed ones)."""

    kind: str  # the policy kind: NetworkPolicy, ClusterNetworkPolicy, ... (the enforcement point's)
    policy: str  # namespace/name, or Kind/name for a cluster-scoped policy
    layer: str  # netguard.io/layer, "" when unlabelled
    rule: int  # from 1 in the policy's ingress or egress list
    description: str
    ports: PortsByProtocol
    tier: str = ""  # Admin or Baseline for a cluster tier's rule


@dataclass(frozen=True)
class Side:
    direction: str  # Egress (of the source) or Ingress (of the destination)
    isolated: bool
    external: bool
    selecting: tuple[str, ...]
    rules: tuple[AdmittingRule, ...]
    default: PortsByProtocol = field(default_factory=dict)  # allowed by the API's default: no rule decides them


@dataclass(frozen=True)
class Connection:
    source: str
    destination: str
    ports: PortsByProtocol
    egress: Side
    ingress: Side
    mesh: Optional[Side] = None  # the destination's mesh (Istio), when mesh policies exist


@dataclass(frozen=True)
class PolicyInfo:
    kind: str
    id: str
    layer: str
    tier: str = ""


@dataclass(frozen=True)
class Finding:
    severity: str  # high, medium, low
    kind: str  # not-isolated, allow-all-rule, internet-egress, internet-ingress, every-namespace
    subject: str  # an endpoint id or a policy id
    message: str


@dataclass(frozen=True)
class Report:
    sources: tuple[str, ...]
    namespaces: tuple[str, ...]
    endpoints: tuple[EndpointInfo, ...]
    policies: tuple[PolicyInfo, ...]
    connections: tuple[Connection, ...]
    findings: tuple[Finding, ...]
    by_id: Mapping[str, EndpointInfo] = field(default_factory=dict, compare=False, repr=False)

    def endpoint(self, endpoint_id: str) -> Optional[EndpointInfo]:
        return self.by_id.get(endpoint_id)


def ports_text(ports: PortsByProtocol) -> str:
    """``TCP 8000, 9090; UDP 53``; ``all`` for every port of every protocol, ``TCP all`` for one."""
    if set(ports) == set(PROTOCOLS) and all(ports[p].is_everything() for p in PROTOCOLS):
        return "all"
    parts = []
    for protocol in PROTOCOLS:
        if protocol in ports and not ports[protocol].is_empty():
            parts.append(f"{protocol} {spans_text(ports[protocol], ', ')}")
    return "; ".join(parts) if parts else "none"


def spans_text(ports: PortSet, separator: str) -> str:
    if ports.is_everything():
        return "all"
    return separator.join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports.ranges())


def ports_json(ports: PortsByProtocol) -> dict[str, list[list[int]]]:
    return {p: [[lo, hi] for lo, hi in ports[p].ranges()] for p in PROTOCOLS if p in ports and not ports[p].is_empty()}
