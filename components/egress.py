"""AiEgressAllowlist: a workload's external CIDRs as an ipBlock egress policy.

Domains are not here on purpose: a NetworkPolicy cannot name a domain, and turning one into
addresses would widen the policy to whatever the name resolves to today. They are exported for a
CNI-specific layer instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from . import identity
from .inventory import EgressSpec, WorkloadSpec

# Even with allowInternet, "the internet" is not the cluster, its nodes, or the cloud metadata service.
_PRIVATE_V4 = ("10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")
_PRIVATE_V6 = ("fc00::/7", "fe80::/10")


@dataclass(frozen=True)
class AiEgressAllowlistArgs:
    egress: EgressSpec
    workload: WorkloadSpec
    part_of: str


def ip_block(cidr: str) -> dict:
    network = ipaddress.ip_network(cidr)
    if network.prefixlen != 0:
        return {"cidr": cidr}
    return {"cidr": cidr, "except": list(_PRIVATE_V4 if network.version == 4 else _PRIVATE_V6)}


def egress_policy(args: AiEgressAllowlistArgs) -> dict:
    wl = args.workload
    return {
        "metadata": identity.policy_metadata(
            f"netguard-egress-{wl.name}", wl.namespace, identity.LAYER_EGRESS, args.part_of),
        "spec": {
            "podSelector": {"matchLabels": identity.selector(wl)},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": ip_block(entry.cidr)}], "ports": identity.k8s_ports(entry.ports)}
                for entry in args.egress.cidrs
            ],
        },
    }


class AiEgressAllowlist(pulumi.ComponentResource):
    """One egress policy for a workload's CIDRs, named `<namespace>/<workload>/egress`."""

    def __init__(self, name: str, args: AiEgressAllowlistArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiEgressAllowlist", name, None, opts)
        if not args.egress.cidrs:
            raise ValueError(f"egress {args.egress.key}: no CIDRs, so no policy to make")
        k8s.networking.v1.NetworkPolicy(name, **egress_policy(args), opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"workload": args.egress.key})
