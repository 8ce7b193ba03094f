"""The matchers Cilium rules add beside the engine's own (peers.py): each answers ``matches``,
``describe``, and ``bits`` over a ``Universe`` for the whole matrix.

- ``CiliumEndpoints``: an EndpointSelector over Cilium labels (labels.py); in a namespaced
  CiliumNetworkPolicy it is confined to the policy's namespace unless it names
  ``io.kubernetes.pod.namespace`` itself.
- ``CiliumCIDR``: toCIDR/toCIDRSet: addresses outside the cluster only (Cilium gives pods an
  identity, so CIDR rules never match them).
- ``Entity``: world (everything outside the cluster), world-ipv4/-ipv6, cluster (every pod),
  all. host, remote-node, kube-apiserver, health, init, ingress, unmanaged and none denote nodes
  and components the engine has no model of: they match none of its endpoints, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from ..cidr import IPBlock
from ..model import Endpoint
from ..peers import RuleRef
from ..selectors import LabelIndex, LabelSelector
from .labels import endpoint_labels

WORLD, WORLD_V4, WORLD_V6, CLUSTER, ALL = "world", "world-ipv4", "world-ipv6", "cluster", "all"
UNMODELLED_ENTITIES = ("host", "remote-node", "kube-apiserver", "health", "init", "ingress", "unmanaged", "none")
ENTITIES = (WORLD, WORLD_V4, WORLD_V6, CLUSTER, ALL, *UNMODELLED_ENTITIES)
ENTITY_FAMILIES = {WORLD: {4, 6}, ALL: {4, 6}, WORLD_V4: {4}, WORLD_V6: {6}}


@dataclass(frozen=True)
class CiliumEndpoints:
    selector: LabelSelector
    namespace: Optional[str] = None  # a namespaced policy's own namespace, None: every namespace
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        if endpoint.external or (self.namespace is not None and endpoint.namespace != self.namespace):
            return False
        return self.selector.matches(endpoint_labels(endpoint, namespace_labels))

    def bits(self, universe) -> int:
        index = universe.cached("cilium-labels", lambda: _label_index(universe))
        bits = universe.cached(("cilium", self.selector), lambda: self.selector.select(index))
        if self.namespace is not None:
            bits &= universe.namespace_bits(self.namespace)
        return bits

    def describe(self) -> str:
        where = f"namespace {self.namespace}" if self.namespace is not None else "all namespaces"
        who = "all endpoints" if self.selector.is_empty else f"endpoints with {self.selector.describe()}"
        return f"{who} in {where}"


@dataclass(frozen=True)
class CiliumCIDR:
    block: IPBlock
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        return endpoint.external and self.block.matches(endpoint.address)

    def bits(self, universe) -> int:
        return universe.ip_block_bits(self.block) & _external_bits(universe)

    def describe(self) -> str:
        return f"addresses outside the cluster in {self.block.describe()}"


@dataclass(frozen=True)
class Entity:
    name: str
    origin: Optional[RuleRef] = None

    def matches(self, endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> bool:
        if self.name == ALL:
            return True
        if self.name == CLUSTER:
            return not endpoint.external
        if self.name == WORLD:
            return endpoint.external
        if self.name in (WORLD_V4, WORLD_V6):
            version = 4 if self.name == WORLD_V4 else 6
            return endpoint.external and endpoint.address is not None and endpoint.address.version == version
        return False

    def bits(self, universe) -> int:
        return universe.cached(("entity", self.name), lambda: _entity_bits(universe, self))

    @property
    def unmodelled(self) -> bool:
        return self.name in UNMODELLED_ENTITIES

    def describe(self) -> str:
        if self.unmodelled:
            return f"entity {self.name} (not modelled: the engine has no such endpoint, so it matches none)"
        return f"entity {self.name}"


def _label_index(universe) -> LabelIndex:
    cluster = universe.cluster
    return LabelIndex.build((n, endpoint_labels(e, cluster.namespace_labels(e))) for n, e in universe.pods)


def _external_bits(universe) -> int:
    return universe.cached("externals", lambda: universe.everyone & ~sum(1 << n for n, _ in universe.pods))


def _entity_bits(universe, entity: Entity) -> int:
    classes = universe.classes
    return sum(1 << n for n in range(len(classes)) if entity.matches(classes.representative(n), {}))
