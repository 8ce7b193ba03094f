"""An attacker's review of the pack: other spellings of issue 9's mechanisms, the cluster tiers.

Each test is a stack that breaks a mandatory rule's intent (it must fail) beside its legal twin
(it must pass). A bypass the pack does not close yet is `xfail(strict=True)`, its reason naming the
mechanism, so that the test turns into a failure the day someone closes it.
"""

from __future__ import annotations

import pytest

from policy import manifests as m
from policy.pack_harness import by_policy, run
from policy.test_soundness import by_name, ingress_from, path_to_training

POD_NETWORK = {rule: {"podCidrs": ["10.244.0.0/16"], "serviceCidrs": ["10.96.0.0/12"]}
               for rule in ("namespace-default-deny", "role-isolation", "egress-allowlist", "trust-tier-guardrails")}
TIERS = "policy.networking.k8s.io"


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def messages(found: dict, rule: str) -> str:
    return " | ".join(f.message for f in found.get(rule, []))


# --- IPv4-mapped IPv6 CIDRs: Go's net.IPNet (API server, CNIs) reads them as the IPv4 CIDR -------

def test_an_ipv4_mapped_block_over_the_pod_network_may_match_pods():
    mapped = {"ipBlock": {"cidr": "::ffff:10.244.0.0/112"}}  # 10.244.0.0/16 to a Go CNI
    found = violations(m.base_stack() + path_to_training(mapped, mapped), POD_NETWORK)
    assert "inference ai-serving/llm can reach training ai-training/trainer" in messages(found, "role-isolation")
    outside = {"ipBlock": {"cidr": "::ffff:203.0.113.0/120"}}
    assert violations(m.base_stack() + path_to_training(outside, outside), POD_NETWORK) == {}


def test_the_ipv4_mapped_block_of_every_ipv4_address_is_allow_all():
    found = violations(m.base_stack() + [ingress_from({"ipBlock": {"cidr": "::ffff:0.0.0.0/96"}})])
    assert "admits most addresses of an IP family" in messages(found, "no-allow-all")
    assert "no-allow-all" not in violations(m.base_stack() + [ingress_from({"ipBlock": {"cidr": "::ffff:203.0.113.0/120"}})])


def test_an_ipv4_mapped_egress_destination_is_the_ipv4_destination():
    def egress_to(cidr):
        return m.network_policy("ai-serving", "out", {
            "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": 443}]}]})
    assert violations(m.base_stack() + [egress_to("::ffff:203.0.113.0/120")]) == {}  # RFC 5737, allowed by default
    assert "egress-allowlist" in violations(m.base_stack() + [egress_to("::ffff:8.8.8.0/120")])


# --- the cluster tiers: a Namespace the stack does not declare may carry any label ----------

def admin(name: str, priority: int, subject: dict, **rules: list) -> dict:
    return {"apiVersion": f"{TIERS}/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": name},
            "spec": {"priority": priority, "subject": subject, **rules}}


def shadow_inference() -> list:
    """An inference Deployment in ai-shadow, a namespace the stack uses but does not declare."""
    return [m.default_deny("ai-shadow"), m.deployment("ai-shadow", "llm2", "inference")]


TEAM_X = {"namespaces": {"matchLabels": {"team": "x"}}}
TRAINING = {"namespaces": by_name("ai-training")}
SHADOW = {"namespaces": by_name("ai-shadow")}


def declared_shadow(**extra_labels: str) -> dict:
    namespace = m.namespace("ai-shadow")
    namespace["metadata"]["labels"].update(extra_labels)
    return namespace


def test_an_admin_accept_from_labelled_namespaces_may_admit_an_undeclared_one():
    tiers = [admin("in", 3, TRAINING, ingress=[{"action": "Allow", "from": [TEAM_X]}]),
             admin("out", 4, SHADOW, egress=[{"action": "Allow", "to": [TRAINING]}])]
    assert "role-isolation" in violations(m.base_stack() + [declared_shadow(team="x")] + shadow_inference() + tiers)
    assert violations(m.base_stack() + [declared_shadow()] + shadow_inference() + tiers) == {}
    found = violations(m.base_stack() + shadow_inference() + tiers)  # ai-shadow undeclared: it may be team=x
    assert "inference ai-shadow/llm2 can reach training ai-training/trainer" in messages(found, "role-isolation")


@pytest.mark.xfail(strict=True, reason="the tier side is widened (unknowns.widen_tiers; without the mesh-wide STRICT "
                                       "PeerAuthentication this stack fails role-isolation), but the mesh reads an undeclared "
                                       "namespace as outside the mesh, though it may carry istio-injection: enabled")
