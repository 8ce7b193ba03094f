"""The pack is sound: each way of hiding a broken intent fails a mandatory rule, and its legal twin passes.

One section per category of issue 9. Every failing stack below passed the pack before; each twin
is the same stack written legally, so that the fix cannot be "fail everything".
"""

from __future__ import annotations

import copy

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy import manifests as m
from policy.pack_harness import Provider, by_policy, from_manifest, run

STACK_RULES = ("namespace-default-deny", "role-isolation", "egress-allowlist", "trust-tier-guardrails")
CONNECTIVITY = (*STACK_RULES, "no-allow-all")


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def messages(found: dict, rule: str) -> str:
    return " | ".join(f.message for f in found.get(rule, []))


def reviewed(*patterns: str) -> dict:
    return {rule: {"reviewedKinds": list(patterns)} for rule in STACK_RULES}


def replaced(stack: list, kind: str, ns: str, name: str, new: dict) -> list:
    out = [o for o in stack if not (o["kind"] == kind and o["metadata"].get("namespace", o["metadata"]["name"]) == ns
                                    and o["metadata"]["name"] == name)]
    assert len(out) == len(stack) - 1
    return out + [new]


def with_default_deny_selecting(stack: list, ns: str, pod_selector: dict) -> list:
    deny = m.network_policy(ns, "default-deny", {"podSelector": pod_selector, "policyTypes": ["Ingress", "Egress"]})
    return replaced(stack, "NetworkPolicy", ns, "default-deny", deny)


