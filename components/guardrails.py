"""AiGuardrails: cluster-wide tier policies that namespace owners cannot override.

From the inventory's trust tiers and data classes, in the sig-network API the cluster serves
(`platform.clusterPolicyApi`: ClusterNetworkPolicy v1alpha2, AdminNetworkPolicy /
BaselineAdminNetworkPolicy v1alpha1, or none):

- Admin 100 `netguard-guardrail-dns`: every AI pod may reach the cluster DNS pods on 53/UDP and
  53/TCP (Accept), whatever the NetworkPolicies say;
- Admin 110 `netguard-guardrail-metadata`: no AI pod reaches the cloud metadata endpoints
  (169.254.169.254/32, fd00:ec2::254/128), ever (Deny);
- Admin 115 `netguard-guardrail-flows-to-<namespace>-<workload>` / `-flows-from-<namespace>-<source>`:
  each declared cross-namespace flow is Passed to the NetworkPolicies, on the destination
  workload's ingress and the source's egress, on the flow's ports only. These policies only Pass,
  so at one priority they never disagree;
- Admin 120 `netguard-guardrail-<namespace>`, one per AI namespace: traffic inside the namespace is
  Passed to the NetworkPolicies; ingress from an AI namespace of a lower trust tier (untrusted <
  standard < trusted) or a lower data class (public < internal < confidential < restricted) is
  Denied, and so is egress to an AI namespace of a lower data class (data must not flow down the
  classes undeclared). They share one priority on purpose: each selects one namespace, so no two
  can ever match one connection;
- Baseline 900 `netguard-guardrail-default-deny` (the v1alpha1 BaselineAdminNetworkPolicy
  `default`): what no NetworkPolicy decides is denied, so deleting a namespace's baseline
  NetworkPolicy still leaves it closed.

Priorities 0-99 and 200-1000 of the Admin tier, and 0-899 of the Baseline tier, are left to the
organisation's own policies (above ours, between ours and the NetworkPolicies, before our default).
Subjects and peers name namespaces by `kubernetes.io/metadata.name`, which no tenant can forge.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from netguard import labels

from . import identity
from .inventory import FlowSpec, Inventory, InventoryError, NamespaceSpec
from .inventory.errors import CONFIG_KEY
from .mesh import mesh_provider

GROUP = "policy.networking.k8s.io"
PRIORITIES = MappingProxyType({"dns": 100, "metadata": 110, "flows": 115, "tiers": 120, "default-deny": 900})
METADATA_ENDPOINTS = ("169.254.169.254/32", "fd00:ec2::254/128")
EVERYWHERE = ("0.0.0.0/0", "::/0")
MAX_RULES = 25  # per direction in ClusterNetworkPolicy (AdminNetworkPolicy allows 100)
NO_GUARDRAILS = "clusterPolicyApi is none: no cluster-wide guardrails were emitted; namespace owners' NetworkPolicies are the only layer"


def check(inv: Inventory) -> None:
    """Raise InventoryError, before anything is created, when the guardrails cannot be written."""
    if inv.platform.cluster_policy_api == "none":
        return
    problems = [f"{CONFIG_KEY}.flows: {name} would need {len(rules)} {direction} rules (one per declared "
                f"flow); the API allows {MAX_RULES}: declare the flows by role"
                for name, _, direction, rules in _flow_policies(inv) if len(rules) > MAX_RULES]
    if problems:
        raise InventoryError(problems)


@dataclass(frozen=True)
class AiGuardrailsArgs:
    inventory: Inventory


def rank(ns: NamespaceSpec) -> tuple[int, int]:
    return labels.TRUST_TIERS.index(ns.trust_tier), labels.DATA_CLASSES.index(ns.data_class)


def _names(names) -> dict:
    return {"namespaces": {"matchExpressions": [
        {"key": labels.NAMESPACE_NAME, "operator": "In", "values": sorted(names)}]}}


def _one(name: str) -> dict:
    return {"namespaces": identity.namespace_selector(name)}


def _ports(ports) -> list[tuple[int, str]]:
    return sorted({(p.port, p.protocol) for p in ports})


# --- the plan: API-neutral rules (name, action, peers, ports) --------------------------------------
Rule = tuple[str, str, list, list]  # (name, Accept|Deny|Pass, peers, [(port, protocol)])


def dns_rules(inv: Inventory) -> list[Rule]:
    dns = inv.platform.dns
    pods = {"pods": {"namespaceSelector": identity.namespace_selector(dns.namespace),
                     "podSelector": {"matchLabels": dict(dns.pod_labels)}}}
    return [("cluster-dns", "Accept", [pods], [(53, "UDP"), (53, "TCP")])]


def tier_rules(inv: Inventory, ns: NamespaceSpec) -> tuple[list[Rule], list[Rule]]:
    """(ingress, egress) of one namespace's tier-ordering policy (declared flows were Passed before it)."""
    lower_trust_or_class = [o.name for o in inv.namespaces if o.name != ns.name
                            and (rank(o)[0] < rank(ns)[0] or rank(o)[1] < rank(ns)[1])]
    lower_class = [o.name for o in inv.namespaces if o.name != ns.name and rank(o)[1] < rank(ns)[1]]
    ingress: list[Rule] = [("same-namespace", "Pass", [_one(ns.name)], [])]
    egress: list[Rule] = [("same-namespace", "Pass", [_one(ns.name)], [])]
    if lower_trust_or_class:
        ingress.append(("lower-tiers-and-classes", "Deny", [_names(lower_trust_or_class)], []))
    if lower_class:
        egress.append(("lower-data-classes", "Deny", [_names(lower_class)], []))
    return ingress, egress


