"""A Cilium policy spec after parsing: whom it selects, its allow and deny rules, compiled to matchers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from ..model import EGRESS, INGRESS
from ..peers import RuleRef
from ..ports import PortMatcher, describe_ports
from .peers import CiliumEndpoints

CILIUM_API = "cilium.io/v2"
CILIUM_NETWORK_POLICY = "CiliumNetworkPolicy"
CILIUM_CLUSTERWIDE_NETWORK_POLICY = "CiliumClusterwideNetworkPolicy"
KINDS = (CILIUM_NETWORK_POLICY, CILIUM_CLUSTERWIDE_NETWORK_POLICY)


@dataclass(frozen=True)
class CiliumRule:
    """One allow or deny rule; ``ports`` None: every port of every protocol."""

    origin: RuleRef
    peers: tuple
    ports: Optional[tuple[PortMatcher, ...]]
    note: str = ""  # what the engine does not model about this rule (L7)

    def describe(self) -> str:
        word = "from" if self.origin.direction == INGRESS else "to"
        peers = " or ".join(p.describe() for p in self.peers) or "no peer"
        text = f"{word} {peers} on {describe_ports(self.ports)}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class CiliumPolicy:
    """One spec of a CiliumNetworkPolicy (``namespace`` set) or CiliumClusterwideNetworkPolicy."""

    kind: str
    namespace: Optional[str]
    name: str
    target: CiliumEndpoints
    allow: dict = field(hash=False)  # direction -> tuple of allow rules
    deny: dict = field(hash=False)  # direction -> tuple of deny rules
    default_deny: frozenset[str] = frozenset()
    spec: str = "spec"  # "spec" or "specs[i]": which spec of the manifest
    source: str = field(default="", compare=False)
    labels: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)  # metadata.labels

    @property
    def id(self) -> str:
        name = self.name if self.namespace is None else f"{self.namespace}/{self.name}"
        return name if self.spec == "spec" else f"{name} {self.spec}"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def policy(self) -> "CiliumPolicy":  # read as CompiledPolicy.policy is (namespace, name, ...)
        return self

    def rules(self, direction: str) -> Optional[tuple[CiliumRule, ...]]:
        """The allow rules, or None when the spec says nothing about ``direction``."""
        if self.allow.get(direction) or self.deny.get(direction) or direction in self.default_deny:
            return self.allow.get(direction, ())
        return None

    @property
    def ingress(self) -> Optional[tuple[CiliumRule, ...]]:
        return self.rules(INGRESS)

    @property
    def egress(self) -> Optional[tuple[CiliumRule, ...]]:
        return self.rules(EGRESS)

    def isolates(self, direction: str) -> bool:
        return direction in self.default_deny

    def denies(self, direction: str) -> tuple[CiliumRule, ...]:
        return self.deny.get(direction, ())

    def matchers(self) -> tuple:
        """The target and every rule, as plain values (what folding owned pods reads selectors from)."""
        return (self.target, *(r for rules in (*self.allow.values(), *self.deny.values()) for r in rules))