def path_to_training(ingress_peer: dict, egress_peer: dict, port: int = 8080) -> list:
    """Ingress on the trainer from ``ingress_peer`` and egress of inference to ``egress_peer``."""
    return [
        m.network_policy("ai-training", "from-peer", {
            "podSelector": {"matchLabels": {"netguard.io/role": "training"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [ingress_peer], "ports": [{"port": port}]}]}),
        m.network_policy("ai-serving", "to-peer", {
            "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [egress_peer], "ports": [{"port": port}]}]}),
    ]


def by_name(ns: str) -> dict:
    return {"matchLabels": {"kubernetes.io/metadata.name": ns}}


def stateful_set(ns: str, name: str, role: str) -> dict:
    deployment = m.deployment(ns, name, role)
    return {**deployment, "kind": "StatefulSet", "spec": {**deployment["spec"], "serviceName": name}}


def job(ns: str, name: str, role: str, **spec: object) -> dict:
    deployment = m.deployment(ns, name, role)
    template = deployment["spec"]["template"]
    template["spec"]["restartPolicy"] = "Never"
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": ns},
            "spec": {"template": template, **spec}}


# --- 1. labels the model never sees ------------------------------------------------------

@pytest.mark.parametrize("workload,selector", [
    (m.deployment("ai-training", "trainer", "training"), {"key": "pod-template-hash", "operator": "DoesNotExist"}),
    (stateful_set("ai-training", "trainer", "training"),
     {"key": "statefulset.kubernetes.io/pod-name", "operator": "NotIn", "values": ["trainer-0"]}),
    (stateful_set("ai-training", "trainer", "training"), {"key": "apps.kubernetes.io/pod-index", "operator": "NotIn",
                                                          "values": ["0"]}),
    (job("ai-training", "trainer", "training"), {"key": "controller-uid", "operator": "DoesNotExist"}),
    (m.cron_job("ai-training", "trainer", "training"), {"key": "job-name", "operator": "NotIn",
                                                        "values": ["trainer-29000000"]}),
])
def test_a_default_deny_that_misses_controller_labelled_pods_fails(workload, selector):
    stack = replaced(m.base_stack(), "Deployment", "ai-training", "trainer", workload)
    stack = with_default_deny_selecting(stack, "ai-training", {"matchExpressions": [selector]})
    text = messages(violations(stack), "namespace-default-deny")
    assert "namespace ai-training: Ingress is open" in text and "ai-training/trainer" in text


def test_a_job_is_selected_by_its_own_job_name_label():
    stack = replaced(m.base_stack(), "Deployment", "ai-training", "trainer", job("ai-training", "trainer", "training"))
    pods = with_default_deny_selecting(stack, "ai-training", {})  # the twin: every pod
    assert violations(pods) == {}
    by_job = with_default_deny_selecting(stack, "ai-training", {"matchLabels": {"job-name": "trainer"}})
    # The Job's pods carry job-name=trainer, known: only the unlabelled new pod stays open.
    text = messages(violations(by_job), "namespace-default-deny")
    assert "any new pod without labels" in text and "ai-training/trainer" not in text


def test_a_peer_selecting_by_pod_template_hash_reaches_a_deployment():
    hashed = {"namespaceSelector": by_name("ai-serving"),
              "podSelector": {"matchExpressions": [{"key": "pod-template-hash", "operator": "Exists"}]}}
    found = violations(m.base_stack() + path_to_training(hashed, {"namespaceSelector": by_name("ai-training")}))
    assert set(found) == {"role-isolation"}
    assert "inference ai-serving/llm can reach training ai-training/trainer (TCP 8080)" in messages(found, "role-isolation")
    bare = copy.deepcopy(hashed)
    bare["podSelector"]["matchExpressions"][0]["operator"] = "DoesNotExist"  # a Deployment's pod always has it
    assert violations(m.base_stack() + path_to_training(bare, {"namespaceSelector": by_name("ai-training")})) == {}


# --- 2. workload kinds ---------------------------------------------------------------------

def template(name: str, role: str, ports=(8080,)) -> dict:
    return {"metadata": {"labels": m.identity(name, role)}, "spec": m.pod_spec(name, ports)}


def custom(api_version: str, kind: str, ns: str, name: str, spec: dict) -> dict:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


CUSTOM_WORKLOADS = {
    "ReplicationController": lambda ns: {"apiVersion": "v1", "kind": "ReplicationController",
                                         "metadata": {"name": "lab", "namespace": ns},
                                         "spec": {"replicas": 1, "template": template("lab", "training")}},
    "Rollout": lambda ns: custom("argoproj.io/v1alpha1", "Rollout", ns, "lab", {
        "template": template("lab", "training"), "strategy": {"canary": {"canaryMetadata": {"labels": {"track": "canary"}}}}}),
    "Workflow": lambda ns: custom("argoproj.io/v1alpha1", "Workflow", ns, "lab", {
        "entrypoint": "main", "podMetadata": {"labels": m.identity("lab", "training")},
        "templates": [{"name": "main", "container": {"image": "registry.example.com/lab:1",
                                                      "ports": [{"name": "http", "containerPort": 8080}]}}]}),
    "InferenceService": lambda ns: custom("serving.kserve.io/v1beta1", "InferenceService", ns, "lab", {
        "predictor": {"labels": m.identity("lab", "training"), "containers": [
            {"name": "kserve-container", "image": "registry.example.com/lab:1", "ports": [{"containerPort": 8080}]}]}}),
    "PyTorchJob": lambda ns: custom("kubeflow.org/v1", "PyTorchJob", ns, "lab", {"pytorchReplicaSpecs": {
        "Master": {"replicas": 1, "template": template("lab", "training")},
        "Worker": {"replicas": 2, "template": template("lab", "training")}}}),
    "RayCluster": lambda ns: custom("ray.io/v1", "RayCluster", ns, "lab", {
        "headGroupSpec": {"template": template("lab", "training")},
        "workerGroupSpecs": [{"groupName": "gpu", "template": template("lab", "training")}]}),
}


@pytest.mark.parametrize("kind", sorted(CUSTOM_WORKLOADS))
def test_modelled_workload_kinds_need_their_namespace_isolated(kind):
    workload = CUSTOM_WORKLOADS[kind]("ai-lab")
    open_namespace = violations(m.base_stack() + [m.namespace("ai-lab"), workload])
    assert "namespace ai-lab: Ingress is open" in messages(open_namespace, "namespace-default-deny")
    assert f"ai-lab/lab" in messages(open_namespace, "namespace-default-deny")
    assert violations(m.base_stack() + m.isolated_namespace("ai-lab") + [workload]) == {}


@pytest.mark.parametrize("kind", sorted(CUSTOM_WORKLOADS))
def test_modelled_workload_kinds_are_training_pods_for_role_isolation(kind):
    workload = CUSTOM_WORKLOADS[kind]("ai-training")
    stack = m.base_stack() + [workload]
    assert violations(stack) == {}
    opened = stack + path_to_training({"namespaceSelector": by_name("ai-serving")},
                                      {"namespaceSelector": by_name("ai-training")})
    found = violations(opened)
    assert set(found) == {"role-isolation"}
    assert "can reach training ai-training/lab" in messages(found, "role-isolation")


def test_a_helm_release_fails_closed_until_reviewed():
    release = from_manifest({"apiVersion": "helm.sh/v3", "kind": "Release", "metadata": {},
                             "name": "vendor-llm", "namespace": "ai-serving", "chart": "oci://example.com/llm"})
    found = by_policy(run(m.resources(m.base_stack()) + [release]))
    assert set(found) == set(STACK_RULES)
    assert "a Helm Release installs manifests the pack never sees" in messages(found, "role-isolation")
    assert "`helm.sh/Release`" in messages(found, "role-isolation")
    assert by_policy(run(m.resources(m.base_stack()) + [release], reviewed("helm.sh/Release"))) == {}


def test_a_rollout_of_another_workload_fails_closed():
    rollout = custom("argoproj.io/v1alpha1", "Rollout", "ai-training", "lab",
                     {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "trainer"}})
    found = violations(m.base_stack() + [rollout])
    assert set(found) == set(STACK_RULES)
    assert "spec.workloadRef runs the pods of another workload" in messages(found, "role-isolation")


