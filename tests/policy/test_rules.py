"""Each rule of the pack: the clean base stack passes, and each way of breaking it fails exactly one rule."""

from __future__ import annotations

import pytest

from policy import manifests as m
from policy.pack_harness import Resource, by_policy, from_manifest, run


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def only(found: dict, policy: str) -> list:
    assert set(found) == {policy}, {k: [f.message for f in v] for k, v in found.items()}
    return found[policy]


def is_object(o: dict, kind: str, ns: str, name: str) -> bool:
    metadata = o["metadata"]
    return o["kind"] == kind and metadata.get("namespace", metadata["name"]) == ns and metadata["name"] == name


def without(objects: list[dict], kind: str, ns: str, name: str) -> list[dict]:
    out = [o for o in objects if not is_object(o, kind, ns, name)]
    assert len(out) == len(objects) - 1, f"{kind} {ns}/{name} not in the stack"
    return out


def replace(objects: list[dict], kind: str, ns: str, name: str, new: dict) -> list[dict]:
    return without(objects, kind, ns, name) + [new]


STACK_RULES = ("namespace-default-deny", "role-isolation", "egress-allowlist", "trust-tier-guardrails")


def reviewed(*patterns: str) -> dict:
    """Config that lets the stack rules accept kinds the pack does not model, once reviewed."""
    return {rule: {"reviewedKinds": list(patterns)} for rule in STACK_RULES}


def test_the_base_stack_passes_every_rule():
    assert violations(m.base_stack()) == {}


# --- namespace-default-deny ---------------------------------------------------------------

def test_ingress_only_default_deny_leaves_egress_open():
    stack = replace(m.base_stack(), "NetworkPolicy", "ai-serving", "default-deny",
                    m.default_deny("ai-serving", types=["Ingress"]))
    # The DNS policy still isolates egress for every pod; drop it to leave egress really open.
    stack = without(stack, "NetworkPolicy", "ai-serving", "allow-dns")
    found = only(violations(stack), "namespace-default-deny")
    assert len(found) == 1
    assert "namespace ai-serving: Egress is open" in found[0].message
    assert "ai-serving/llm" in found[0].message and "podSelector: {}" in found[0].message


def test_a_namespace_without_policies_is_open_both_ways():
    stack = [o for o in m.base_stack() if not (o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "ai-training")]
    found = only(violations(stack), "namespace-default-deny")
    assert sorted(f.message.split(":")[1].strip() for f in found) == ["Egress is open", "Ingress is open"]
    assert all(f.urn.endswith("::ai-training") for f in found)


def test_default_deny_for_labelled_pods_only_leaves_new_pods_open():
    selective = m.network_policy("ai-training", "default-deny", {
        "podSelector": {"matchExpressions": [{"key": "netguard.io/role", "operator": "Exists"}]},
        "policyTypes": ["Ingress", "Egress"]})
    stack = replace(m.base_stack(), "NetworkPolicy", "ai-training", "default-deny", selective)
    found = only(violations(stack), "namespace-default-deny")
    assert [f.message.count("any new pod without labels") for f in found] == [1]
    assert "Ingress is open" in found[0].message  # DNS egress still isolates every pod for Egress


def test_namespaces_without_workloads_need_no_default_deny():
    stack = m.base_stack() + [m.namespace("ai-empty")]
    assert violations(stack) == {}


# --- no-allow-all -------------------------------------------------------------------------

def test_permissive_policy_inside_a_config_group_is_rejected():
    group = "urn:pulumi:test::ai-netguard::kubernetes:yaml/v2:ConfigGroup::vendor"
    allow_all = m.network_policy("ai-serving", "vendor-allow-all", {
        "podSelector": {}, "ingress": [{}]})
    stack = m.resources(m.base_stack()) + [from_manifest(allow_all, "vendor:ai-serving/vendor-allow-all", parent=group)]
    found = by_policy(run(stack))
    found = only(found, "no-allow-all")
    assert "NetworkPolicy ai-serving/vendor-allow-all: spec.ingress[0] has no `from`" in found[0].message


@pytest.mark.parametrize("namespace_selector", [
    {},
    {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]},
    {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "Exists"}]},
])
def test_a_peer_of_every_namespace_is_rejected(namespace_selector):
    policy = m.network_policy("ai-serving", "from-anywhere", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}},
        "ingress": [{"from": [{"namespaceSelector": namespace_selector}], "ports": [{"port": 8080}]}]})
    found = only(violations(m.base_stack() + [policy]), "no-allow-all")
    assert "spec.ingress[0].from[0] admits pods of every namespace" in found[0].message


