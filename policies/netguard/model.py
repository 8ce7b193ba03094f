"""The model the engine reasons about, built by the loader from manifests: pure, immutable values.

- ``Endpoint``: a pod, a workload's pod template, or an external address (``external/<IP>``).
- ``Cluster``: endpoints, namespaces with their labels, NetworkPolicies, and the mesh's
  security policies (``mesh.model.MeshPolicies``, empty when the manifests have none).
- ``NetworkPolicy`` / ``Rule`` / ``Peer``: a networking.k8s.io/v1 NetworkPolicy after validation,
  with the API's defaults applied (policyTypes) and nothing else interpreted yet.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping, Optional

from .cidr import Address, IPBlock
from .errors import UnknownEndpointError
from .mesh.model import MeshPolicies
from .ports import ContainerPort, PortMatcher
from .selectors import LabelSelector

if TYPE_CHECKING:
    from .tiers.model import TierPolicy

__all__ = ["ContainerPort", "Endpoint", "Cluster", "NetworkPolicy", "Rule", "Peer", "frozen_labels"]

INGRESS = "Ingress"
EGRESS = "Egress"
DIRECTIONS = (INGRESS, EGRESS)
EXTERNAL_NAMESPACE = "external"


def frozen_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(labels))


@dataclass(frozen=True)
class Endpoint:
    """Something that sends and receives traffic.

    ``id`` is ``namespace/name`` for pods and workloads, ``external/<IP>`` for external addresses.
    ``kind`` is the manifest kind (Pod, Deployment, ...) or ``External``. ``ip`` is the pod's
    status.podIP when the manifest has one, the address for external endpoints, else None.
    ``service_account`` is the pod's ``spec.serviceAccountName`` (``default`` when unset), the
    identity a mesh knows it by; None for external endpoints.
    """

    id: str
    namespace: str
    name: str
    kind: str
    labels: Mapping[str, str] = field(default_factory=lambda: frozen_labels({}), hash=False)
    ports: tuple[ContainerPort, ...] = ()
    ip: Optional[str] = None
    external: bool = False
    source: str = field(default="", compare=False)
    service_account: Optional[str] = None

    @cached_property
    def address(self) -> Optional[Address]:
        return ipaddress.ip_address(self.ip) if self.ip else None

    @property
    def domain(self) -> Optional[str]:
        """The DNS name of an external endpoint given by name (``external/<name>``, no IP), else None."""
        return self.name if self.external and self.ip is None else None


@dataclass(frozen=True)
class Peer:
    """One entry of a rule's from/to list. At least one field is set; ip_block excludes the others."""

    pod_selector: Optional[LabelSelector] = None
    namespace_selector: Optional[LabelSelector] = None
    ip_block: Optional[IPBlock] = None


@dataclass(frozen=True)
class Rule:
    """An ingress or egress rule. ``peers``/``ports`` None: all peers / all ports (absent or empty)."""

    peers: Optional[tuple[Peer, ...]] = None
    ports: Optional[tuple[PortMatcher, ...]] = None


@dataclass(frozen=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[str]  # after defaulting: a subset of {"Ingress", "Egress"}
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    source: str = field(default="", compare=False)
    # metadata.labels (netguard.io/layer, ...): for reports; they never change a verdict
    labels: Mapping[str, str] = field(default_factory=lambda: frozen_labels({}), compare=False, hash=False)

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress


@dataclass(frozen=True)
class Cluster:
    endpoints: tuple[Endpoint, ...]
    namespaces: Mapping[str, Mapping[str, str]] = field(hash=False)  # name -> labels
    policies: tuple[NetworkPolicy, ...] = ()
    tier_policies: tuple["TierPolicy", ...] = ()  # ClusterNetworkPolicy, AdminNetworkPolicy, ... (tiers/)
    mesh: MeshPolicies = field(default_factory=MeshPolicies, hash=False)  # Istio security policies
    cilium_policies: tuple = ()  # CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy specs (cilium/)
    # An endpoint id -> the ids of the owned objects folded into it (owners.py), when any.
    stands_for: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @cached_property
    def _by_id(self) -> Mapping[str, Endpoint]:
        return MappingProxyType({e.id: e for e in self.endpoints})

    def endpoint(self, endpoint_id: str) -> Endpoint:
        try:
            return self._by_id[endpoint_id]
        except KeyError:
            raise UnknownEndpointError(endpoint_id) from None

    def namespace_labels(self, endpoint: Endpoint) -> Mapping[str, str]:
        """The labels of the endpoint's namespace; external endpoints have none."""
        if endpoint.external:
            return MappingProxyType({})
        return self.namespaces.get(endpoint.namespace, MappingProxyType({}))