# --- 3. unknowns treated as known ---------------------------------------------------------

def test_an_ip_block_over_the_pod_network_may_match_any_pod():
    block = {"ipBlock": {"cidr": "10.0.0.0/8"}}
    found = violations(m.base_stack() + path_to_training(block, block))
    assert "inference ai-serving/llm can reach training ai-training/trainer" in messages(found, "role-isolation")
    config = {rule: {"podCidrs": ["10.244.0.0/16"], "serviceCidrs": ["10.96.0.0/12"]} for rule in STACK_RULES}
    outside = {"ipBlock": {"cidr": "203.0.113.0/24"}}
    assert violations(m.base_stack() + path_to_training(outside, outside), config) == {}
    assert "role-isolation" in violations(m.base_stack() + path_to_training(block, block), config)


def test_an_undeclared_namespace_may_carry_any_label():
    shadow = [m.default_deny("ai-shadow"), m.dns_egress("ai-shadow"), m.deployment("ai-shadow", "llm", "inference"),
              *path_to_training({"namespaceSelector": {"matchLabels": {"team": "serving"}}},
                                {"namespaceSelector": by_name("ai-training")})]
    for policy in shadow[-2:]:
        policy["metadata"]["namespace"] = policy["metadata"]["namespace"].replace("ai-serving", "ai-shadow")
    found = violations(m.base_stack() + shadow)
    assert "inference ai-shadow/llm can reach training ai-training/trainer" in messages(found, "role-isolation")
    declared = m.base_stack() + [m.namespace("ai-shadow")] + shadow  # declared without team=serving
    assert violations(declared) == {}


def test_an_output_inside_a_cilium_entity_list_fails_closed():
    cilium = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
              "metadata": {"name": "open", "namespace": "ai-serving"},
              "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["kube-apiserver", UNKNOWN_STRING_VALUE]}]}}
    found = violations(m.base_stack() + [cilium], reviewed("cilium.io/*"))
    assert "fromEntities[1] is unknown" in messages(found, "no-allow-all")
    known = copy.deepcopy(cilium)
    known["spec"]["ingress"][0]["fromEntities"] = ["kube-apiserver"]
    assert violations(m.base_stack() + [known], reviewed("cilium.io/*")) == {}


def _cilium(kind, ns, **spec):
    metadata = {"name": f"open-{ns or 'all'}", **({"namespace": ns} if ns else {})}
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": metadata, "spec": {"endpointSelector": {}, **spec}}


OPEN = {"no-allow-all": {"exceptions": ["open-*", "*/open-*"]}}


