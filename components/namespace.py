"""AiNamespace: a Namespace with its identity, Pod Security Admission, and the baseline and platform
policy layers every namespace gets; with a mesh, its mesh label and namespace-wide mesh policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from netguard import labels

from . import identity
from .inventory import NamespaceSpec, PlatformSettings, WorkloadSpec
from .mesh import MeshProvider, create

BASELINE_NAME = "netguard-baseline-deny-all"
DNS_NAME = "netguard-platform-dns"


@dataclass(frozen=True)
class AiNamespaceArgs:
    namespace: NamespaceSpec
    platform: PlatformSettings
    part_of: str
    # Workloads of this namespace that declare a metrics port (scraped when monitoring is configured).
    metrics_targets: tuple[WorkloadSpec, ...] = ()
    mesh: Optional[MeshProvider] = None  # None: no mesh declared
    # Workloads whose DNS comes from their own CiliumNetworkPolicy (`rules.dns`, domain_egress.py).
    # Cilium merges an L3/L4-only allow on 53 with an L7 DNS rule into "every name", so the
    # namespace's plain DNS policy must not select them or the name restriction is void.
    dns_by_cni: tuple[WorkloadSpec, ...] = ()


def namespace_metadata(spec: NamespaceSpec, part_of: str, mesh: Optional[MeshProvider] = None) -> dict:
    return {
        "name": spec.name,
        "labels": {
            **spec.labels,  # first, so nothing below can be overridden (the inventory forbids it too)
            **(mesh.namespace_labels() if mesh else {}),
            labels.TRUST_TIER: spec.trust_tier,
            labels.DATA_CLASS: spec.data_class,
            labels.APP_PART_OF: part_of,
            labels.APP_MANAGED_BY: labels.MANAGED_BY,
            labels.PSA_ENFORCE: labels.PSA_RESTRICTED,
            labels.PSA_ENFORCE_VERSION: "latest",
            labels.PSA_AUDIT: labels.PSA_RESTRICTED,
            labels.PSA_WARN: labels.PSA_RESTRICTED,
        },
    }


def baseline_policy(spec: NamespaceSpec, part_of: str) -> dict:
    """Every pod, both directions, no rules: nothing moves until a later layer allows it."""
    return {
        "metadata": identity.policy_metadata(BASELINE_NAME, spec.name, identity.LAYER_BASELINE, part_of),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def dns_policy(spec: NamespaceSpec, platform: PlatformSettings, part_of: str,
               excluded: tuple[WorkloadSpec, ...] = ()) -> dict:
    """Egress to the cluster DNS pods only, on 53/UDP and 53/TCP, for every pod but `excluded`
    (whose DNS rule, restricted to names, lives in their CiliumNetworkPolicy)."""
    dns = platform.dns
    pods: dict = {}
    if excluded:
        pods = {"matchExpressions": [{"key": labels.APP_NAME, "operator": "NotIn",
                                      "values": sorted({w.name for w in excluded})}]}
    return {
        "metadata": identity.policy_metadata(DNS_NAME, spec.name, identity.LAYER_PLATFORM, part_of),
        "spec": {
            "podSelector": pods,
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{
                    "namespaceSelector": identity.namespace_selector(dns.namespace),
                    "podSelector": {"matchLabels": dict(dns.pod_labels)},
                }],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }],
        },
    }


def metrics_policy(workload: WorkloadSpec, monitoring_namespace: str, part_of: str,
                   mesh: Optional[MeshProvider] = None) -> dict:
    """Ingress from the monitoring namespace to one workload's declared metrics port, nothing else
    (and the mesh's own datapath ports, when it tunnels: ambient's HBONE)."""
    port = workload.port(workload.metrics_port)
    return {
        "metadata": identity.policy_metadata(
            f"netguard-metrics-{workload.name}", workload.namespace, identity.LAYER_PLATFORM, part_of),
        "spec": {
            "podSelector": {"matchLabels": identity.selector(workload)},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": identity.namespace_selector(monitoring_namespace)}],
                "ports": identity.k8s_ports([port]) + identity.datapath_ports(mesh),
            }],
        },
    }


class AiNamespace(pulumi.ComponentResource):
    """A namespace under Pod Security `restricted`, denied by default, allowed DNS (and scraping)."""

    namespace: k8s.core.v1.Namespace
    policy_counts: dict[str, int]

    def __init__(self, name: str, args: AiNamespaceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiNamespace", name, None, opts)
        spec, part_of = args.namespace, args.part_of
        self.name = spec.name
        self.namespace = k8s.core.v1.Namespace(
            spec.name, metadata=namespace_metadata(spec, part_of, args.mesh), opts=pulumi.ResourceOptions(parent=self))
        inside = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        k8s.networking.v1.NetworkPolicy(f"{spec.name}/baseline", **baseline_policy(spec, part_of), opts=inside)
        k8s.networking.v1.NetworkPolicy(f"{spec.name}/platform-dns", **dns_policy(spec, args.platform, part_of, args.dns_by_cni), opts=inside)
        platform_count = 1
        monitoring = args.platform.monitoring_namespace
        if monitoring:
            for workload in args.metrics_targets:
                k8s.networking.v1.NetworkPolicy(
                    f"{spec.name}/platform-metrics/{workload.name}",
                    **metrics_policy(workload, monitoring, part_of, args.mesh), opts=inside)
                platform_count += 1

        self.policy_counts = {identity.LAYER_BASELINE: 1, identity.LAYER_PLATFORM: platform_count}
        if args.mesh:
            mesh_policies = list(args.mesh.namespace_policies(spec.name, part_of))
            if monitoring:
                mesh_policies += [args.mesh.metrics_policy(w, monitoring, part_of) for w in args.metrics_targets]
            for resource in mesh_policies:
                create(resource, spec.name, inside)
            self.policy_counts[identity.LAYER_MESH] = len(mesh_policies)
        self.register_outputs({"name": spec.name})
