"""Why a connection is allowed or denied, phrased for a reviewer.

An ``Explanation`` is built from the two evaluated sides (the source's egress, the destination's
ingress) for one port: which policies select each endpoint, and which of their rules admit the
other end on that port, and, when the mesh is asked too, the mesh's verdict (mesh/evaluate.py).
``decided_by`` names the enforcement point that denied. It reads no manifests and evaluates
nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

from .evaluate import SideVerdict
from .mesh.evaluate import MeshVerdict
from .tiers.explain import explain_tiers


@dataclass(frozen=True)
class SideExplanation:
    direction: str  # "Egress" (of the source) or "Ingress" (of the destination)
    endpoint: str
    peer: str
    isolated: bool
    selecting: tuple[str, ...]  # policy ids that select the endpoint for this direction
    admitting: tuple[tuple[str, int, str], ...]  # (policy id, rule index from 1, rule description)
    external: bool = False  # the endpoint is an external address: never isolated
    # Rules that admit the peer, but on other ports of the protocol: (policy id, rule index, "8080/TCP")
    other_ports: tuple[tuple[str, int, str], ...] = ()
    # The cluster tiers (ClusterNetworkPolicy, AdminNetworkPolicy, ...), when there are tier policies:
    tier_allowed: Optional[bool] = None  # the side's verdict, all tiers considered
    tier_lines: tuple[str, ...] = ()
    tier_decisions: tuple[tuple[str, int, str, str], ...] = ()  # (policy id, rule index, name, action)
    network_policies_decide: bool = True  # the NetworkPolicy tier decided this port
    denying: tuple[tuple[str, int, str], ...] = ()  # Cilium deny rules on this port (policy, rule, description)

    @property
    def allowed(self) -> bool:
        if self.tier_allowed is not None:
            return self.tier_allowed
        return (not self.isolated or bool(self.admitting)) and not self.denying

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "endpoint": self.endpoint,
            "isolated": self.isolated,
            "allowed": self.allowed,
            "selecting": list(self.selecting),
            "admitting": [
                {"policy": p, "rule": i, "description": d} for p, i, d in self.admitting
            ],
            "other_ports": [{"policy": p, "rule": i, "ports": o} for p, i, o in self.other_ports],
            "tiers": [
                {"policy": p, "rule": i, "name": n, "action": a} for p, i, n, a in self.tier_decisions
            ],
            "network_policies_decide": self.network_policies_decide,
            "denying": [{"policy": p, "rule": i, "description": d} for p, i, d in self.denying],
        }

    def lines(self, on: str) -> list[str]:
        word = self.direction.lower()
        if self.external:
            return [
                f"{word} of {self.endpoint}: allowed, not isolated "
                "(outside the cluster: no NetworkPolicy applies to it)"
            ]
        verdict = "allowed" if self.allowed else "denied"
        if self.tier_allowed is not None:
            head = f"{word} of {self.endpoint}: {verdict}"
            if self.network_policies_decide:
                head += f", isolated by {_policies(self.selecting)}"
            nps = [*self._np_lines(word, on), *self._deny_lines(word, on)] if self.network_policies_decide else []
            return [head, *self.tier_lines, *nps]
        if not self.isolated:
            head = f"{word} of {self.endpoint}: {verdict}, not isolated " \
                f"(no NetworkPolicy with policy type {self.direction} selects it)"
            return [head, *self._deny_lines(word, on)]
        return [f"{word} of {self.endpoint}: {verdict}, isolated by {_policies(self.selecting)}",
                *self._np_lines(word, on), *self._deny_lines(word, on)]

    def _deny_lines(self, word: str, on: str) -> list[str]:
        return [
            f"  Cilium policy {policy} selects {self.endpoint}; deny rule {index} denies {self.peer} on {on}, "
            f"whatever any allow says ({word} rule: {description})"
            for policy, index, description in self.denying
        ]

    def _np_lines(self, word: str, on: str) -> list[str]:
        lines = []
        for policy in self.selecting:
            rules = [(i, d) for p, i, d in self.admitting if p == policy]
            if not rules:
                elsewhere = "; ".join(
                    f"rule {i} admits it on {o} only" for p, i, o in self.other_ports if p == policy
                )
                lines.append(
                    f"  NetworkPolicy {policy} selects {self.endpoint}; no {word} rule admits "
                    f"{self.peer} on {on}" + (f" ({elsewhere})" if elsewhere else "")
                )
            for index, description in rules:
                lines.append(
                    f"  NetworkPolicy {policy} selects {self.endpoint}; rule {index} admits "
                    f"{self.peer} on {on} ({word} rule: {description})"
                )
        return lines


@dataclass(frozen=True)
class Explanation:
    source: str
    destination: str
    port: int
    protocol: str
    egress: SideExplanation
    ingress: SideExplanation
    mesh: Optional[MeshVerdict] = None  # None: the mesh was not asked (layer datapath)
    layer: str = "all"  # which enforcement points must allow: datapath, mesh or all
    datapath_port: Optional[int] = None  # the port the datapath sees when it is not ``port`` (HBONE)

    @property
    def datapath_allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def allowed(self) -> bool:
        datapath = self.layer == "mesh" or self.datapath_allowed
        return datapath and (self.mesh is None or self.mesh.allowed)

    @property
    def decided_by(self) -> tuple[str, ...]:
        """The enforcement points that deny: () when allowed, else ("datapath",), ("mesh",) or both."""
        points = []
        if self.layer != "mesh" and not self.datapath_allowed:
            points.append("datapath")
        if self.mesh is not None and not self.mesh.allowed:
            points.append("mesh")
        return tuple(points)

    @staticmethod
    def of(
        egress: SideVerdict, ingress: SideVerdict, port: int, *, mesh: Optional[MeshVerdict] = None,
        layer: str = "all", probe: Optional[int] = None,
    ) -> "Explanation":
        """``port``: the port the datapath sides are read at; ``probe``: the connection's, when different."""
        probe = port if probe is None else probe
        return Explanation(
            egress.endpoint_id, ingress.endpoint_id, probe, egress.protocol,
            _side(egress, port), _side(ingress, port), mesh, layer, port if port != probe else None,
        )

    def to_text(self) -> str:
        on = f"{self.port}/{self.protocol}"
        verdict = "allowed" if self.allowed else "denied"
        lines = [f"{self.source} -> {self.destination} on {on}: {verdict}"]
        if self.layer != "mesh":
            seen = on
            if self.datapath_port is not None:
                seen = f"{self.datapath_port}/{self.protocol}"
                lines.append(f"datapath: both pods are in ambient mode; the CNI sees ztunnel's HBONE tunnel on {seen}")
            lines += [*self.egress.lines(seen), *self.ingress.lines(seen)]
        if self.mesh is not None:
            lines += self.mesh.lines()
        if self.decided_by:
            lines.append(f"denied by: the {' and the '.join(self.decided_by)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "from": self.source,
            "to": self.destination,
            "port": self.port,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "egress": self.egress.to_dict(),
            "ingress": self.ingress.to_dict(),
        }
        out["layer"] = self.layer
        out["decided_by"] = list(self.decided_by)
        out["datapath_port"] = self.datapath_port or self.port
        if self.mesh is not None:
            out["mesh"] = self.mesh.to_dict()
        return out


def _side(verdict: SideVerdict, port: int) -> SideExplanation:
    admitting = tuple(
        (a.policy_id, a.rule_index, a.description) for a in verdict.admitting if port in a.ports
    )
    other_ports = tuple(
        (a.policy_id, a.rule_index, f"{a.ports.describe()}/{verdict.protocol}")
        for a in verdict.admitting
        if port not in a.ports
    )
    side = SideExplanation(
        verdict.direction, verdict.endpoint_id, verdict.peer_id, verdict.isolated,
        verdict.selecting, admitting, verdict.external, other_ports,
        denying=tuple((d.policy_id, d.rule_index, d.description) for d in verdict.denials if port in d.ports),
    )
    if verdict.tiers is None:
        return side
    tiers = explain_tiers(verdict, port)
    return replace(
        side, tier_allowed=tiers.allowed, tier_lines=tiers.lines, tier_decisions=tiers.decisions,
        network_policies_decide=tiers.network_policies_decide,
    )


def _policies(ids: tuple[str, ...]) -> str:
    return ("NetworkPolicy " if len(ids) == 1 else "NetworkPolicies ") + ", ".join(ids)


__all__ = ["Explanation", "SideExplanation"]
