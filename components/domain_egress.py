"""AiDomainEgress: a workload's declared domains, enforced by the cluster's CNI (Cilium here).

Cilium (`platform.cni: cilium`): one CiliumNetworkPolicy per workload with
- an egress rule `toFQDNs` (`matchName`, or `matchPattern` for `*.` entries: Cilium's `*` stays
  inside one label, as the inventory's `*.` means one label) on the declared ports;
- an egress rule to the cluster DNS pods on 53 with `rules.dns` listing the declared names and
  the cluster's own `**.cluster.local` (service lookups and the search path): the DNS proxy must
  see the answers to learn the names' addresses, and a pod may look up nothing else through it.
Cilium unites allows: another policy that allows a CIDR still widens this egress, which is why
the pack's egress-allowlist judges the effective connectivity, not this object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from . import identity
from .inventory import EgressSpec, PlatformSettings, WorkloadSpec

CLUSTER_NAMES = "**.cluster.local"  # in-cluster lookups, with the pod's search path


@dataclass(frozen=True)
class AiDomainEgressArgs:
    egress: EgressSpec
    workload: WorkloadSpec
    platform: PlatformSettings
    part_of: str


def fqdn_selector(domain: str) -> dict[str, str]:
    return {"matchPattern": domain} if domain.startswith("*.") else {"matchName": domain}


def cilium_ports(ports) -> list[dict]:
    return [{"port": str(p.port), "protocol": p.protocol} for p in ports]


def cilium_domain_policy(args: AiDomainEgressArgs) -> dict:
    wl, dns = args.workload, args.platform.dns
    names = sorted({d.domain for d in args.egress.domains})
    dns_rule = {
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": dns.namespace,
                                         **{f"k8s:{k}": v for k, v in dns.pod_labels.items()}}}],
        "toPorts": [{
            "ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}],
            "rules": {"dns": [fqdn_selector(n) for n in names] + [{"matchPattern": CLUSTER_NAMES}]},
        }],
    }
    domain_rules = [
        {"toFQDNs": [fqdn_selector(entry.domain)], "toPorts": [{"ports": cilium_ports(entry.ports)}]}
        for entry in args.egress.domains
    ]
    return {
        "metadata": identity.policy_metadata(
            f"netguard-domains-{wl.name}", wl.namespace, identity.LAYER_EGRESS, args.part_of),
        "spec": {
            "endpointSelector": {"matchLabels": identity.selector(wl)},
            "egress": [dns_rule, *domain_rules],
        },
    }


class AiDomainEgress(pulumi.ComponentResource):
    """The CNI objects that let one workload reach its declared domains, named `<ns>/<workload>/domains`."""

    def __init__(self, name: str, args: AiDomainEgressArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiDomainEgress", name, None, opts)
        if not args.egress.domains:
            raise ValueError(f"egress {args.egress.key}: no domains, so no policy to make")
        if args.platform.cni != "cilium":  # the inventory refuses other CNIs' domains (inventory/cni.py)
            raise ValueError(f"egress {args.egress.key}: domains on platform.cni {args.platform.cni!r} are not built yet")
        body = cilium_domain_policy(args)
        k8s.apiextensions.CustomResource(
            name, api_version="cilium.io/v2", kind="CiliumNetworkPolicy",
            metadata=body["metadata"], spec=body["spec"], opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"workload": args.egress.key, "domains": [d.domain for d in args.egress.domains]})