def test_every_namespace_limited_by_a_pod_selector_is_accepted():
    policy = m.network_policy("ai-serving", "from-gateways", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}},
        "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"netguard.io/role": "gateway"}}}]}]})
    assert violations(m.base_stack() + [policy]) == {}


def test_egress_to_every_peer_is_rejected_and_exceptions_are_honoured():
    policy = m.network_policy("ai-serving", "egress-anywhere", {
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 443}]}]})
    found = only(violations(m.base_stack() + [policy]), "no-allow-all")
    assert "spec.egress[0] has no `to`" in found[0].message
    assert violations(m.base_stack() + [policy], {"no-allow-all": {"exceptions": ["ai-serving/egress-*"]}}) == {}


def test_a_malformed_network_policy_is_a_violation_naming_the_field():
    broken = m.network_policy("ai-serving", "broken", {
        "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.300/8"}}]}]})
    found = violations(m.base_stack() + [broken])
    # Every rule that needed the policy says so: none passes over what it could not read.
    assert set(found) == {"no-allow-all", *STACK_RULES}
    assert all("spec.ingress[0].from[0].ipBlock.cidr" in items[0].message for items in found.values())


# --- egress-allowlist ---------------------------------------------------------------------

def egress_to(ns: str, name: str, *blocks: dict) -> dict:
    return m.network_policy(ns, name, {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": block} for block in blocks], "ports": [{"port": 443}]}]})


def test_an_approved_destination_passes():
    assert violations(m.base_stack() + [egress_to("ai-serving", "to-store", {"cidr": "203.0.113.0/24"})]) == {}


def test_the_internet_in_two_halves_is_rejected():
    policy = egress_to("ai-serving", "to-internet", {"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"})
    found = only(violations(m.base_stack() + [policy]), "egress-allowlist")
    assert sorted(f.message.split(" opens")[0].split(" together")[0] for f in found) == [
        "Deployment ai-serving/llm: its egress ipBlocks",
        "NetworkPolicy ai-serving/to-internet: spec.egress[0].to[0].ipBlock",
        "NetworkPolicy ai-serving/to-internet: spec.egress[0].to[1].ipBlock"]
    assert all("allowedEgressCidrs" in f.message for f in found)


def test_the_internet_in_pieces_across_policies_fails_even_when_each_piece_is_listed():
    halves = ["0.0.0.0/1", "128.0.0.0/1"]
    stack = m.base_stack() + [egress_to("ai-serving", "low-half", {"cidr": halves[0]}),
                              egress_to("ai-serving", "high-half", {"cidr": halves[1]})]
    found = only(violations(stack, {"egress-allowlist": {"allowedEgressCidrs": halves}}), "egress-allowlist")
    assert len(found) == 1
    assert "Deployment ai-serving/llm: its egress ipBlocks together open every IPv4 address" in found[0].message
    assert "NetworkPolicy ai-serving/high-half rule 1" in found[0].message
    assert violations(stack, {"egress-allowlist": {"allowedEgressCidrs": halves + ["0.0.0.0/0"]}}) == {}


def test_an_except_narrows_what_a_block_opens():
    inside = egress_to("ai-serving", "mostly-store", {"cidr": "203.0.112.0/23", "except": ["203.0.112.0/24"]})
    assert violations(m.base_stack() + [inside]) == {}
    wide = egress_to("ai-serving", "world-but-private", {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]})
    assert "0.0.0.0/0 except 10.0.0.0/8" in only(violations(m.base_stack() + [wide]), "egress-allowlist")[0].message


def test_ipv6_everywhere_is_rejected():
    found = only(violations(m.base_stack() + [egress_to("ai-serving", "v6", {"cidr": "::/0"})]), "egress-allowlist")
    assert "::/0" in found[0].message


def cilium_fqdn(pattern_key: str, value: str) -> dict:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "to-hub", "namespace": "ai-serving"},
            "spec": {"endpointSelector": {"matchLabels": {"netguard.io/role": "inference"}},
                     "egress": [{"toFQDNs": [{pattern_key: value}]}]}}


