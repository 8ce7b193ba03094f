"""Who can reach a domain: the stack half of egress-allowlist for DNS names.

The names are those the stack's domain rules name (Cilium toFQDNs matchName, ClusterNetworkPolicy
domainNames, exact names; a `*.x` pattern is asked through one name under it). Each becomes an
external endpoint `external/<name>` whose addresses are unknown, so the engine says who may reach
it through any rule (a domain rule, or an address rule open to a whole address family). A pod
that may reach a name without a domain rule of a policy selecting it that names it has egress
its workload never declared: a violation, with the rule that admitted it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from netguard.analysis import Analyzer
from netguard.domains import is_dns_name
from netguard.loader import external_endpoint
from netguard.model import EGRESS
from netguard.peers import DomainPeer

from . import stack_model
from .reporting import Violation

WITNESS_LABEL = "netguard-witness"  # the name asked for a `*.x` pattern: WITNESS_LABEL.x


def stack_names(model: stack_model.StackModel) -> list[str]:
    patterns = set()
    for spec in model.cluster.cilium_policies:
        for rule in spec.allow.get(EGRESS, ()):
            patterns.update(n for p in rule.peers if isinstance(p, DomainPeer) for n in p.names)
    for tier in model.cluster.tier_policies:
        for rule in tier.egress:
            for peer in rule.peers:
                patterns.update(peer.domain_names or ())
    names = set()
    for pattern in patterns:
        name = pattern.lstrip("*").lstrip(".") if pattern.startswith("*") else pattern
        name = f"{WITNESS_LABEL}.{name}" if pattern.startswith("*") else name
        if is_dns_name(name):
            names.add(name.rstrip(".").lower())
    return sorted(names)


def undeclared(model: stack_model.StackModel) -> Iterator[Violation]:
    names = stack_names(model)
    if not names:
        return
    externals = tuple(external_endpoint(n) for n in names)
    cluster = replace(model.cluster, endpoints=model.cluster.endpoints + externals)
    analyzer = Analyzer(cluster)
    reported = set()
    for endpoint in model.cluster.endpoints:
        if endpoint.external:
            continue
        for name in externals:
            ports = {p: s for p, s in analyzer.allowed_ports(endpoint.id, name.id).items() if not s.is_empty()}
            if not ports or _declares(analyzer, endpoint, name, ports):
                continue
            described = model.describe(endpoint)
            if (described, name.id) in reported:
                continue
            reported.add((described, name.id))
            protocol, span = next(iter(sorted(ports.items())))
            why = analyzer.explain(endpoint.id, name.id, span.min(), protocol).egress
            rules = "; ".join(f"{p} rule {i}: {d}" for p, i, d in why.admitting) or "its egress is not isolated"
            yield Violation(
                f"{described}: can reach {name.name} ({span.describe()}/{protocol}) though no domain rule of a "
                f"policy selecting it names it ({rules}); declare the domain for this workload or narrow the rule",
                model.urn_of(endpoint))


def _declares(analyzer: Analyzer, endpoint, name, ports) -> bool:
    """Every admitting egress rule for the name is a domain rule that names it."""
    for protocol, span in ports.items():
        side = analyzer.side(EGRESS, endpoint.id, name.id, protocol)
        if not side.isolated or not all(" matched domains " in a.description for a in side.admitting):
            return False
    return True
