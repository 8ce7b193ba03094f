"""The mesh's verdict on one connection, with the policies and rules that decided it.

For a destination in the mesh, a port its proxy takes in (capture.py) and TCP (Istio's proxies
carry TCP only), in Istio's order:
1. mTLS: a meshed source speaks mutual TLS unless the destination port is DISABLE (sidecar);
   STRICT rejects plaintext;
2. CUSTOM policies whose rules match (read for DENY): the external authorizer is not modelled,
   so the connection fails closed;
3. DENY policies whose rules match: denied;
4. no ALLOW policy selects the destination: allowed; one of their rules matches: allowed;
   otherwise denied (an ALLOW policy without rules admits nothing).
AUDIT policies, dry-run policies (``istio.io/dry-run``) and policies bound by targetRefs (gateways,
waypoints) decide nothing here; they are listed as not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..model import Cluster, Endpoint
from .capture import InboundCapture, inbound_capture
from .membership import SIDECAR, dataplane, principal
from .model import (
    ALLOW, AUDIT, CUSTOM, DENY, DISABLE, ROOT_NAMESPACE, STRICT, TRUST_DOMAIN, AuthorizationPolicy,
    PeerAuthentication,
)
from .mtls import MtlsMode, MtlsProfile, mtls_profile
from .rules import ALLOW_READING, DENY_READING, Connection, rule_matches

MESH_PROTOCOL = "TCP"


@dataclass(frozen=True)
class Decision:
    """A policy rule that decided: (policy id, action, rule index from 1, rule description)."""

    policy_id: str
    action: str
    rule_index: int
    description: str


@dataclass(frozen=True)
class MeshVerdict:
    source: str
    destination: str
    port: int
    protocol: str
    applies: bool  # the destination is in the mesh and the protocol is one its proxies carry
    allowed: bool
    reason: str  # one sentence a reviewer can act on
    dataplane: Optional[str] = None  # the destination's: sidecar, ambient or None
    source_dataplane: Optional[str] = None
    mtls: Optional[MtlsMode] = None
    encrypted: bool = False  # the connection is mutual TLS
    decided_by: tuple[Decision, ...] = ()
    notes: tuple[str, ...] = ()  # what was not modelled, and how it was read

    def to_dict(self) -> dict:
        return {
            "applies": self.applies,
            "allowed": self.allowed,
            "encrypted": self.encrypted,
            "dataplane": self.dataplane,
            "source_dataplane": self.source_dataplane,
            "mtls": None if self.mtls is None else self.mtls.mode,
            "peer_authentication": None if self.mtls is None else self.mtls.policy_id,
            "reason": self.reason,
            "decided_by": [
                {"policy": d.policy_id, "action": d.action, "rule": d.rule_index, "description": d.description}
                for d in self.decided_by
            ],
            "not_modelled": list(self.notes),
        }

    def lines(self) -> list[str]:
        verdict = "allowed" if self.allowed else "denied"
        transport = "mutual TLS" if self.encrypted else "plaintext"
        head = f"mesh: {verdict}, {transport}: {self.reason}"
        return [head, *(f"  not modelled: {n}" for n in self.notes)]


class MeshIndex:
    """The mesh policies of a cluster, indexed by namespace; per-endpoint answers are cached."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        pas: dict[str, list[PeerAuthentication]] = {}
        for p in cluster.mesh.peer_authentications:
            pas.setdefault(p.namespace, []).append(p)
        aps: dict[str, list[AuthorizationPolicy]] = {}
        for a in cluster.mesh.authorization_policies:
            aps.setdefault(a.namespace, []).append(a)
        self._pas = pas
        self._aps = aps
        self._profiles: dict[str, MtlsProfile] = {}
        self._captures: dict[str, InboundCapture] = {}

    def dataplane(self, endpoint: Endpoint) -> Optional[str]:
        return dataplane(endpoint, self.cluster.namespace_labels(endpoint))

    def capture(self, endpoint: Endpoint) -> InboundCapture:
        """The inbound ports the endpoint's proxy takes in."""
        if endpoint.id not in self._captures:
            self._captures[endpoint.id] = inbound_capture(endpoint.annotations, self.dataplane(endpoint))
        return self._captures[endpoint.id]

    def profile(self, endpoint: Endpoint) -> MtlsProfile:
        if endpoint.id not in self._profiles:
            policies = self._pas.get(endpoint.namespace, [])
            if endpoint.namespace != ROOT_NAMESPACE:
                policies = policies + self._pas.get(ROOT_NAMESPACE, [])
            self._profiles[endpoint.id] = mtls_profile(policies, endpoint, self.dataplane(endpoint))
        return self._profiles[endpoint.id]

    def selecting(self, endpoint: Endpoint) -> tuple[AuthorizationPolicy, ...]:
        """Every AuthorizationPolicy whose scope and selector take in the endpoint."""
        candidates = list(self._aps.get(endpoint.namespace, ()))
        if endpoint.namespace != ROOT_NAMESPACE:
            candidates += self._aps.get(ROOT_NAMESPACE, ())
        return tuple(a for a in candidates if a.selector.matches(endpoint.labels))


def enforced(policy: AuthorizationPolicy) -> bool:
    return policy.action != AUDIT and not policy.dry_run and not policy.target_refs