@pytest.mark.parametrize("objects", [
    [_cilium("CiliumClusterwideNetworkPolicy", None, ingress=[{"fromEntities": ["cluster"]}],
             egress=[{"toEntities": ["cluster"]}])],
    [_cilium("CiliumNetworkPolicy", "ai-training", ingress=[{"fromEntities": ["cluster"]}]),
     _cilium("CiliumNetworkPolicy", "ai-serving", egress=[{"toEntities": ["cluster"]}])],
])
def test_cilium_policies_are_evaluated_by_the_engine_not_left_out(objects):
    found = violations(m.base_stack() + objects, OPEN)
    # Cilium unites allows with the NetworkPolicies: inference now reaches training
    assert "inference ai-serving/llm can reach training ai-training/trainer" in messages(found, "role-isolation")
    assert "may allow traffic the pack does not model" not in messages(found, "role-isolation")


def test_a_cilium_deny_only_takes_away():
    deny = _cilium("CiliumClusterwideNetworkPolicy", None, enableDefaultDeny={"ingress": False, "egress": False},
                   ingressDeny=[{"fromEntities": ["world"]}])
    assert violations(m.base_stack() + [deny]) == {}


def test_a_malformed_workload_is_reported_by_every_rule_that_needs_it():
    broken = m.deployment("ai-training", "trainer2", "training", ports=(70000,))
    found = violations(m.base_stack() + [broken])
    assert set(found) >= set(STACK_RULES)
    for rule in STACK_RULES:
        assert "containerPort: port 70000 is outside 1-65535" in messages(found, rule)


# --- 4. policy kinds that allow traffic but are not evaluated --------------------------------

UNMODELLED_POLICIES = [
    # The engine models the tier APIs' served versions (tests/policy/test_tier_rules.py); others fail closed.
    ("policy.networking.k8s.io/v1alpha3", "ClusterNetworkPolicy", None),
    ("policy.networking.k8s.io/v1beta1", "AdminNetworkPolicy", None),
    ("projectcalico.org/v3", "NetworkPolicy", "ai-serving"),
    ("projectcalico.org/v3", "GlobalNetworkPolicy", None),
    ("projectcalico.org/v3", "NetworkSet", "ai-serving"),
    ("projectcalico.org/v3", "GlobalNetworkSet", None),
    ("crd.projectcalico.org/v1", "GlobalNetworkPolicy", None),
    ("crd.antrea.io/v1beta1", "NetworkPolicy", "ai-serving"),
    ("crd.antrea.io/v1beta1", "ClusterNetworkPolicy", None),
]


@pytest.mark.parametrize("api_version,kind,ns", UNMODELLED_POLICIES)
def test_a_policy_kind_the_engine_does_not_evaluate_fails_every_connectivity_rule(api_version, kind, ns):
    metadata = {"name": "vendor", **({"namespace": ns} if ns else {})}
    policy = {"apiVersion": api_version, "kind": kind, "metadata": metadata,
              "spec": {"ingress": [{"action": "Allow"}], "egress": [
                  {"action": "Allow", "destination": {"nets": ["203.0.113.0/24"]}, "to": [{"networks": ["203.0.113.0/24"]}]}]}}
    found = violations(m.base_stack() + [policy])
    assert set(found) >= set(STACK_RULES)
    assert "may allow traffic the pack does not model" in messages(found, "role-isolation")
    group = api_version.split("/")[0]
    config = {**reviewed(f"{group}/{kind}"), "no-allow-all": {"exceptions": ["vendor", "ai-serving/vendor"]}}
    assert violations(m.base_stack() + [policy], config) == {}


# --- 5. allow-all written another way ------------------------------------------------------

def ingress_from(*peers: dict) -> dict:
    return m.network_policy("ai-serving", "from-somewhere", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": list(peers), "ports": [{"port": 8080}]}]})


@pytest.mark.parametrize("peers", [
    [{"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}}],
    [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["203.0.113.7/32"]}}],
    [{"ipBlock": {"cidr": "::/1"}}, {"ipBlock": {"cidr": "8000::/1"}}],
    [{"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                                                  "values": ["netguard-unseen-namespace"]}]}}],
    [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "pod-template-hash", "operator": "Exists"}]}}],
    [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]},
      "podSelector": {"matchExpressions": [{"key": "controller-uid", "operator": "Exists"}]}}],
])
def test_allow_all_in_other_spellings_is_rejected(peers):
    assert "no-allow-all" in violations(m.base_stack() + [ingress_from(*peers)])