@pytest.mark.parametrize("key,value,allowed", [
    ("matchName", "models.example.com", True),
    ("matchPattern", "*.example.com", True),
    ("matchPattern", "*", False),
    ("matchName", "huggingface.co", False),
    ("matchName", "example.com.evil.io", False),
])
def test_cilium_fqdn_rules_stay_inside_the_domain_allowlist(key, value, allowed):
    found = violations(m.base_stack() + [cilium_fqdn(key, value)], reviewed("cilium.io/*"))
    if allowed:
        assert found == {}
    else:
        assert f"spec.egress[0].toFQDNs[0].{key}" in only(found, "egress-allowlist")[0].message


def test_admin_network_policy_domains_and_networks_are_checked_only_when_they_allow():
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "egress"},
           "spec": {"priority": 10, "subject": {"namespaces": {}},
                    "egress": [{"name": "deny-all", "action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]},
                               {"name": "hub", "action": "Allow", "to": [{"domainNames": ["*.evil.io"]}]}]}}
    config = {**reviewed("policy.networking.k8s.io/*"), "no-allow-all": {"exceptions": ["egress"]}}
    found = only(violations(m.base_stack() + [anp], config), "egress-allowlist")
    assert len(found) == 1 and "spec.egress[1].to[0].domainNames[0]" in found[0].message


def test_an_invalid_cidr_is_named():
    cilium = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
              "metadata": {"name": "bad", "namespace": "ai-serving"},
              "spec": {"endpointSelector": {}, "egress": [{"toCIDR": ["10.0.0.300/8"]}]}}
    found = violations(m.base_stack() + [cilium], reviewed("cilium.io/*"))
    assert "spec.egress[0].toCIDR[0]: '10.0.0.300/8'" in found["egress-allowlist"][0].message
    # the engine reads Cilium policies now: a malformed one fails the stack rules closed too, named
    assert all("spec.egress[0].toCIDR[0]" in f.message for fs in found.values() for f in fs)


def test_a_bad_allowlist_config_fails_closed():
    policy = egress_to("ai-serving", "to-store", {"cidr": "203.0.113.0/24"})
    found = only(violations(m.base_stack() + [policy], {"egress-allowlist": {"allowedEgressCidrs": ["not-a-cidr"]}}),
                 "egress-allowlist")
    assert "allowedEgressCidrs" in found[0].message


# --- role-isolation -----------------------------------------------------------------------

def test_inference_reaching_training_through_match_expressions_is_found():
    by_expression = {"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["ai-serving", "ai-batch"]}]},
        "podSelector": {"matchExpressions": [{"key": "netguard.io/role", "operator": "In", "values": ["inference"]}]}}
    ingress = m.network_policy("ai-training", "from-serving", {
        "podSelector": {"matchLabels": {"netguard.io/role": "training"}},
        "ingress": [{"from": [by_expression], "ports": [{"port": 8080}]}]})
    egress = m.network_policy("ai-serving", "to-trainer", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "ai-gateway"]}]},
            "podSelector": {"matchLabels": {"netguard.io/role": "training"}}}]}]})
    found = only(violations(m.base_stack() + [ingress, egress]), "role-isolation")
    assert len(found) == 1
    message = found[0].message
    assert message.startswith("inference ai-serving/llm can reach training ai-training/trainer (TCP 8080)")
    assert "NetworkPolicy ai-training/from-serving selects ai-training/trainer; rule 1 admits" in message
    assert "NetworkPolicy ai-serving/to-trainer selects ai-serving/llm; rule 1 admits" in message
    assert found[0].urn.endswith("::ai-training-trainer")


