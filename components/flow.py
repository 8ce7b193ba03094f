"""AiFlow: one declared flow as a pair of policies, ingress on the destination and egress on the
source. Both must allow, so neither side alone opens anything, and nothing flows back. With a mesh,
also the mesh's policy on the destination admitting exactly the source workloads' identities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from . import identity
from .inventory import FlowSpec, WorkloadSpec
from .mesh import MeshProvider, create


@dataclass(frozen=True)
class AiFlowArgs:
    flow: FlowSpec
    source_selector: dict[str, str]   # never empty: a workload's identity, or a role
    destination: WorkloadSpec
    part_of: str
    mesh: Optional[MeshProvider] = None
    sources: tuple[WorkloadSpec, ...] = ()  # the workloads the source stands for (for the mesh's identities)


def _source_slug(flow: FlowSpec) -> str:
    src = flow.source
    # Dots separate the parts: no inventory name can contain one, so names never collide.
    return src.workload if src.workload else f"role.{src.role}"


def ingress_policy(args: AiFlowArgs) -> dict:
    flow, dst = args.flow, args.destination
    src = flow.source
    name = f"netguard-in.{src.namespace}.{_source_slug(flow)}.to.{dst.name}"
    return {
        "metadata": identity.policy_metadata(name, dst.namespace, identity.LAYER_FLOW, args.part_of),
        "spec": {
            "podSelector": {"matchLabels": identity.selector(dst)},
            "policyTypes": ["Ingress"],
            "ingress": [{
                # One peer with both selectors: pods of that namespace AND with those labels.
                "from": [{
                    "namespaceSelector": identity.namespace_selector(src.namespace),
                    "podSelector": {"matchLabels": args.source_selector},
                }],
                "ports": identity.k8s_ports(dst.port(p) for p in flow.ports) + identity.datapath_ports(args.mesh),
            }],
        },
    }


def mesh_policy_name(args: AiFlowArgs) -> str:
    flow, dst = args.flow, args.destination
    return f"netguard-mesh-in.{flow.source.namespace}.{_source_slug(flow)}.to.{dst.name}"


def egress_policy(args: AiFlowArgs) -> dict:
    flow, dst = args.flow, args.destination
    src = flow.source
    name = f"netguard-out.{_source_slug(flow)}.to.{dst.namespace}.{dst.name}"
    return {
        "metadata": identity.policy_metadata(name, src.namespace, identity.LAYER_FLOW, args.part_of),
        "spec": {
            "podSelector": {"matchLabels": args.source_selector},
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{
                    "namespaceSelector": identity.namespace_selector(dst.namespace),
                    "podSelector": {"matchLabels": identity.selector(dst)},
                }],
                "ports": identity.k8s_ports(dst.port(p) for p in flow.ports) + identity.datapath_ports(args.mesh),
            }],
        },
    }


class AiFlow(pulumi.ComponentResource):
    """The two policies of one flow, named `<flow>/ingress` and `<flow>/egress`."""

    def __init__(self, name: str, args: AiFlowArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiFlow", name, None, opts)
        if not args.source_selector:
            raise ValueError(f"flow {args.flow.key}: an empty source selector would admit every pod")
        child = pulumi.ResourceOptions(parent=self)
        k8s.networking.v1.NetworkPolicy(f"{name}/ingress", **ingress_policy(args), opts=child)
        k8s.networking.v1.NetworkPolicy(f"{name}/egress", **egress_policy(args), opts=child)
        if args.mesh:
            if not args.sources:
                raise ValueError(f"flow {args.flow.key}: no source workload, so no identity to admit")
            ports = [args.destination.port(p) for p in args.flow.ports]
            resource = args.mesh.flow_policy(
                mesh_policy_name(args), args.destination, args.sources, ports, args.part_of)
            create(resource, name, child)
        self.register_outputs({"flow": args.flow.key})