def test_an_admin_accept_for_labelled_namespaces_may_apply_to_an_undeclared_one():
    tiers = [admin("out", 3, TEAM_X, egress=[{"action": "Allow", "to": [TRAINING]}])]
    ingress = path_to_training({"namespaceSelector": by_name("ai-shadow")}, {})[0]
    assert violations(m.base_stack() + [declared_shadow()] + shadow_inference() + tiers + [ingress]) == {}
    found = violations(m.base_stack() + shadow_inference() + tiers + [ingress])
    assert "inference ai-shadow/llm2 can reach training ai-training/trainer" in messages(found, "role-isolation")


@pytest.mark.xfail(strict=True, reason="the tier side is widened (unknowns.widen_tiers; without the mesh-wide STRICT "
                                       "PeerAuthentication this stack fails role-isolation), but the mesh reads an undeclared "
                                       "namespace as outside the mesh, though it may carry istio-injection: enabled")
def test_an_admin_deny_on_a_missing_label_may_miss_an_undeclared_namespace():
    no_team = {"namespaces": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}}
    deny = admin("guard", 3, TRAINING, ingress=[{"action": "Deny", "from": [no_team]}])
    flow = path_to_training({"namespaceSelector": by_name("ai-shadow")}, {"namespaceSelector": by_name("ai-training")})
    for policy in flow[1:]:
        policy["metadata"]["namespace"] = "ai-shadow"
    assert violations(m.base_stack() + [declared_shadow()] + shadow_inference() + [deny] + flow) == {}
    found = violations(m.base_stack() + shadow_inference() + [deny] + flow)  # ai-shadow may carry team=...
    assert "inference ai-shadow/llm2 can reach training ai-training/trainer" in messages(found, "role-isolation")


# --- workload-identity: tokens and service accounts beyond the pod template ---------------------

def trainer_with(**spec) -> list:
    stack = m.base_stack()
    trainer = next(o for o in stack if o["kind"] == "Deployment" and o["metadata"]["name"] == "trainer")
    trainer["spec"]["template"]["spec"].update(spec)
    return stack


LEGACY_TOKEN = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                "metadata": {"name": "trainer-token", "namespace": "ai-training",
                             "annotations": {"kubernetes.io/service-account.name": "trainer"}}}


def test_a_legacy_service_account_token_secret_is_a_token_mount():
    plain = {**LEGACY_TOKEN, "type": "Opaque", "metadata": {"name": "trainer-token", "namespace": "ai-training"}}
    mounted = trainer_with(volumes=[{"name": "token", "secret": {"secretName": "trainer-token"}}])
    assert violations(mounted + [plain]) == {}
    assert "workload-identity" in violations(mounted + [LEGACY_TOKEN])


@pytest.mark.xfail(strict=True, reason="wrongly rejected: a pod that leaves automountServiceAccountToken unset "
                                       "takes its ServiceAccount's false; workload-identity, a resource rule, never sees it")
def test_a_service_account_that_turns_automount_off_is_enough():
    stack = trainer_with()
    trainer = next(o for o in stack if o["kind"] == "Deployment" and o["metadata"]["name"] == "trainer")
    del trainer["spec"]["template"]["spec"]["automountServiceAccountToken"]
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
               "metadata": {"name": "trainer", "namespace": "ai-training"}}
    assert "workload-identity" in violations(stack)  # the ServiceAccount's default mounts the token
    assert violations(stack + [account]) == {}


# --- spellings that were tried and are caught: kept so that they stay caught --------------------

PORTS_THAT_OPEN_8080 = [
    [{"port": 8000, "endPort": 9000}],
    [{"protocol": "TCP"}],
    [{}],
    [{"port": "p8080"}],  # the trainer's named container port
]


@pytest.mark.parametrize("ports", PORTS_THAT_OPEN_8080)
def test_port_spellings_that_cover_the_trainers_port_are_a_path(ports):
    paths = path_to_training({"namespaceSelector": by_name("ai-serving")}, {"namespaceSelector": by_name("ai-training")})
    paths[0]["spec"]["ingress"][0]["ports"] = ports
    assert "can reach training ai-training/trainer" in messages(violations(m.base_stack() + paths), "role-isolation")


def test_an_sctp_path_is_a_path():
    paths = path_to_training({"namespaceSelector": by_name("ai-serving")}, {"namespaceSelector": by_name("ai-training")})
    for policy in paths:
        (policy["spec"].get("ingress") or policy["spec"]["egress"])[0]["ports"] = [{"port": 8080, "protocol": "SCTP"}]
    assert "(SCTP 8080)" in messages(violations(m.base_stack() + paths), "role-isolation")


@pytest.mark.parametrize("spec", [
    {"podSelector": {}, "policyTypes": []},  # Ingress only
    {"podSelector": {}, "egress": []},  # no egress rule: Ingress only
    {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}]},
])
def test_a_default_deny_that_leaves_out_egress_leaves_egress_open(spec):
    stack = [o for o in m.base_stack() if not (o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "ai-training")]
    stack.append(m.network_policy("ai-training", "default-deny", spec))
    assert "namespace ai-training: Egress is open" in messages(violations(stack), "namespace-default-deny")
    both = m.network_policy("ai-training", "default-deny", {**spec, "policyTypes": ["Ingress", "Egress"]})
    assert violations(stack[:-1] + [both, m.dns_egress("ai-training")]) == {}


