"""Properties of the mesh enforcement point over random clusters (hypothesis).

First the one that guards the fast path: the whole matrix over endpoint classes equals the
per-pair evaluation (evaluate.py and mesh/evaluate.py) for every pair, probe and layer. Then laws:
without any mesh the combined verdict is the datapath's; an allow-nothing policy denies every
connection into its namespace's meshed workloads; the mesh never admits more than its layer
says, and the combined verdict is the conjunction of the two layers (outside ambient HBONE).
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from mesh_strategies import mesh_worlds
from netguard.analysis import Analyzer
from netguard.loader import build_cluster
from world_strategies import PROBES, worlds

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TCP_PROBES = [p for p in PROBES if p[1] == "TCP"] + [(15008, "TCP")]


def analyze(objects, externals=()) -> Analyzer:
    return Analyzer(build_cluster([(f"file{i % 3}.yaml", o) for i, o in enumerate(objects)], tuple(externals)))


def per_pair(a: Analyzer, probes, layer: str) -> set:
    ids = [e.id for e in a.cluster.endpoints]
    return {
        (s, d, port, proto)
        for s, d in itertools.permutations(ids, 2)
        for port, proto in probes
        if a.allowed(s, d, port, proto, layer)
    }


@SETTINGS
@given(mesh_worlds())
def test_grouped_matrix_equals_per_pair_verdicts_in_every_layer(world):
    objects, externals = world
    a = analyze(objects, externals)
    probes = TCP_PROBES + [(53, "UDP")]
    for layer in ("all", "mesh", "datapath"):
        assert set(a.matrix(probes, layer)) == per_pair(a, probes, layer), layer


@FEW
@given(mesh_worlds(max_endpoints=25, max_policies=6, max_mesh_policies=8))
def test_grouped_matrix_equals_per_pair_verdicts_on_larger_worlds(world):
    objects, externals = world
    a = analyze(objects, externals)
    assert set(a.matrix(TCP_PROBES[:3])) == per_pair(a, TCP_PROBES[:3], "all")


@FEW
@given(worlds())
def test_without_a_mesh_the_combined_verdict_is_the_datapath(world):
    objects, externals = world
    a = analyze(objects, externals)
    assert a.matrix(PROBES) == a.matrix(PROBES, "datapath")
    assert a.matrix(PROBES, "mesh") == sorted(
        (s.id, d.id, port, proto) for s in a.cluster.endpoints for d in a.cluster.endpoints if s.id != d.id
        for port, proto in sorted(set(PROBES))
    )


@FEW
@given(mesh_worlds())
def test_an_allow_nothing_policy_denies_every_tcp_connection_into_its_meshed_workloads(world):
    objects, externals = world
    # ALLOW policies add up: another one that admits a source (say `when: source.ip`) still does.
    objects = [o for o in objects if not _allows(o)] + [
        {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
         "metadata": {"name": "allow-nothing", "namespace": "x"}, "spec": {}}]
    a = analyze(objects, externals)
    meshed = {e.id: e for e in a.cluster.endpoints if e.namespace == "x" and a.mesh.dataplane(e)}
    # A port the proxy does not take in (an inbound-port annotation) is outside every mesh policy.
    assert not [f for f in a.matrix(TCP_PROBES) if f[1] in meshed and a.mesh.capture(meshed[f[1]]).bypass(f[2]) is None]


@FEW
@given(mesh_worlds())
def test_the_combined_verdict_is_within_each_layer(world):
    objects, externals = world
    a = analyze(objects, externals)
    combined = set(a.matrix(TCP_PROBES))
    assert combined <= set(a.matrix(TCP_PROBES, "mesh"))
    tunnelled = {f for f in combined if a.datapath_port(f[0], f[1], f[2], f[3]) != f[2]}
    assert combined - tunnelled <= set(a.matrix(TCP_PROBES, "datapath"))


def _allows(manifest: dict) -> bool:
    return manifest.get("kind") == "AuthorizationPolicy" and (manifest.get("spec") or {}).get("action", "ALLOW") == "ALLOW"
