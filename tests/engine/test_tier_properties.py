"""Properties of the cluster tiers over random small clusters (hypothesis).

The grouped matrix equals a plain reference evaluator of the tiers (reference.py) and the per-pair
path; a Pass-only Admin tier changes nothing; an Admin Deny is never reopened by a NetworkPolicy.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netguard.analysis import Analyzer
from netguard.loader import build_cluster
from reference import _tier_peer_matches, _tier_ports_match, reference_matrix, reference_world
from world_strategies import PROBES, network_policies, tier_policies, tiered_worlds, worlds

REFERENCE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def analyze(objects, externals=()) -> Analyzer:
    return Analyzer(build_cluster([(f"file{i % 3}.yaml", o) for i, o in enumerate(objects)], tuple(externals)))


@REFERENCE
@given(tiered_worlds())
def test_tiered_matrix_equals_the_plain_reference_evaluator(world):
    objects, externals = world
    ours = set(analyze(objects, externals).matrix(PROBES))
    assert ours == reference_matrix(reference_world(objects, externals), PROBES)


@SETTINGS
@given(tiered_worlds(max_endpoints=5))
def test_tiered_per_pair_answers_agree_with_the_matrix(world):
    objects, externals = world
    analyzer = analyze(objects, externals)
    flows = set(analyzer.matrix(PROBES))
    ids = [e.id for e in analyzer.cluster.endpoints]
    for port, protocol in PROBES[:6]:
        for s in ids:
            for d in ids:
                if s != d:
                    assert analyzer.allowed(s, d, port, protocol) == ((s, d, port, protocol) in flows)
                    assert analyzer.explain(s, d, port, protocol).allowed == ((s, d, port, protocol) in flows)


@SETTINGS
@given(worlds(), st.data())
def test_a_pass_only_admin_tier_changes_nothing(world, data):
    objects, externals = world
    api = data.draw(st.sampled_from(["v1alpha2", "v1alpha1"]))
    passes = [data.draw(tier_policies(f"pass{i}", api, "Admin", i, ("Pass",))) for i in range(data.draw(st.integers(1, 3)))]
    assert set(analyze(objects + passes, externals).matrix(PROBES)) == set(analyze(objects, externals).matrix(PROBES))


@SETTINGS
@given(worlds(max_policies=6), st.data())
def test_an_admin_deny_is_never_reopened_by_any_network_policy(world, data):
    objects, externals = world
    api = data.draw(st.sampled_from(["v1alpha2", "v1alpha1"]))
    deny = data.draw(tier_policies("deny", api, "Admin", 0, ("Deny",)))
    extra = [data.draw(network_policies(f"open{i}")) for i in range(data.draw(st.integers(0, 3)))]
    flows = set(analyze(objects + extra + [deny], externals).matrix(PROBES))
    w = reference_world(objects + extra + [deny], externals)
    spec = deny["spec"]
    for direction, key in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(direction) or []:
            for s in w.endpoints:
                for d in w.endpoints:
                    subject, peer = (d, s) if direction == "ingress" else (s, d)
                    if s.id == d.id or subject.external or not _tier_peer_matches(w, spec["subject"], subject):
                        continue
                    if not any(_tier_peer_matches(w, q, peer) for q in rule[key]):
                        continue
                    for port, protocol in PROBES:
                        if _tier_ports_match(rule.get("protocols", rule.get("ports")), port, protocol, d):
                            assert (s.id, d.id, port, protocol) not in flows
