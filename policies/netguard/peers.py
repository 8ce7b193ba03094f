"""Peer matchers: who a rule admits, and whom a policy selects.

A small closed set, named after the API it models:

- ``AnyPeer``: a rule without ``from``/``to`` (or with an empty list): everyone, external
  addresses included.
- ``PodPeer``: pods, as a namespace part AND a pod part.
  Namespace part: ``OwnNamespace`` (a peer without namespaceSelector, and every policy's own
  target) or ``NamespacesByLabel`` (``namespaceSelector``; ``{}`` means every namespace).
  Pod part: ``AllPods`` (no podSelector, or ``{}``) or ``PodsByLabel``.
  External endpoints are never pods.
- ``IPBlockPeer``: an ipBlock, matched only against the other side's IP.
- ``DomainPeer``: DNS names (tier ``domainNames``, Cilium ``toFQDNs``), matched only against
  external endpoints given by name (``external/<name>``) with the product's wildcard rules
  (``domains.py``); an address endpoint's name is unknown, so never matched.
- ``AnyNamePeer``: every external endpoint given by name, added to a rule whose address peers
  admit every IPv4 or every IPv6 address (allow) or every address of both families (deny): the
  name may resolve there, so the rule decides for it.
- ``NodesPeer``: nodes by label (tier ``nodes``). The engine has no node model (no node
  addresses): it matches no endpoint, and explanations say so.

Each matcher keeps ``origin``, the policy rule it came from, so that a verdict can say why.
Each answers one question: ``matches(endpoint, namespace_labels)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Union

from .cidr import IPBlock, covered_families
from .domains import CLUSTER_DOMAIN_NAMES, name_matches
from .model import Endpoint
from .selectors import LabelSelector


@dataclass(frozen=True)
class RuleRef:
    """A rule of a policy: ``index`` counts from 1 in the policy's ingress or egress list.

    ``index`` 0 stands for the policy's own spec.podSelector (which pods it selects).
    """

    policy_id: str
    direction: str
    index: int


@dataclass(frozen=True)
class OwnNamespace:
    namespace: str

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return endpoint.namespace == self.namespace

    def describe(self) -> str:
        return f"namespace {self.namespace}"


@dataclass(frozen=True)
class NamespacesByLabel:
    selector: LabelSelector

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return self.selector.matches(namespace_labels)

    def describe(self) -> str:
        if self.selector.is_empty:
            return "all namespaces"
        return f"namespaces with {self.selector.describe()}"


@dataclass(frozen=True)
class AllPods:
    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return True

    def describe(self) -> str:
        return "all pods"


@dataclass(frozen=True)
class PodsByLabel:
    selector: LabelSelector

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return self.selector.matches(endpoint.labels)

    def describe(self) -> str:
        return f"pods with {self.selector.describe()}"


NamespaceMatcher = Union[OwnNamespace, NamespacesByLabel]
PodMatcher = Union[AllPods, PodsByLabel]


@dataclass(frozen=True)
class PodPeer:
    namespaces: NamespaceMatcher
    pods: PodMatcher
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        if endpoint.external:
            return False
        return self.namespaces.matches(endpoint, namespace_labels) and self.pods.matches(
            endpoint, namespace_labels
        )

    def describe(self) -> str:
        return f"{self.pods.describe()} in {self.namespaces.describe()}"


@dataclass(frozen=True)
class IPBlockPeer:
    block: IPBlock
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return self.block.matches(endpoint.address)

    def describe(self) -> str:
        return f"IPs in {self.block.describe()}"


@dataclass(frozen=True)
class AnyPeer:
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return True

    def describe(self) -> str:
        return "any peer"


@dataclass(frozen=True)
class DomainPeer:
    names: tuple[str, ...]  # patterns in ``syntax`` (domains.py says how each product matches)
    origin: Optional[RuleRef] = None
    syntax: str = CLUSTER_DOMAIN_NAMES  # domainNames, or Cilium's matchName / matchPattern

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        domain = endpoint.domain
        return domain is not None and any(name_matches(self.syntax, n, domain) for n in self.names)

    def describe(self) -> str:
        if self.syntax == CLUSTER_DOMAIN_NAMES:
            return f"domains {', '.join(self.names)}"
        return f"domains {self.syntax} {', '.join(self.names)}"


@dataclass(frozen=True)
class AnyNamePeer:
    """Every name endpoint: the rule's addresses include every address a name may resolve to."""

    reason: str  # e.g. "0.0.0.0/0 admits every IPv4 address"
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return endpoint.domain is not None

    def describe(self) -> str:
        return f"any DNS name ({self.reason}, and a name may resolve there)"


@dataclass(frozen=True)
class NodesPeer:
    selector: LabelSelector
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return False  # no node model: no endpoint is known to be a node

    def describe(self) -> str:
        which = "all nodes" if self.selector.is_empty else f"nodes with {self.selector.describe()}"
        return f"{which} (not modelled: the engine knows no node addresses, so this peer matches nothing)"


PeerMatcher = Union[AnyPeer, PodPeer, IPBlockPeer, DomainPeer, AnyNamePeer, NodesPeer]


def pod_part(selector: Optional[LabelSelector]) -> PodMatcher:
    return AllPods() if selector is None or selector.is_empty else PodsByLabel(selector)


def any_name_peer(blocks, origin: Optional[RuleRef], deny: bool = False) -> Optional[AnyNamePeer]:
    """The ``AnyNamePeer`` a rule with these address blocks adds, or None.

    An allow matches a name when its blocks admit every IPv4 or every IPv6 address (the name may
    resolve there); a deny only when they cover every address of both families, since a name
    denied for one family may still be reached over the other.
    """
    families = covered_families(blocks)
    if deny and families != {4, 6}:
        return None
    if not families:
        return None
    which = " and ".join(f"every IPv{v} address" for v in sorted(families))
    cidrs = ", ".join(b.describe() for b in blocks)
    return AnyNamePeer(f"{cidrs} {'denies' if deny else 'admits'} {which}", origin)
