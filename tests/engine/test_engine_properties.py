"""Properties of the engine over random small clusters (hypothesis).

The most valuable one comes first: the grouped, bitset-based matrix equals a plain per-pair
reference evaluator written from the API documentation (reference.py). The others are laws that
any correct evaluator obeys, checked without a reference.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netguard.analysis import Analyzer
from netguard.loader import build_cluster
from reference import reference_matrix, reference_world
from world_strategies import NAMESPACES, PROBES, network_policies, worlds

# The reference comparison is the valuable one: it gets the most examples.
REFERENCE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def analyze(objects, externals=()) -> Analyzer:
    return Analyzer(build_cluster([(f"file{i % 3}.yaml", o) for i, o in enumerate(objects)], tuple(externals)))


@REFERENCE
@given(worlds())
def test_grouped_matrix_equals_the_plain_reference_evaluator(world):
    objects, externals = world
    ours = set(analyze(objects, externals).matrix(PROBES))
    assert ours == reference_matrix(reference_world(objects, externals), PROBES)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(worlds(max_endpoints=40, max_policies=12))
def test_grouped_matrix_equals_the_reference_on_larger_worlds(world):
    objects, externals = world
    ours = set(analyze(objects, externals).matrix(PROBES[:6]))
    assert ours == reference_matrix(reference_world(objects, externals), PROBES[:6])


@SETTINGS
@given(worlds(max_endpoints=4, max_policies=4))
def test_per_pair_answers_agree_with_the_matrix(world):
    objects, externals = world
    analyzer = analyze(objects, externals)
    matrix = set(analyzer.matrix(PROBES))
    ids = [e.id for e in analyzer.cluster.endpoints]
    for s in ids:
        for d in ids:
            if s == d:
                continue
            ports = analyzer.allowed_ports(s, d)
            for port, protocol in PROBES:
                expected = (s, d, port, protocol) in matrix
                assert analyzer.allowed(s, d, port, protocol) == expected
                assert analyzer.explain(s, d, port, protocol).allowed == expected
                assert (port in ports[protocol]) == expected


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_order_of_policies_and_files_does_not_matter(world, rnd):
    objects, externals = world
    shuffled = list(objects)
    rnd.shuffle(shuffled)
    assert analyze(objects, externals).matrix(PROBES) == analyze(shuffled, externals[::-1]).matrix(PROBES)


@SETTINGS
@given(worlds())
def test_a_policy_that_selects_no_pod_changes_nothing(world):
    objects, externals = world
    nobody = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "selects-nobody", "namespace": "x"},
              "spec": {"podSelector": {"matchLabels": {"no-such-label": "at-all"}}, "ingress": [], "egress": [],
                       "policyTypes": ["Ingress", "Egress"]}}
    assert analyze(objects, externals).matrix(PROBES) == analyze(objects + [nobody], externals).matrix(PROBES)


@SETTINGS
@given(worlds(), network_policies("added"))
def test_adding_a_policy_to_already_isolated_pods_never_removes_a_flow(world, added):
    objects, externals = world
    before = analyze(objects, externals)
    after = analyze(objects + [added], externals)
    compiled = [p for p in after.policies if p.id.endswith("/added")][0]
    for e in after.cluster.endpoints:
        if not compiled.target.matches(e, after.cluster.namespace_labels(e)):
            continue
        for direction in compiled.policy.policy_types:
            if not before.isolated(e.id, direction):
                return  # the law is about pods that were isolated already
    assert set(before.matrix(PROBES)) <= set(after.matrix(PROBES))


@SETTINGS
@given(worlds(), network_policies("added"))
def test_a_flow_a_new_policy_opens_is_into_or_out_of_a_pod_that_was_isolated_already(world, added):
    objects, externals = world
    before_analyzer = analyze(objects, externals)
    before = set(before_analyzer.matrix(PROBES))
    after = analyze(objects + [added], externals)
    compiled = [p for p in after.policies if p.id.endswith("/added")][0]

    def selects(endpoint_id: str, direction: str) -> bool:
        e = after.cluster.endpoint(endpoint_id)
        return compiled.rules(direction) is not None and compiled.target.matches(e, after.cluster.namespace_labels(e))

    for s, d, _, _ in set(after.matrix(PROBES)) - before:
        opened_ingress = selects(d, "Ingress") and before_analyzer.isolated(d, "Ingress")
        opened_egress = selects(s, "Egress") and before_analyzer.isolated(s, "Egress")
        assert opened_ingress or opened_egress


@SETTINGS
@given(worlds(), st.sampled_from(NAMESPACES))
def test_deny_all_alone_in_a_namespace_cuts_every_flow_in_and_out(world, namespace):
    objects, externals = world
    kept = [o for o in objects if not (o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == namespace)]
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny-all", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    analyzer = analyze(kept + [deny], externals)
    inside = {e.id for e in analyzer.cluster.endpoints if e.namespace == namespace}
    assert not [f for f in analyzer.matrix(PROBES) if f[0] in inside or f[1] in inside]


@SETTINGS
@given(worlds(max_policies=0))
def test_without_policies_everything_flows(world):
    objects, externals = world
    analyzer = analyze(objects, externals)
    ids = [e.id for e in analyzer.cluster.endpoints]
    expected = {(s, d, p, proto) for s in ids for d in ids if s != d for p, proto in PROBES}
    assert set(analyzer.matrix(PROBES)) == expected


@SETTINGS
@given(worlds())
def test_an_allow_all_policy_in_both_directions_opens_its_namespace(world):
    objects, externals = world
    allow = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "allow-all", "namespace": "x"},
             "spec": {"podSelector": {}, "ingress": [{}], "egress": [{}]}}
    analyzer = analyze(objects + [allow], externals)
    matrix = set(analyzer.matrix(PROBES))
    inside = [e.id for e in analyzer.cluster.endpoints if e.namespace == "x"]
    for a in inside:
        for b in inside:
            if a != b:
                assert all((a, b, p, proto) in matrix for p, proto in PROBES)


junk = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=6) | st.sampled_from(["10.0.0.0/8", "In", "TCP"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(max_endpoints=3, max_policies=3), st.data())
def test_junk_anywhere_is_a_typed_error_or_a_model_never_a_crash(world, data):
    from netguard.errors import NetguardInputError
    objects, externals = world
    index = data.draw(st.integers(0, len(objects) - 1))
    paths = list(_paths(objects[index]))
    path = data.draw(st.sampled_from(paths))
    broken = list(objects)
    broken[index] = _replace(objects[index], path, data.draw(junk))
    try:
        analyzer = analyze(broken, externals)
        analyzer.matrix(PROBES[:3])
    except NetguardInputError as error:
        assert "\n" not in str(error)
