"""The seam between the components and a service mesh: what a provider must answer, and how its
resources become Pulumi resources.

Resources are `apiextensions.CustomResource`s with the mesh's own apiVersion and kind: no typed
Pulumi SDK for Istio is published on PyPI (pulumi-kubernetes types only Kubernetes' own kinds), and
a CustomResource writes exactly the manifest the provider builds, which the policy pack and the
engine read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..inventory import MeshSettings, PortSpec, WorkloadSpec


@dataclass(frozen=True)
class MeshResource:
    """One object of the mesh's API: its logical-name suffix and its manifest parts."""

    name: str
    api_version: str
    kind: str
    metadata: dict
    spec: dict


class MeshProvider(Protocol):
    settings: MeshSettings

    def namespace_labels(self) -> dict[str, str]:
        """Labels that put a namespace's pods in the mesh."""

    def namespace_policies(self, namespace: str, part_of: str) -> Sequence[MeshResource]:
        """Namespace-wide: mutual TLS required, and nothing admitted until a flow admits it."""

    def flow_policy(self, name: str, destination: WorkloadSpec, sources: Sequence[WorkloadSpec],
                    ports: Sequence[PortSpec], part_of: str) -> MeshResource:
        """Admits exactly the sources' identities to the destination on the ports."""

    def metrics_policy(self, workload: WorkloadSpec, monitoring_namespace: str, part_of: str) -> MeshResource:
        """Admits the monitoring stack to one workload's metrics port."""

    def datapath_ports(self) -> tuple[tuple[int, str], ...]:
        """Ports the mesh's own traffic uses, which NetworkPolicies must open beside a flow's."""


def mesh_provider(settings: Optional[MeshSettings]) -> Optional[MeshProvider]:
    """The provider the inventory names, or None when it declares no mesh."""
    if settings is None:
        return None
    from .istio import IstioMesh  # providers are imported when chosen

    providers = {"istio": IstioMesh}
    return providers[settings.provider](settings)


def create(resource: MeshResource, prefix: str, opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        f"{prefix}/{resource.name}",
        api_version=resource.api_version,
        kind=resource.kind,
        metadata=resource.metadata,
        spec=resource.spec,
        opts=opts,
    )