def _pods(namespace: str, selector: dict) -> dict:
    return {"pods": {"namespaceSelector": identity.namespace_selector(namespace),
                     "podSelector": {"matchLabels": selector}}}


def _source_selector(inv: Inventory, flow: FlowSpec) -> dict:
    src = flow.source
    return identity.selector(inv.workload(src.namespace, src.workload)) if src.workload else identity.role_selector(src.role)


def flow_policies(inv: Inventory) -> list[tuple[str, dict, str, list[Rule]]]:
    check(inv)
    return _flow_policies(inv)


def _flow_policies(inv: Inventory) -> list[tuple[str, dict, str, list[Rule]]]:
    """Declared cross-namespace flows as Pass rules: (name, subject, direction, rules).

    Each destination workload gets one ingress policy (its declared sources, on their ports) and
    each source (a workload, or a role of a namespace) one egress policy (its declared
    destinations). All Pass and nothing else, so policies of this priority never disagree.
    """
    inbound: dict[tuple[str, str], list[FlowSpec]] = {}
    outbound: dict[tuple[str, str], list[FlowSpec]] = {}
    for flow in sorted(inv.flows, key=lambda f: f.key):
        if flow.source.namespace == flow.to.namespace:
            continue  # inside a namespace: Passed by its tier policy
        inbound.setdefault((flow.to.namespace, flow.to.workload), []).append(flow)
        src = flow.source
        outbound.setdefault((src.namespace, src.workload or f"role-{src.role}"), []).append(flow)
    # The mesh's own tunnel (ambient's HBONE) carries the flows between meshed pods: Passed with them.
    tunnel = list(mesh_provider(inv.platform.mesh).datapath_ports()) if inv.platform.mesh else []
    out = []
    for (namespace, workload), flows in sorted(inbound.items()):
        dst = inv.workload(namespace, workload)
        rules = [(f"from-{_slug(f.source.key)}", "Pass", [_pods(f.source.namespace, _source_selector(inv, f))],
                  _ports(dst.port(n) for n in f.ports) + tunnel) for f in flows]
        out.append((f"netguard-guardrail-flows-to-{namespace}-{workload}",
                    {"pods": _pods(namespace, identity.selector(dst))["pods"]}, "ingress", rules))
    for (namespace, source), flows in sorted(outbound.items()):
        rules = []
        for f in flows:
            dst = inv.workload(f.to.namespace, f.to.workload)
            rules.append((f"to-{_slug(f.to.key)}", "Pass", [_pods(dst.namespace, identity.selector(dst))],
                          _ports(dst.port(n) for n in f.ports) + tunnel))
        subject = {"pods": _pods(namespace, _source_selector(inv, flows[0]))["pods"]}
        out.append((f"netguard-guardrail-flows-from-{namespace}-{source}", subject, "egress", rules))
    return out


def _slug(key: str) -> str:
    return key.replace("/", "-").replace("role=", "role-")


