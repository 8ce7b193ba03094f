"""Which Kubernetes kinds the pack models, in one place.

Every stack rule asks the engine who can reach whom, so it can only be right about the kinds the
engine evaluates. Everything else that can allow traffic (another product's policy kinds) or run
pods (a custom resource, a Helm Release whose manifests the pack never sees) makes the rules that
depend on it fail closed, until it is modelled here or reviewed by config (`reviewedKinds`).

- ``MODELLED_POLICY_KINDS``: the policy kinds the engine evaluates. Add a kind here (one line) when
  the engine models it; stack_model and no-allow-all both read this set.
- ``INERT_POLICY_APIS``: policy kinds no API server serves any more (extensions/v1beta1
  NetworkPolicy, removed in 1.16): they cannot exist, so they neither isolate nor allow.
- ``TRAFFIC_KINDS``: kinds of other products known to allow traffic or define peers of policies.
- ``INERT_KINDS``: custom resources known to run no pods and to allow no datapath traffic.
"""

from __future__ import annotations

import fnmatch
from typing import Iterable

from .objects import KubeObject

# Cilium's own policies, L3/L4 (policies/netguard/cilium/): read by the engine's loader itself.
CILIUM_POLICY_KINDS: frozenset[tuple[str, str, str]] = frozenset({
    ("cilium.io", "v2", "CiliumNetworkPolicy"),
    ("cilium.io", "v2", "CiliumClusterwideNetworkPolicy"),
})

# (API group, version, kind) of the policies the engine evaluates.
MODELLED_POLICY_KINDS: frozenset[tuple[str, str, str]] = frozenset({
    ("networking.k8s.io", "v1", "NetworkPolicy"),
    *CILIUM_POLICY_KINDS,
    # The cluster tiers (netguard/tiers/): the versions the engine reads.
    ("policy.networking.k8s.io", "v1alpha2", "ClusterNetworkPolicy"),
    ("policy.networking.k8s.io", "v1alpha1", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io", "v1alpha1", "BaselineAdminNetworkPolicy"),
})

INERT_POLICY_APIS: frozenset[tuple[str, str, str]] = frozenset({
    ("extensions", "v1beta1", "NetworkPolicy"),
})

# Groups whose kinds decide connectivity: every kind of these groups allows traffic, selects
# peers or names address sets that policies admit (Calico NetworkSet, Antrea ClusterGroup, ...).
TRAFFIC_GROUPS = frozenset({
    "policy.networking.k8s.io",            # AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy
    "cilium.io",                           # CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, CiliumCIDRGroup
    "projectcalico.org", "crd.projectcalico.org",  # NetworkPolicy, GlobalNetworkPolicy, (Global)NetworkSet, Tier
    "crd.antrea.io", "security.antrea.io",  # Antrea-native NetworkPolicy, ClusterNetworkPolicy, Tier, (Cluster)Group
    "k8s.ovn.org",                         # EgressFirewall, AdminPolicyBasedExternalRoute
})
# Spelling a kind name after these makes it a policy kind whatever its group.
_TRAFFIC_SUFFIXES = ("NetworkPolicy", "NetworkSet", "Firewall")

# Kubernetes' own API groups: their kinds are built in, not custom resources.
BUILT_IN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "extensions",
    "rbac.authorization.k8s.io", "storage.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "admissionregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io", "storagemigration.k8s.io", "internal.apiserver.k8s.io",
    "authentication.k8s.io", "authorization.k8s.io",
})

# Custom resources that run no pods and allow no datapath traffic (configuration read by other
# controllers): mesh config (a mesh can only deny more than the datapath allows), monitoring
# and certificate objects.
INERT_KINDS = frozenset({
    *(f"networking.istio.io/{k}" for k in ("VirtualService", "DestinationRule", "ServiceEntry", "Sidecar",
                                            "WorkloadEntry", "WorkloadGroup", "EnvoyFilter", "ProxyConfig")),
    *(f"security.istio.io/{k}" for k in ("AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication")),
    "telemetry.istio.io/Telemetry", "extensions.istio.io/WasmPlugin",
    *(f"monitoring.coreos.com/{k}" for k in ("ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe")),
    *(f"cert-manager.io/{k}" for k in ("Certificate", "Issuer", "ClusterIssuer", "CertificateRequest")),
})

HELM_RELEASE = "helm.sh/Release"


def kind_name(obj: KubeObject) -> str:
    """`group/Kind` (`Kind` for the core group): what reviewedKinds patterns match."""
    return f"{obj.group}/{obj.kind}" if obj.group else obj.kind


def is_modelled_policy(obj: KubeObject) -> bool:
    return (obj.group, obj.version, obj.kind) in MODELLED_POLICY_KINDS


def is_cilium_policy(obj: KubeObject) -> bool:
    return (obj.group, obj.version, obj.kind) in CILIUM_POLICY_KINDS


def is_inert_policy(obj: KubeObject) -> bool:
    return (obj.group, obj.version, obj.kind) in INERT_POLICY_APIS


def allows_traffic_unmodelled(obj: KubeObject) -> bool:
    """A kind that may allow traffic and that the engine does not evaluate."""
    if is_modelled_policy(obj) or is_inert_policy(obj):
        return False
    return obj.group in TRAFFIC_GROUPS or obj.kind.endswith(_TRAFFIC_SUFFIXES)


def is_reviewed(obj: KubeObject, patterns: Iterable[str]) -> bool:
    """Listed in reviewedKinds: by `group/Kind`, or by `group/Kind namespace/name` for one object."""
    names = (kind_name(obj), f"{kind_name(obj)} {obj.identity}")
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


def may_run_unseen_pods(obj: KubeObject, modelled_workload: bool) -> bool:
    """A custom resource or Helm Release that may run pods the pack does not see."""
    if modelled_workload or obj.group in BUILT_IN_GROUPS or kind_name(obj) in INERT_KINDS:
        return False
    return not allows_traffic_unmodelled(obj)
