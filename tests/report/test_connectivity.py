"""The grouped port sets (connectivity.py) equal the per-pair path's, on random worlds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engine.world_strategies import worlds
from netguard.analysis import Analyzer
from netguard.connectivity import class_connections, port_intervals
from netguard.loader import build_cluster
from netguard.ports import PROTOCOLS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def analyze(objects, externals=()) -> Analyzer:
    return Analyzer(build_cluster([(f"f{i}.yaml", o) for i, o in enumerate(objects)], tuple(externals)))


def grouped_ports(analyzer: Analyzer) -> dict[tuple[str, str], dict]:
    members = analyzer.classes.members
    out = {}
    for c in class_connections(analyzer):
        for a in members[c.source]:
            for b in members[c.destination]:
                if a.id != b.id:
                    out[(a.id, b.id)] = {p: s.ranges() for p, s in c.ports.items()}
    return out


@SETTINGS
@given(worlds(max_endpoints=6, max_policies=5))
def test_grouped_port_sets_equal_allowed_ports_of_every_pair(world):
    objects, externals = world
    analyzer = analyze(objects, externals)
    grouped = grouped_ports(analyzer)
    ids = [e.id for e in analyzer.cluster.endpoints]
    for a in ids:
        for b in ids:
            if a == b:
                continue
            expected = {p: s.ranges() for p, s in analyzer.allowed_ports(a, b).items() if not s.is_empty()}
            assert grouped.get((a, b), {}) == expected, (a, b)


def test_intervals_cut_at_every_range_and_declared_port():
    objects = [
        {"kind": "Pod", "metadata": {"name": "web", "namespace": "x"},
         "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080, "name": "http"}]}]}},
        {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "x"},
         "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 1000, "endPort": 2000}, {"port": "http"}]}]}},
    ]
    tcp = [(lo, hi) for protocol, lo, hi in port_intervals(analyze(objects)) if protocol == "TCP"]
    assert tcp == [(1, 999), (1000, 2000), (2001, 8079), (8080, 8080), (8081, 65535)]
    assert {p for p, _, _ in port_intervals(analyze(objects))} == set(PROTOCOLS)