def test_an_unisolated_notebook_reaching_training_is_found_on_every_port():
    stack = m.base_stack() + m.isolated_namespace("ai-notebooks")[:1] + [
        m.deployment("ai-notebooks", "lab", "notebook"),
        m.network_policy("ai-training", "from-notebooks", {
            "podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "ai-notebooks"}}}]}]})]
    found = violations(stack)
    assert set(found) == {"role-isolation", "namespace-default-deny"}
    message = found["role-isolation"][0].message
    assert "notebook ai-notebooks/lab can reach training ai-training/trainer (SCTP 1-65535; TCP 1-65535; UDP 1-65535)" in message
    assert "egress of ai-notebooks/lab: allowed, not isolated" in message


def test_forbidden_pairs_are_configurable():
    stack = m.base_stack()
    found = only(violations(stack, {"role-isolation": {"forbiddenRolePairs": [{"from": "gateway", "to": "inference"}]}}),
                 "role-isolation")
    assert "gateway ai-gateway/router can reach inference ai-serving/llm (TCP 8080)" in found[0].message


# --- workload-identity --------------------------------------------------------------------

def test_a_cron_job_with_host_network_is_rejected():
    stack = m.base_stack() + [m.cron_job("ai-training", "nightly", "training", hostNetwork=True)]
    found = only(violations(stack), "workload-identity")
    assert len(found) == 1
    assert "CronJob ai-training/nightly: spec.jobTemplate.spec.template.spec.hostNetwork is true" in found[0].message


@pytest.mark.parametrize("overrides,expected", [
    ({"serviceAccountName": "default"}, "spec.template.spec.serviceAccountName is 'default'"),
    ({"serviceAccountName": None}, "spec.template.spec.serviceAccountName is missing"),
    ({"automountServiceAccountToken": None}, "automountServiceAccountToken is not set"),
    ({"automountServiceAccountToken": True}, "automountServiceAccountToken is True"),
    ({"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}]},
     "spec.template.spec.containers[0].ports[0].hostPort is 8080"),
])
def test_service_account_and_host_port_hygiene(overrides, expected):
    stack = replace(m.base_stack(), "Deployment", "ai-serving", "llm",
                    m.deployment("ai-serving", "llm", "inference", **overrides))
    found = violations(stack)
    messages = [f.message for f in found.get("workload-identity", [])]
    assert any(expected in message for message in messages), messages
    assert set(found) <= {"workload-identity"}


def test_token_automount_can_be_allowed_per_workload():
    stack = replace(m.base_stack(), "Deployment", "ai-serving", "llm",
                    m.deployment("ai-serving", "llm", "inference", automountServiceAccountToken=True))
    assert violations(stack, {"workload-identity": {"allowTokenAutomount": ["ai-serving/*"]}}) == {}


def test_missing_and_unknown_identity_labels_are_rejected():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "ai-serving",
                                                           "labels": {"netguard.io/role": "shell"}},
           "spec": m.pod_spec("debug")}
    found = only(violations(m.base_stack() + [pod]), "workload-identity")
    messages = " | ".join(f.message for f in found)
    assert "Pod ai-serving/debug: metadata.labels.netguard.io/role is 'shell'" in messages
    assert "metadata.labels lacks netguard.io/data-class" in messages


def test_a_workload_without_a_pod_template_is_a_violation_not_a_crash():
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broken", "namespace": "ai-serving"},
              "spec": "not a mapping"}
    found = violations(m.base_stack() + [broken])
    assert "spec.template" in found["workload-identity"][0].message


# --- namespace-pod-security ---------------------------------------------------------------

@pytest.mark.parametrize("enforce", [None, "baseline", "privileged"])
def test_namespaces_must_enforce_restricted(enforce):
    stack = replace(m.base_stack(), "Namespace", "ai-serving", "ai-serving", m.namespace("ai-serving", enforce=enforce))
    found = only(violations(stack), "namespace-pod-security")
    assert "Namespace ai-serving: metadata.labels.pod-security.kubernetes.io/enforce is" in found[0].message


def test_system_namespaces_are_exempt():
    assert violations(m.base_stack() + [m.namespace("kube-system", enforce=None)]) == {}


# --- resources the pack has never seen --------------------------------------------------

def test_an_unmodelled_custom_resource_fails_closed_until_reviewed_and_other_providers_are_ignored():
    widget = Resource("kubernetes:example.com/v1:Widget", "w", {"apiVersion": "example.com/v1", "kind": "Widget",
                                                                "spec": {"anything": [1, {"x": None}]}})
    bucket = Resource("aws:s3/bucket:Bucket", "b", {"acl": "private"})
    found = by_policy(run(m.resources(m.base_stack()) + [widget, bucket]))
    assert set(found) == set(STACK_RULES)
    for items in found.values():
        assert "Widget default/w: example.com/v1 Widget is a custom resource that may run pods" in items[0].message
        assert "`example.com/Widget`" in items[0].message and "reviewedKinds" in items[0].message
    assert by_policy(run(m.resources(m.base_stack()) + [widget, bucket], reviewed("example.com/Widget"))) == {}


def test_ingress_from_every_address_is_rejected_by_no_allow_all():
    policy = m.network_policy("ai-serving", "from-internet", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 8080}]}]})
    found = only(violations(m.base_stack() + [policy]), "no-allow-all")
    assert "spec.ingress[0].from admits most addresses of an IP family (::/0)" in found[0].message