# --- rendering: one API version ---------------------------------------------------------------------
def _rule(rule: Rule, direction: str, api: str) -> dict:
    name, action, peers, ports = rule
    if api == "v1alpha1" and action == "Accept":
        action = "Allow"
    out: dict = {"name": name, "action": action, ("from" if direction == "ingress" else "to"): peers}
    if ports and api == "v1alpha2":
        out["protocols"] = [{proto.lower(): {"destinationPort": {"number": port}}} for port, proto in ports]
    elif ports:
        out["ports"] = [{"portNumber": {"protocol": proto, "port": port}} for port, proto in ports]
    return out


def _metadata(name: str, part_of: str) -> dict:
    return {"name": name, "labels": {labels.LAYER: labels.LAYER_GUARDRAIL, labels.APP_PART_OF: part_of,
                                     labels.APP_MANAGED_BY: labels.MANAGED_BY}}


def _policy(api: str, name: str, tier: str, priority: int, subject: dict, part_of: str,
            ingress: list[Rule] = (), egress: list[Rule] = ()) -> dict:
    spec: dict = {"subject": subject}
    if ingress:
        spec["ingress"] = [_rule(r, "ingress", api) for r in ingress]
    if egress:
        spec["egress"] = [_rule(r, "egress", api) for r in egress]
    if api == "v1alpha2":
        return {"apiVersion": f"{GROUP}/v1alpha2", "kind": "ClusterNetworkPolicy", "metadata": _metadata(name, part_of),
                "spec": {"tier": tier, "priority": priority, **spec}}
    if tier == "Admin":
        return {"apiVersion": f"{GROUP}/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": _metadata(name, part_of),
                "spec": {"priority": priority, **spec}}
    # The v1alpha1 baseline is a cluster singleton that must be named "default".
    return {"apiVersion": f"{GROUP}/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": _metadata("default", part_of), "spec": spec}


def guardrail_manifests(inv: Inventory) -> list[dict]:
    """The guardrails as Kubernetes objects, in the inventory's API; none: an empty list."""
    api = inv.platform.cluster_policy_api
    if api == "none":
        return []
    ai = [ns.name for ns in inv.namespaces]
    everyone, part_of = _names(ai), inv.part_of
    docs = [
        _policy(api, "netguard-guardrail-dns", "Admin", PRIORITIES["dns"], everyone, part_of, egress=dns_rules(inv)),
        _policy(api, "netguard-guardrail-metadata", "Admin", PRIORITIES["metadata"], everyone, part_of,
                egress=[("cloud-metadata", "Deny", [{"networks": list(METADATA_ENDPOINTS)}], [])]),
    ]
    for name, subject, direction, rules in flow_policies(inv):
        docs.append(_policy(api, name, "Admin", PRIORITIES["flows"], subject, part_of, **{direction: rules}))
    for ns in sorted(inv.namespaces, key=lambda n: n.name):
        ingress, egress = tier_rules(inv, ns)
        docs.append(_policy(api, f"netguard-guardrail-{ns.name}", "Admin", PRIORITIES["tiers"],
                            _one(ns.name), part_of, ingress, egress))
    docs.append(_policy(
        api, "netguard-guardrail-default-deny", "Baseline", PRIORITIES["default-deny"], everyone, part_of,
        ingress=[("default-deny", "Deny", [{"namespaces": {}}], [])],
        egress=[("default-deny", "Deny", [{"namespaces": {}}, {"networks": list(EVERYWHERE)}], [])],
    ))
    return docs


class AiGuardrails(pulumi.ComponentResource):
    """The cluster tiers above and below every namespace's NetworkPolicies."""

    api: str
    policies: list[str]

    def __init__(self, name: str, args: AiGuardrailsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiGuardrails", name, None, opts)
        inv = args.inventory
        self.api = inv.platform.cluster_policy_api
        self.policies = []
        for doc in guardrail_manifests(inv):
            logical = f"guardrail/{doc['kind']}/{doc['metadata']['name']}"
            k8s.apiextensions.CustomResource(
                logical, api_version=doc["apiVersion"], kind=doc["kind"], metadata=doc["metadata"],
                spec=doc["spec"], opts=pulumi.ResourceOptions(parent=self))
            self.policies.append(f"{doc['kind']}/{doc['metadata']['name']}")
        outputs: dict = {"api": self.api, "policies": self.policies, "priorities": dict(PRIORITIES)}
        if self.api == "none":
            outputs["note"] = NO_GUARDRAILS
        self.register_outputs(outputs)
