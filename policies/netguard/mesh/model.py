"""Istio's security policies after validation (security.istio.io/v1 and v1beta1), as frozen values.

- ``PeerAuthentication``: the mTLS mode of the selected workloads, and per container port.
- ``AuthorizationPolicy``: an action and rules; a rule is ``from`` entries (sources), ``to``
  entries (operations) and ``when`` conditions, each a conjunction of ``Check``s.

A ``Check`` is one field of the API (``principals``, ``notPorts``, a ``when`` key): an attribute
of the connection, the patterns it admits, and whether it is negated (``not*``, ``notValues``).
Fields the engine does not model (HTTP methods, paths, hosts, request principals, remote IPs,
most ``when`` keys) are kept by name in ``unmodelled``: ``rules.py`` reads them fail-closed.
Nothing here interprets precedence yet; that is ``mtls.py`` and ``evaluate.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Union

from ..cidr import IPBlock
from .strings import IstioString

ROOT_NAMESPACE = "istio-system"  # meshConfig.rootNamespace's default: its policies apply mesh-wide
TRUST_DOMAIN = "cluster.local"  # meshConfig.trustDomain's default: principals are <td>/ns/<ns>/sa/<sa>
HBONE_PORT = 15008  # ambient mode's tunnel: the datapath sees this port between ambient pods

UNSET, DISABLE, PERMISSIVE, STRICT = "UNSET", "DISABLE", "PERMISSIVE", "STRICT"
MTLS_MODES = (UNSET, DISABLE, PERMISSIVE, STRICT)
ALLOW, DENY, AUDIT, CUSTOM = "ALLOW", "DENY", "AUDIT", "CUSTOM"
ACTIONS = (ALLOW, DENY, AUDIT, CUSTOM)

# The attributes of a connection a Check can ask about.
PRINCIPAL = "principal"  # <trust domain>/ns/<namespace>/sa/<service account>; None in plaintext
NAMESPACE = "namespace"  # the source's namespace from its certificate; None in plaintext
SERVICE_ACCOUNT = "service-account"  # (namespace, name) from the certificate; None in plaintext
TRUST_DOMAIN_ATTR = "trust-domain"
SOURCE_IP = "source-ip"  # the source's address; unknown for a pod without status.podIP
PORT = "port"  # the destination's container port
IDENTITY_ATTRIBUTES = frozenset({PRINCIPAL, NAMESPACE, SERVICE_ACCOUNT, TRUST_DOMAIN_ATTR})

Pattern = Union[IstioString, tuple[str, str], IPBlock, int]


@dataclass(frozen=True)
class WorkloadSelector:
    """``selector.matchLabels``: empty selects every workload of the policy's scope."""

    match_labels: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels)

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.match_labels) or "every workload"


@dataclass(frozen=True)
class PeerAuthentication:
    namespace: str
    name: str
    selector: WorkloadSelector  # empty: namespace-wide (mesh-wide in the root namespace)
    mode: str  # one of MTLS_MODES; UNSET inherits
    port_modes: tuple[tuple[int, str], ...] = ()  # container port -> mode (only with a selector)
    source: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Check:
    """One field: does the connection's ``attribute`` match one of ``patterns`` (negated: none)?"""

    field: str  # as written in the manifest: "principals", "notPorts", "when[source.ip]"
    attribute: str
    patterns: tuple[Pattern, ...]
    negated: bool = False

    def describe(self) -> str:
        shown = ",".join(_pattern_text(p) for p in self.patterns)
        return f"{self.field} [{shown}]"


@dataclass(frozen=True)
class MeshRule:
    """``froms``/``tos`` None: any source / any operation. Each entry is a conjunction of Checks."""

    index: int  # from 1, as a reviewer counts
    froms: Optional[tuple[tuple[Check, ...], ...]]
    tos: Optional[tuple[tuple[Check, ...], ...]]
    when: tuple[Check, ...] = ()
    unmodelled: tuple[str, ...] = ()  # field names the engine cannot evaluate (L7, remote IPs)

    def describe(self) -> str:
        parts = []
        if self.froms is not None:
            parts.append("from " + " or ".join(_entry(e) for e in self.froms))
        if self.tos is not None:
            parts.append("to " + " or ".join(_entry(e) for e in self.tos))
        if self.when:
            parts.append("when " + _entry(self.when))
        return "; ".join(parts) or "any connection"


@dataclass(frozen=True)
class AuthorizationPolicy:
    namespace: str
    name: str
    action: str  # one of ACTIONS (ALLOW when absent)
    selector: WorkloadSelector
    rules: tuple[MeshRule, ...] = ()
    target_refs: bool = False  # bound to gateways/waypoints by targetRef(s), not to workloads
    dry_run: bool = False  # annotation istio.io/dry-run: "true": evaluated in shadow, never enforced
    provider: Optional[str] = None  # CUSTOM's extension provider
    source: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class MeshPolicies:
    peer_authentications: tuple[PeerAuthentication, ...] = ()
    authorization_policies: tuple[AuthorizationPolicy, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.peer_authentications or self.authorization_policies)


def _entry(checks: tuple[Check, ...]) -> str:
    return " and ".join(c.describe() for c in checks) or "anything"


def _pattern_text(p: Pattern) -> str:
    if isinstance(p, IstioString):
        return p.pattern
    if isinstance(p, tuple):
        return "/".join(p)
    if isinstance(p, IPBlock):
        return str(p.cidr)
    return str(p)
