"""The cluster tiers appear in the views through the Analyzer's sides: admitting rules, intervals, causes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engine.world_strategies import worlds
from netguard.analysis import Analyzer
from netguard.commands import with_address_ranges
from netguard.diff.compare import compare
from netguard.loader import build_cluster
from netguard.report.build import build_report
from test_connectivity import grouped_ports

V2 = "policy.networking.k8s.io/v1alpha2"


def cnp(name, tier="Admin", priority=10, **spec):
    return {"apiVersion": V2, "kind": "ClusterNetworkPolicy", "metadata": {"name": name},
            "spec": {"tier": tier, "priority": priority, "subject": {"namespaces": {}}, **spec}}


def pod(ns, name, port=80):
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": port}]}]}}


def analyzers(*sides):
    return with_address_ranges(*(build_cluster([("m.yaml", o) for o in objects]) for objects in sides))


ACCEPT_RANGE = cnp("accept-range", ingress=[{"action": "Accept", "from": [{"namespaces": {}}],
                                             "protocols": [{"tcp": {"destinationPort": {"range": {"start": 8000, "end": 8100}}}}]}])
DENY_REST = cnp("deny-rest", priority=20, ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}])


def test_an_admin_accept_is_an_admitting_rule_with_its_tier():
    (analyzer,) = analyzers([pod("x", "a"), pod("y", "b", 8080), ACCEPT_RANGE, DENY_REST])
    report = build_report(analyzer)
    c = next(c for c in report.connections if (c.source, c.destination) == ("x/a", "y/b"))
    assert {p: s.ranges() for p, s in c.ports.items()} == {"TCP": ((8000, 8100),)}
    (rule,) = c.ingress.rules
    assert (rule.kind, rule.policy, rule.tier, rule.rule) == ("ClusterNetworkPolicy", "ClusterNetworkPolicy/accept-range",
                                                              "Admin", 1)
    assert not c.ingress.default
    assert c.egress.default  # no egress rule: allowed by default
    assert {(p.kind, p.tier) for p in report.policies} == {("ClusterNetworkPolicy", "Admin")}


def test_a_new_admin_deny_is_the_cause_of_a_loss():
    old, new = analyzers([pod("x", "a"), pod("y", "b")], [pod("x", "a"), pod("y", "b"), DENY_REST])
    result = compare(old, new)
    change = next(c for c in result.changes if (c.source, c.destination) == ("x/a", "y/b"))
    assert change.kind == "removed"
    assert ("ingress", "ClusterNetworkPolicy/deny-rest") in change.cause.now_isolated_by


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds(max_endpoints=5, max_policies=3))
def test_grouped_port_sets_agree_with_the_per_pair_path_under_tiers(world):
    objects, externals = world
    objects = objects + [ACCEPT_RANGE, DENY_REST]
    analyzer = Analyzer(build_cluster([(f"f{i}.yaml", o) for i, o in enumerate(objects)], tuple(externals)))
    grouped = grouped_ports(analyzer)
    ids = [e.id for e in analyzer.cluster.endpoints]
    for a in ids:
        for b in ids:
            if a != b:
                expected = {p: s.ranges() for p, s in analyzer.allowed_ports(a, b).items() if not s.is_empty()}
                assert grouped.get((a, b), {}) == expected, (a, b)