def test_a_network_policy_patch_is_checked_like_a_policy_and_fails_closed_in_the_stack():
    patch = m.network_policy("ai-serving", "default-deny", {"ingress": [{}]})
    resource = from_manifest(patch)
    resource = Resource("kubernetes:networking.k8s.io/v1:NetworkPolicyPatch", "patch", resource.props)
    found = by_policy(run(m.resources(m.base_stack()) + [resource]))
    assert set(found) == {"no-allow-all", "namespace-default-deny", "role-isolation", "egress-allowlist",
                          "trust-tier-guardrails"}
    assert "has no `from`" in found["no-allow-all"][0].message
    for rule in ("namespace-default-deny", "role-isolation", "egress-allowlist", "trust-tier-guardrails"):
        assert all("patch of an object" in f.message for f in found[rule])


@pytest.mark.parametrize("api_version,kind", [
    ("crd.antrea.io/v1beta1", "ClusterNetworkPolicy"),
    ("networking.k8s.io/v1beta1", "NetworkPolicy"),
])
def test_a_network_policy_kind_the_pack_cannot_read_fails_closed(api_version, kind):
    unread = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "vendor", "namespace": "ai-serving"},
              "spec": {"ingress": [{"action": "Allow"}]}}
    found = violations(m.base_stack() + [unread])
    assert f"the pack cannot read {api_version} {kind}" in found["no-allow-all"][0].message
    assert set(found) == {"no-allow-all", *STACK_RULES}  # it may allow traffic: no connectivity is proven
    assert all("may allow traffic the pack does not model" in found[rule][0].message for rule in STACK_RULES)
    config = {**reviewed(f"{api_version.split('/')[0]}/{kind}"),
              "no-allow-all": {"exceptions": ["ai-serving/vendor", "vendor"]}}  # namespaced, cluster-scoped
    assert violations(m.base_stack() + [unread], config) == {}


@pytest.mark.parametrize("entity", ["all", "cluster", "world"])
def test_cilium_entities_that_admit_everyone_are_rejected(entity):
    cilium = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
              "metadata": {"name": "open", "namespace": "ai-serving"},
              "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": [entity]}]}}
    found = only(violations(m.base_stack() + [cilium], reviewed("cilium.io/*")), "no-allow-all")
    assert f"spec.ingress[0].fromEntities has {entity}" in found[0].message


def test_a_cilium_policy_for_named_endpoints_passes():
    cilium = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
              "metadata": {"name": "narrow", "namespace": "ai-serving"},
              "spec": {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "x"}}]}],
                       "egress": [{"toEntities": ["kube-apiserver"]}]}}
    assert violations(m.base_stack() + [cilium], reviewed("cilium.io/*")) == {}
    # The engine evaluates Cilium policies: no review is needed for the stack rules to pass.
    assert violations(m.base_stack() + [cilium]) == {}


def test_egress_rules_of_an_ingress_only_policy_open_nothing_and_pass():
    ignored = m.network_policy("ai-serving", "ingress-only", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [m.peer("ai-gateway", "gateway")]}],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    assert violations(m.base_stack() + [ignored]) == {}


def test_an_allow_all_rule_in_a_direction_the_policy_does_not_have_is_inert():
    inert = m.network_policy("ai-serving", "egress-only", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Egress"],
        "ingress": [{}], "egress": [{"to": [m.peer("ai-data", "vector-store")]}]})
    assert "no-allow-all" not in violations(m.base_stack() + [inert])
    defaulted = m.network_policy("ai-serving", "defaulted", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "ingress": [{}]})
    assert "has no `from`" in only(violations(m.base_stack() + [defaulted]), "no-allow-all")[0].message


def test_an_extensions_v1beta1_network_policy_is_read_like_a_v1_one():
    old = m.network_policy("ai-serving", "legacy", {"podSelector": {}, "ingress": [{}]})
    old["apiVersion"] = "extensions/v1beta1"
    assert "has no `from`" in only(violations(m.base_stack() + [old]), "no-allow-all")[0].message