@pytest.mark.parametrize("peers", [
    [{"ipBlock": {"cidr": "203.0.113.0/24"}}],
    [{"ipBlock": {"cidr": "0.0.0.0/2"}}],
    [{"namespaceSelector": by_name("ai-gateway")}],
    [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"netguard.io/role": "gateway"}}}],
    [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "pod-template-hash", "operator": "In",
                                                                     "values": ["6d4cf56db6"]}]}}],
])
def test_narrow_peers_are_not_allow_all(peers):
    assert "no-allow-all" not in violations(m.base_stack() + [ingress_from(*peers)])


def cilium_ingress(kind: str, rule: dict) -> dict:
    metadata = {"name": "open", **({"namespace": "ai-serving"} if kind == "CiliumNetworkPolicy" else {})}
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": metadata,
            "spec": {"endpointSelector": {}, "ingress": [rule]}}


@pytest.mark.parametrize("kind,rule,allow_all", [
    ("CiliumNetworkPolicy", {"fromCIDR": ["0.0.0.0/0"]}, True),
    ("CiliumNetworkPolicy", {"fromCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}]}, True),
    ("CiliumClusterwideNetworkPolicy", {"fromEndpoints": [{}]}, True),
    ("CiliumNetworkPolicy", {"fromEndpoints": [{"matchExpressions": [
        {"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]}]}, True),
    ("CiliumNetworkPolicy", {"fromEndpoints": [{}]}, False),  # its own namespace only
    ("CiliumNetworkPolicy", {"fromCIDR": ["203.0.113.0/24"]}, False),
    ("CiliumClusterwideNetworkPolicy", {"fromEndpoints": [{"matchLabels": {"k8s:netguard.io/role": "gateway"}}]}, False),
])
def test_cilium_allow_all_is_decided_from_what_it_admits(kind, rule, allow_all):
    found = violations(m.base_stack() + [cilium_ingress(kind, rule)], reviewed("cilium.io/*"))
    assert ("no-allow-all" in found) is allow_all, found


# --- 6. more than one cluster ------------------------------------------------------------------

def in_cluster(objects: list, provider: Provider) -> list:
    return [from_manifest(o).__class__(**{**from_manifest(o).__dict__, "provider": provider,
                                          "name": f"{provider.name}-{from_manifest(o).name}"}) for o in objects]


EAST = Provider("east", {"kubeconfig": "east-kubeconfig-contents"})
WEST = Provider("west", {"context": "west"})


def test_each_provider_is_its_own_cluster():
    guarded = in_cluster(m.base_stack(), EAST)
    unguarded = in_cluster([m.namespace("ai-serving", mesh=False), m.deployment("ai-serving", "llm", "inference")], WEST)
    found = by_policy(run(guarded + unguarded))
    assert set(found) == {"namespace-default-deny"}
    text = messages(found, "namespace-default-deny")
    assert "cluster context=west: namespace ai-serving: Ingress is open" in text
    assert "east-kubeconfig-contents" not in text  # a kubeconfig is named by a digest
    assert by_policy(run(guarded + in_cluster(m.base_stack(), WEST))) == {}


def test_providers_with_the_same_settings_are_one_cluster():
    twin = Provider("east-again", dict(EAST.props))
    found = by_policy(run(in_cluster(m.base_stack(), EAST) + in_cluster([m.namespace("ai-serving")], twin)))
    assert set(found) == set(STACK_RULES)  # the same Namespace twice in one cluster is malformed
    assert "duplicate Namespace ai-serving" in messages(found, "role-isolation")


# --- 7. legal stacks that crash the model --------------------------------------------------

def test_objects_of_different_kinds_may_share_a_name():
    stack = m.base_stack() + [job("ai-training", "trainer", "training")]
    assert violations(stack) == {}
    opened = stack + path_to_training({"namespaceSelector": by_name("ai-serving")},
                                      {"namespaceSelector": by_name("ai-training")})
    text = messages(violations(opened), "role-isolation")
    assert "ai-training/trainer" in text and text.count("can reach training") == 2


@pytest.mark.parametrize("name", ["netguard-any-new-pod", "<any new pod>"])
def test_a_pod_named_like_the_packs_new_pod_is_a_pod_like_any_other(name):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "ai-serving",
                                                           "labels": m.identity("llm", "inference")},
           "spec": m.pod_spec("debug")}
    assert violations(m.base_stack() + [pod]) == {}


# --- 8. cost ---------------------------------------------------------------------------------

def test_large_port_lists_get_the_same_verdict():
    ports = [{"port": p} for p in range(10000, 13000)]
    big = path_to_training({"namespaceSelector": by_name("ai-serving")}, {"namespaceSelector": by_name("ai-training")})
    for policy in big:
        rules = policy["spec"].get("ingress") or policy["spec"]["egress"]
        rules[0]["ports"] = ports + [{"port": 8080}]
    found = violations(m.base_stack() + big)
    assert "can reach training ai-training/trainer (TCP 8080,10000-12999)" in messages(found, "role-isolation")


# --- 9. also check ---------------------------------------------------------------------------

def test_a_native_sidecars_named_port_is_a_port_of_the_pod():
    trainer = m.deployment("ai-training", "trainer", "training")
    sidecar = {"name": "exporter", "image": "registry.example.com/exporter:1", "restartPolicy": "Always",
               "ports": [{"name": "metrics", "containerPort": 9100}]}
    trainer["spec"]["template"]["spec"]["initContainers"] = [sidecar]
    paths = path_to_training({"namespaceSelector": by_name("ai-serving")}, {"namespaceSelector": by_name("ai-training")})
    paths[0]["spec"]["ingress"][0]["ports"] = [{"port": "metrics"}]
    paths[1]["spec"]["egress"][0]["ports"] = [{"port": 9100}]
    stack = replaced(m.base_stack(), "Deployment", "ai-training", "trainer", trainer) + paths
    assert "(TCP 9100)" in messages(violations(stack), "role-isolation")
    del sidecar["restartPolicy"]  # an ordinary init container has ended before the pod serves
    assert violations(stack) == {}


def test_a_projected_service_account_token_is_a_token_mount():
    volume = {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}
    mounted = m.deployment("ai-serving", "llm", "inference", volumes=[volume])
    found = violations(replaced(m.base_stack(), "Deployment", "ai-serving", "llm", mounted))
    assert set(found) == {"workload-identity"}
    assert "volumes[0].projected.sources[0].serviceAccountToken mounts a service account token" in messages(
        found, "workload-identity")
    config_map = {"name": "ca", "projected": {"sources": [{"configMap": {"name": "ca"}}]}}
    plain = m.deployment("ai-serving", "llm", "inference", volumes=[config_map])
    assert violations(replaced(m.base_stack(), "Deployment", "ai-serving", "llm", plain)) == {}


def test_an_extensions_v1beta1_default_deny_isolates_nothing():
    old = m.default_deny("ai-serving")
    old["apiVersion"] = "extensions/v1beta1"
    stack = replaced(m.base_stack(), "NetworkPolicy", "ai-serving", "default-deny", old)
    assert "namespace ai-serving: Ingress is open" in messages(violations(stack), "namespace-default-deny")


@pytest.mark.parametrize("peer", [
    {"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "netguard.io/role", "operator": "Exists"}]}},
    {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "Exists"}]}},
    {"namespaceSelector": {}, "podSelector": {"matchExpressions": [
        {"key": "netguard.io/role", "operator": "NotIn", "values": ["training"]}]}},
])
def test_a_selector_that_names_no_value_admits_everyone(peer):
    assert "no-allow-all" in violations(m.base_stack() + [ingress_from(peer)])


def as_list(kind: str, api_version: str, items: list[dict]) -> dict:
    return {"apiVersion": api_version, "kind": f"{kind}List", "metadata": {}, "items": items}


def test_the_items_of_a_list_resource_are_checked_like_resources():
    policies = as_list("NetworkPolicy", "networking.k8s.io/v1", [m.network_policy("ai-serving", "open", {
        "podSelector": {}, "ingress": [{}]})])
    assert "has no `from`" in messages(violations(m.base_stack() + [policies]), "no-allow-all")
    workloads = as_list("Deployment", "apps/v1", [m.deployment("ai-lab", "lab", "training")])
    found = violations(m.base_stack() + [m.namespace("ai-lab"), workloads])
    assert "namespace ai-lab: Ingress is open" in messages(found, "namespace-default-deny")
    isolated = m.base_stack() + m.isolated_namespace("ai-lab") + [workloads]
    assert violations(isolated) == {}


def test_the_internet_in_quarters_over_rules_and_policies_is_allow_all():
    quarters = [{"ipBlock": {"cidr": f"{q}.0.0.0/2"}} for q in (0, 64, 128, 192)]
    rules = m.network_policy("ai-serving", "quarters", {
        "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [q], "ports": [{"port": 8080}]} for q in quarters]})
    assert "its rules together admit most addresses" in messages(violations(m.base_stack() + [rules]), "no-allow-all")
    spread = [ingress_from(q) for q in quarters[:2]]
    for index, policy in enumerate(spread):
        policy["metadata"]["name"] = f"half-{index}"
    found = violations(m.base_stack() + spread)
    assert set(found) == {"no-allow-all"}
    assert "Deployment ai-serving/llm: the ingress ipBlocks of NetworkPolicy ai-serving/half-0 rule 1, " in messages(
        found, "no-allow-all")
    assert violations(m.base_stack() + spread[:1]) == {}


@pytest.mark.parametrize("kind", ["Rollout", "PyTorchJob", "RayCluster"])
def test_custom_workloads_pod_templates_carry_an_ai_identity(kind):
    workload = CUSTOM_WORKLOADS[kind]("ai-training")
    unlabelled = copy.deepcopy(workload)
    for template in _templates(unlabelled):
        template["metadata"]["labels"].pop("netguard.io/role")
    found = violations(m.base_stack() + [unlabelled])
    assert "lacks netguard.io/role" in messages(found, "workload-identity")


def _templates(node):
    if isinstance(node, dict):
        if "metadata" in node and "spec" in node and "containers" in node.get("spec", {}):
            yield node
        for value in node.values():
            yield from _templates(value)
    elif isinstance(node, list):
        for value in node:
            yield from _templates(value)


def test_a_provider_whose_default_namespace_is_unknown_leaves_its_objects_unverified():
    somewhere = Provider("somewhere", {"namespace": UNKNOWN_STRING_VALUE})
    trainer = m.deployment("ai-training", "lab", "training")
    del trainer["metadata"]["namespace"]
    found = by_policy(run(m.resources(m.base_stack()) + in_cluster([trainer], somewhere)))
    assert "cannot be verified at preview" in messages(found, "role-isolation")


@pytest.mark.parametrize("destination", [{}, {"notNets": ["10.0.0.0/8"]}, {"nets": ["0.0.0.0/1"], "notNets": []}])
def test_a_calico_allow_to_everything_but_or_to_nowhere_in_particular_opens_the_internet(destination):
    calico = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "out"},
              "spec": {"selector": "all()", "egress": [{"action": "Allow", "destination": destination}]}}
    config = {**reviewed("projectcalico.org/*"), "no-allow-all": {"exceptions": ["out"]}}
    assert "egress-allowlist" in violations(m.base_stack() + [calico], config)
    narrow = copy.deepcopy(calico)
    narrow["spec"]["egress"][0]["destination"] = {"nets": ["203.0.113.0/24"]}
    assert violations(m.base_stack() + [narrow], config) == {}


def test_an_auto_named_jobs_job_name_is_unknown():
    unnamed = job("ai-training", "trainer", "training")
    del unnamed["metadata"]["name"]  # Pulumi names it trainer-<random suffix>
    stack = [o for o in m.base_stack() if not (o["kind"] == "Deployment" and o["metadata"]["name"] == "trainer")]
    stack = with_default_deny_selecting(stack, "ai-training", {"matchLabels": {"job-name": "ai-training-trainer"}})
    found = by_policy(run(m.resources(stack) + [from_manifest(unnamed, "ai-training-trainer")]))
    assert "ai-training/ai-training-trainer" in messages(found, "namespace-default-deny")


def test_a_cilium_cidr_group_reference_is_not_read_in_silence():
    grouped = cilium_ingress("CiliumNetworkPolicy", {"fromCIDRSet": [{"cidrGroupRef": "everyone"}]})
    assert "cidrGroupRef" in messages(violations(m.base_stack() + [grouped], reviewed("cilium.io/*")), "no-allow-all")