@pytest.mark.parametrize("api_version,kind", [(f"{TIERS}/v1alpha2", "AdminNetworkPolicy"),
                                              (f"{TIERS}/v1alpha1", "ClusterNetworkPolicy")])
def test_a_tier_kind_in_a_version_the_engine_does_not_read_fails_closed(api_version, kind):
    policy = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "open"},
              "spec": {"priority": 1, "tier": "Admin", "subject": TRAINING,
                       "ingress": [{"action": "Accept", "from": [{"namespaces": {}}]}]}}
    assert "may allow traffic the pack does not model" in messages(violations(m.base_stack() + [policy]),
                                                                    "role-isolation")


# --- a Patch is never "known later": failOnUnknown: false must not skip it ----------------------

LAX = {rule: {"failOnUnknown": False} for rule in ("namespace-default-deny", "role-isolation", "egress-allowlist",
                                                    "trust-tier-guardrails", "no-allow-all")}


def test_a_patch_that_opens_training_is_checked_even_when_unknowns_are_deferred():
    from policy.pack_harness import Resource, from_manifest

    opened = m.network_policy("ai-training", "default-deny", {
        "podSelector": {}, "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"namespaceSelector": by_name("ai-serving")}]}]})
    egress = path_to_training({}, {"namespaceSelector": by_name("ai-training")})[1]
    patch = from_manifest(opened)
    patch = Resource("kubernetes:networking.k8s.io/v1:NetworkPolicyPatch", "opened", patch.props)
    found = by_policy(run(m.resources(m.base_stack() + [egress]) + [patch], LAX))
    # `pulumi up` applies the patch as it is: no later run sees more of it than this preview.
    assert "a patch of an object the stack does not declare in full" in messages(found, "role-isolation")
    reviewed = {rule: {**LAX[rule], "reviewedKinds": ["networking.k8s.io/NetworkPolicy ai-training/default-deny"]}
                for rule in LAX if rule != "no-allow-all"}
    assert "role-isolation" not in by_policy(run(m.resources(m.base_stack() + [egress]) + [patch], reviewed))


def test_admin_policies_of_the_two_api_versions_cannot_be_ordered():
    deny = {"apiVersion": f"{TIERS}/v1alpha2", "kind": "ClusterNetworkPolicy", "metadata": {"name": "guard"},
            "spec": {"tier": "Admin", "priority": 5, "subject": TRAINING,
                     "ingress": [{"action": "Deny", "from": [{"namespaces": by_name("ai-serving")}]}]}}
    accept = admin("open", 6, TRAINING, ingress=[{"action": "Allow", "from": [{"namespaces": by_name("ai-serving")}]}])
    out = admin("out", 7, {"namespaces": by_name("ai-serving")}, egress=[{"action": "Allow", "to": [TRAINING]}])
    assert violations(m.base_stack() + [deny, out]) == {}  # one API: the Deny decides
    # An implementation that serves both evaluates one API first; which one, nothing says.
    assert "role-isolation" in violations(m.base_stack() + [deny, accept, out])


# --- Argo Rollout ephemeral metadata: known labels, written onto the pods ------------------------

@pytest.mark.parametrize("strategy", [
    {"canary": {"canaryMetadata": {"labels": {"netguard.io/role": "training"}}}},
    {"canary": {"stableMetadata": {"labels": {"netguard.io/role": "training"}}}},
    {"blueGreen": {"activeService": "lab", "previewMetadata": {"labels": {"netguard.io/role": "training"}}}},
])
def test_a_rollouts_ephemeral_labels_give_its_pods_their_role(strategy):
    from policy.test_soundness import custom, template

    rollout = custom("argoproj.io/v1alpha1", "Rollout", "ai-lab", "lab",
                     {"template": template("lab", "inference"), "strategy": strategy})
    by_app = path_to_training({"namespaceSelector": by_name("ai-serving")}, {"namespaceSelector": by_name("ai-lab")})
    by_app[0]["metadata"]["namespace"] = "ai-lab"
    by_app[0]["spec"]["podSelector"] = {"matchLabels": {"app.kubernetes.io/name": "lab"}}
    stack = m.base_stack() + m.isolated_namespace("ai-lab") + by_app
    found = violations(stack + [rollout])
    # The controller writes the strategy's labels onto the canary (stable, preview) pods: they are training pods.
    assert "inference ai-serving/llm can reach training ai-lab/lab" in messages(found, "role-isolation")
    plain = custom("argoproj.io/v1alpha1", "Rollout", "ai-lab", "lab", {"template": template("lab", "inference")})
    assert violations(stack + [plain]) == {}
