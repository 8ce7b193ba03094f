"""A tier policy after validation: the fields that decide traffic, with the API's defaults applied.

Both API versions read into these values: v1alpha1 ``Allow`` is ``Accept`` here, v1alpha1
``ports`` and v1alpha2 ``protocols`` are the engine's port matchers, and a BaselineAdminNetworkPolicy
is a Baseline-tier policy without priority (``priority`` None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..cidr import IPBlock
from ..model import EGRESS, INGRESS
from ..ports import PortMatcher
from ..selectors import LabelSelector

ADMIN = "Admin"
BASELINE = "Baseline"
TIERS = (ADMIN, BASELINE)

ACCEPT = "Accept"
DENY = "Deny"
PASS = "Pass"

CLUSTER_NETWORK_POLICY = "ClusterNetworkPolicy"
ADMIN_NETWORK_POLICY = "AdminNetworkPolicy"
BASELINE_ADMIN_NETWORK_POLICY = "BaselineAdminNetworkPolicy"
KINDS = (CLUSTER_NETWORK_POLICY, ADMIN_NETWORK_POLICY, BASELINE_ADMIN_NETWORK_POLICY)


@dataclass(frozen=True)
class Subject:
    """The pods a policy applies to: namespaces by label, and pods by label when ``pods`` is set."""

    namespaces: LabelSelector
    pods: Optional[LabelSelector] = None


@dataclass(frozen=True)
class TierPeer:
    """One entry of a rule's from/to: exactly one kind is set (pods come with their namespaces)."""

    namespaces: Optional[LabelSelector] = None
    pods: Optional[LabelSelector] = None
    networks: Optional[tuple[IPBlock, ...]] = None
    nodes: Optional[LabelSelector] = None
    domain_names: Optional[tuple[str, ...]] = None


@dataclass(frozen=True)
class TierRule:
    name: str
    action: str  # ACCEPT, DENY or PASS
    peers: tuple[TierPeer, ...]
    ports: Optional[tuple[PortMatcher, ...]] = None  # None: every port of every protocol


@dataclass(frozen=True)
class TierPolicy:
    kind: str
    name: str
    tier: str
    priority: Optional[int]  # None for a BaselineAdminNetworkPolicy (there is one, "default")
    subject: Subject
    ingress: tuple[TierRule, ...] = ()
    egress: tuple[TierRule, ...] = ()
    source: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def label(self) -> str:
        """As a reviewer reads it: ``ClusterNetworkPolicy deny-restricted (Admin, priority 40)``."""
        rank = self.tier if self.priority is None else f"{self.tier}, priority {self.priority}"
        return f"{self.kind} {self.name} ({rank})"

    def rules(self, direction: str) -> tuple[TierRule, ...]:
        return self.ingress if direction == INGRESS else self.egress


__all__ = [
    "ADMIN", "BASELINE", "TIERS", "ACCEPT", "DENY", "PASS", "KINDS", "CLUSTER_NETWORK_POLICY",
    "ADMIN_NETWORK_POLICY", "BASELINE_ADMIN_NETWORK_POLICY", "Subject", "TierPeer", "TierRule",
    "TierPolicy", "EGRESS", "INGRESS",
]
