"""What the cluster's CNI (`platform.cni`) can honour, checked against what the inventory asks.

| CNI            | domain egress                     | connection logging (per policy)         |
|----------------|-----------------------------------|-----------------------------------------|
| cilium         | CiliumNetworkPolicy toFQDNs       | none: Hubble's exporter (acceptFallback)|
| antrea         | Antrea NetworkPolicy fqdn         | enableLogging on Antrea rules           |
| ovn-kubernetes | EgressFirewall dnsName (per ns)   | namespace annotation k8s.ovn.org/acl-logging |
| calico (open source) | no                          | action: Log rules                       |
| generic        | no                                | no                                      |

A setting the CNI cannot honour is an error naming the entry and the choices, never a silent drop.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import problem
from .schema import CNIS, EgressSpec, PlatformSettings

DOMAIN_CNIS = ("cilium", "antrea", "ovn-kubernetes")
LOGGING_CNIS = ("antrea", "calico", "ovn-kubernetes")  # a per-policy (or per-namespace) switch
FALLBACK_CNIS = ("cilium",)  # logging through a documented cluster-level fallback


def check_cni(platform: PlatformSettings, egress: Iterable[tuple[int, EgressSpec]]) -> list[str]:
    problems: list[str] = []
    cni = platform.cni
    if cni not in DOMAIN_CNIS:
        for i, eg in egress:
            for j, entry in enumerate(eg.domains):
                problems.append(problem(
                    ("egress", i, "domains", j),
                    f"domain {entry.domain!r} cannot be enforced on platform.cni {cni!r} (it cannot match "
                    f"domain names); choose platform.cni {' | '.join(DOMAIN_CNIS)}, or declare the CIDRs instead",
                ))
    logging = platform.logging
    if logging is None:
        return problems
    if cni == "generic":
        problems.append(problem(
            ("platform", "logging"),
            f"platform.cni 'generic' has no connection logging; choose platform.cni {' | '.join(c for c in CNIS if c != 'generic')}",
        ))
    elif cni in FALLBACK_CNIS and not logging.accept_fallback:
        problems.append(problem(
            ("platform", "logging"),
            "Cilium has no per-policy log switch: the flows are kept by Hubble's dynamic exporter, which needs "
            "the cluster setting hubble.export.dynamic.enabled=true (Helm); set acceptFallback: true to accept it",
        ))
    return problems
