"""Whether the Baseline tier closes a pod by default: what a default-deny NetworkPolicy does, one tier down.

A Baseline policy that selects the pod and has a Deny rule for every port against every pod of
every namespace (and, for egress, every IPv4 and IPv6 address) leaves the pod closed to whatever
no NetworkPolicy or Admin rule allows, even when the namespace's own default-deny is deleted.
Ingress peers of the API are namespaces and pods only: addresses outside the cluster are not
among them, which the caller says when it counts this as isolation.
"""

from __future__ import annotations

from typing import Optional

from ..model import EGRESS, Cluster, Endpoint
from ..peers import AllPods, IPBlockPeer, NamespacesByLabel, PodPeer
from .compile import CompiledTierRule, CompiledTiers
from .model import DENY


def baseline_default_deny(tiers: CompiledTiers, cluster: Cluster, endpoint: Endpoint, direction: str) -> Optional[str]:
    """The label of a Baseline policy that denies ``endpoint`` everything in ``direction``, or None."""
    if endpoint.external:
        return None
    namespace_labels = cluster.namespace_labels(endpoint)
    for group in tiers.baseline:
        for policy in group:
            if not policy.subject.matches(endpoint, namespace_labels):
                continue
            if any(_denies_everyone(rule, direction) for rule in policy.rules(direction)):
                return policy.label
    return None


def _denies_everyone(rule: CompiledTierRule, direction: str) -> bool:
    if rule.action != DENY or rule.ports is not None:
        return False
    every_pod = any(
        isinstance(p, PodPeer) and isinstance(p.namespaces, NamespacesByLabel) and p.namespaces.selector.is_empty
        and isinstance(p.pods, AllPods)
        for p in rule.peers
    )
    if direction != EGRESS:
        return every_pod
    families = {p.block.cidr.version for p in rule.peers
                if isinstance(p, IPBlockPeer) and p.block.cidr.prefixlen == 0 and not p.block.excepts}
    return every_pod and families == {4, 6}