def not_modelled(policy: AuthorizationPolicy) -> Optional[str]:
    if policy.target_refs:
        return f"AuthorizationPolicy {policy.id} is bound by targetRefs to a gateway or waypoint, which is not modelled"
    if policy.dry_run:
        return f"AuthorizationPolicy {policy.id} is a dry run (istio.io/dry-run) and enforces nothing"
    if policy.action == AUDIT:
        return f"AuthorizationPolicy {policy.id} (AUDIT) only marks requests for audit; it decides nothing"
    return None


def connection(src: Endpoint, port: int, encrypted: bool) -> Connection:
    if not encrypted:
        return Connection(None, None, None, None, src.address, port)
    return Connection(
        principal(src), src.namespace, (src.namespace, src.service_account or ""), TRUST_DOMAIN, src.address, port,
    )


def evaluate_mesh(index: MeshIndex, src: Endpoint, dst: Endpoint, port: int, protocol: str) -> MeshVerdict:
    def verdict(allowed: bool, reason: str, **more) -> MeshVerdict:
        return MeshVerdict(src.id, dst.id, port, protocol, True, allowed, reason, **more)

    where = index.dataplane(dst)
    if where is None:
        why = "outside the cluster" if dst.external else "not in the mesh (no injection or ambient label)"
        return MeshVerdict(src.id, dst.id, port, protocol, False, True, f"{dst.id} is {why}: no mesh policy applies")
    if protocol != MESH_PROTOCOL:
        return MeshVerdict(
            src.id, dst.id, port, protocol, False, True,
            f"Istio's proxies carry TCP only: {protocol} reaches {dst.id} unauthenticated", where,
        )
    bypass = index.capture(dst).bypass(port)
    if bypass is not None:
        return MeshVerdict(
            src.id, dst.id, port, protocol, False, True,
            f"{bypass} takes port {port} of {dst.id} out of its {where} proxy: plaintext, no mesh policy applies", where,
        )
    source_where = index.dataplane(src)
    mode = index.profile(dst).at(port)
    encrypted = source_where is not None and not (mode.mode == DISABLE and where == SIDECAR)
    base = dict(dataplane=where, source_dataplane=source_where, mtls=mode, encrypted=encrypted)
    notes = [mode.note] if mode.note else []
    policies = index.selecting(dst)
    notes += [n for n in (not_modelled(p) for p in policies) if n]
    policies = tuple(p for p in policies if enforced(p))
    if mode.mode == STRICT and not encrypted:
        by = f"PeerAuthentication {mode.policy_id}" if mode.policy_id else "STRICT mTLS"
        return verdict(False, f"{by} requires mutual TLS on {port}/TCP and {src.id} is not in the mesh", **base,
                       notes=tuple(notes))
    conn = connection(src, port, encrypted)
    for action, reading in ((CUSTOM, DENY_READING), (DENY, DENY_READING)):
        for p in policies:
            if p.action != action:
                continue
            for rule in p.rules:
                if rule_matches(rule, conn, reading):
                    notes += _dropped(p, rule)
                    decision = Decision(p.id, action, rule.index, rule.describe())
                    reason = (
                        f"AuthorizationPolicy {p.id} (CUSTOM, provider {p.provider}) rule {rule.index} matches; "
                        "its external authorizer is not modelled, so the connection fails closed"
                        if action == CUSTOM
                        else f"AuthorizationPolicy {p.id} (DENY) rule {rule.index} matches {src.id} on {port}/TCP"
                    )
                    return verdict(False, reason, **base, decided_by=(decision,), notes=tuple(notes))
    allows = [p for p in policies if p.action == ALLOW]
    if not allows:
        return verdict(True, f"no ALLOW AuthorizationPolicy selects {dst.id}", **base, notes=tuple(notes))
    for p in allows:
        for rule in p.rules:
            if rule.unmodelled:
                notes.append(
                    f"AuthorizationPolicy {p.id} rule {rule.index} names {', '.join(rule.unmodelled)}: "
                    "read as admitting no connection (as Istio reads it for TCP)"
                )
    for p in allows:
        for rule in p.rules:
            if rule_matches(rule, conn, ALLOW_READING):
                decision = Decision(p.id, ALLOW, rule.index, rule.describe())
                return verdict(
                    True, f"AuthorizationPolicy {p.id} (ALLOW) rule {rule.index} admits {src.id} on {port}/TCP",
                    **base, decided_by=(decision,), notes=tuple(notes),
                )
    names = ", ".join(p.id for p in allows)
    identity = f"as {principal(src)}" if encrypted else "in plaintext (no identity)"
    reason = f"ALLOW AuthorizationPolicy {names} selects {dst.id}; no rule admits {src.id} {identity} on {port}/TCP"
    return verdict(False, reason, **base, notes=tuple(notes))


def _dropped(policy: AuthorizationPolicy, rule) -> list[str]:
    if not rule.unmodelled:
        return []
    return [
        f"AuthorizationPolicy {policy.id} rule {rule.index}: {', '.join(rule.unmodelled)} dropped, "
        f"so the {policy.action} covers every request of the connection"
    ]


__all__ = ["MeshIndex", "MeshVerdict", "Decision", "evaluate_mesh", "enforced", "not_modelled", "connection"]
