"""What the cluster's CNI (`platform.cni`) can honour, checked against what the inventory asks.

| CNI            | domain egress                      | connection logging (per policy)          |
|----------------|------------------------------------|------------------------------------------|
| cilium         | CiliumNetworkPolicy toFQDNs: built | none: Hubble's exporter (acceptFallback) |
| antrea         | Antrea NetworkPolicy fqdn: not built yet | enableLogging on Antrea rules: not built yet |
| ovn-kubernetes | EgressFirewall dnsName: not built yet | acl-logging annotation: not built yet  |
| calico (open source) | no                           | action: Log rules: not built yet         |
| generic        | no                                 | no                                       |

A setting the CNI cannot honour, or that netguard does not realise on it yet, is an error naming the
entry and the choices, never a silent drop.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import problem
from .schema import CNIS, EgressSpec, PlatformSettings

DOMAIN_CNIS = ("cilium", "antrea", "ovn-kubernetes")  # the CNI can match domain names
LOGGING_CNIS = ("antrea", "calico", "ovn-kubernetes")  # a per-policy (or per-namespace) switch
FALLBACK_CNIS = ("cilium",)  # logging through a documented cluster-level fallback
BUILT = {"domains": ("cilium",), "logging": ("cilium",)}  # what the components realise today


def check_cni(platform: PlatformSettings, egress: Iterable[tuple[int, EgressSpec]]) -> list[str]:
    problems: list[str] = []
    cni = platform.cni
    if cni in DOMAIN_CNIS and cni not in BUILT["domains"]:
        for i, eg in egress:
            for j, entry in enumerate(eg.domains):
                problems.append(problem(
                    ("egress", i, "domains", j),
                    f"domain {entry.domain!r}: netguard does not build {cni}'s domain rules yet (only "
                    f"{' | '.join(BUILT['domains'])}); choose platform.cni cilium, or declare the CIDRs instead",
                ))
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
    elif cni not in BUILT["logging"]:
        problems.append(problem(
            ("platform", "logging"),
            f"netguard does not build {cni}'s connection logging yet (only {' | '.join(BUILT['logging'])}); "
            "remove platform.logging or choose platform.cni cilium",
        ))
    elif cni in FALLBACK_CNIS and not logging.accept_fallback:
        problems.append(problem(
            ("platform", "logging"),
            "Cilium has no per-policy log switch: the flows are kept by Hubble's dynamic exporter, which needs "
            "the cluster setting hubble.export.dynamic.enabled=true (Helm); set acceptFallback: true to accept it",
        ))
    return problems
