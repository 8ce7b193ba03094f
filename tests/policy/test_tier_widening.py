"""Widened tier policies over-approximate every namespace the stack leaves undeclared (hypothesis property).

Namespace ``u`` is not declared: its labels may be anything. Whatever they turn out to be, what the
real cluster allows must be allowed by the widened model (`Unknowns.widen_tiers`), for random Admin
and Baseline policies with Accept, Deny and Pass rules and with or without NetworkPolicies below.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from netguard.analysis import Analyzer
from netguard.loader import build_cluster

from rules.cidrset import AddressSet
from rules.unknowns import Unknowns

KEYS = ("team",)
VALUES = ("x", "y")
NAMESPACES = ("d", "u")  # d declared with team=x; u undeclared
PODS = [f"{ns}/p" for ns in NAMESPACES]

requirements = st.builds(
    lambda key, op, values: {"key": key, "operator": op, **({"values": values} if op in ("In", "NotIn") else {})},
    st.sampled_from(KEYS), st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True))
selectors = st.one_of(
    st.just({}),
    st.builds(lambda name: {"matchLabels": {"kubernetes.io/metadata.name": name}}, st.sampled_from(NAMESPACES)),
    st.builds(lambda labels, exprs: {"matchLabels": labels, "matchExpressions": exprs},
              st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
              st.lists(requirements, min_size=0, max_size=2)))
rules = st.builds(lambda action, peer: {"action": action, "from": [{"namespaces": peer}]},
                  st.sampled_from(("Accept", "Deny", "Pass")), selectors)
admin = st.tuples(selectors, st.lists(rules, min_size=1, max_size=3))
baseline = st.tuples(selectors, st.lists(rules.filter(lambda r: r["action"] != "Pass"), min_size=1, max_size=2))
network_policy = st.sampled_from((None, "deny", "allow-all"))


def manifests(admins, baselines, nps, u_labels):
    out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "d", "labels": {"team": "x"}}}]
    if u_labels is not None:
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "u", "labels": u_labels}})
    out += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
             "spec": {"containers": [{"name": "c", "image": "i"}]}} for ns in NAMESPACES]
    for i, (subject, ingress) in enumerate(admins):
        out.append(_cnp(f"admin-{i}", "Admin", 10 * (i + 1), subject, ingress))
    for i, (subject, ingress) in enumerate(baselines):
        out.append(_cnp(f"baseline-{i}", "Baseline", 10 * (i + 1), subject, ingress))
    for ns, np in zip(NAMESPACES, nps):
        if np is not None:
            rules = [{"from": [{"namespaceSelector": {}}]}] if np == "allow-all" else []
            out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                        "metadata": {"name": np, "namespace": ns},
                        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": rules}})
    return [(f"m{i}", m) for i, m in enumerate(out)]


def _cnp(name, tier, priority, subject, ingress):
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name},
            "spec": {"tier": tier, "priority": priority, "subject": {"namespaces": subject}, "ingress": ingress}}


def allowed(cluster) -> set[tuple[str, str]]:
    analyzer = Analyzer(cluster)
    return {(s, d) for s in PODS for d in PODS if analyzer.allowed(s, d, 80, "TCP")}


def completions():
    options = [[(k, v) for v in (*VALUES, "other", None)] for k in KEYS]
    for combo in itertools.product(*options):
        yield {k: v for k, v in combo if v is not None}


@settings(max_examples=500, deadline=None)
@given(st.lists(admin, max_size=3), st.lists(baseline, max_size=1), st.tuples(network_policy, network_policy))
def test_the_widened_tiers_allow_whatever_an_undeclared_namespace_may_be_allowed(admins, baselines, nps):
    model = build_cluster(manifests(admins, baselines, nps, None))
    unknowns = Unknowns(frozenset({"u"}), AddressSet.of([]))
    widened = allowed(replace(model, tier_policies=unknowns.widen_tiers(model.tier_policies)))
    for labels in completions():
        real = allowed(build_cluster(manifests(admins, baselines, nps, labels)))
        assert real <= widened, (labels, real - widened)
