"""The Istio mesh in the views: port sets of the combined verdict, and the AuthorizationPolicy rules that admit."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engine.mesh_world import SIDECAR_NS, authz, namespace, pod
from mesh_strategies import mesh_worlds
from netguard.analysis import Analyzer
from netguard.connectivity import class_connections
from netguard.commands import with_address_ranges
from netguard.loader import build_cluster
from netguard.report.build import build_report
from netguard.report.json import report_json

OBJECTS = [
    namespace("app", SIDECAR_NS), namespace("client", SIDECAR_NS),
    pod("app", "server", "server"), pod("client", "good", "good"), pod("client", "bad", "bad"),
    authz("app", "allow-good", {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/client/sa/good"]}}],
                                           "to": [{"operation": {"ports": ["8080"]}}]}]}),
]


def report():
    (analyzer,) = with_address_ranges(build_cluster([("m.yaml", o) for o in OBJECTS]))
    return build_report(analyzer)


def test_the_mesh_narrows_the_port_sets_and_names_its_rule():
    model = report()
    by_pair = {(c.source, c.destination): c for c in model.connections}
    # the datapath allows everything; the mesh (TCP only) admits good on 8080 alone, bad on no TCP port
    assert "TCP" not in by_pair[("client/bad", "app/server")].ports
    good = by_pair[("client/good", "app/server")]
    assert good.ports["TCP"].ranges() == ((8080, 8080),) and good.ports["UDP"].is_everything()
    (rule,) = good.mesh.rules
    assert (rule.kind, rule.policy, rule.layer, rule.rule) == ("AuthorizationPolicy", "app/allow-good", "mesh", 1)
    doc = report_json(model)
    connection = next(c for c in doc["connections"] if (c["from"], c["to"]) == ("client/good", "app/server"))
    assert connection["admitted_by"]["mesh"]["rules"][0]["ports"] == {"TCP": [[8080, 8080]]}
    assert connection["ports"]["TCP"] == [[8080, 8080]]


def test_mesh_policies_are_counted_per_kind():
    assert report_json(report())["summary"]["policies"] == {"AuthorizationPolicy": {"mesh": 1}}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mesh_worlds(max_endpoints=5, max_policies=2, max_mesh_policies=3))
def test_grouped_port_sets_equal_the_combined_per_pair_verdict(world):
    objects, externals = world
    analyzer = Analyzer(build_cluster([(f"f{i}.yaml", o) for i, o in enumerate(objects)], tuple(externals)))
    members = analyzer.classes.members
    grouped = {}
    for c in class_connections(analyzer):
        for a in members[c.source]:
            for b in members[c.destination]:
                grouped[(a.id, b.id)] = c.ports
    ids = [e.id for e in analyzer.cluster.endpoints]
    for a in ids:
        for b in ids:
            if a == b:
                continue
            tcp = grouped.get((a, b), {}).get("TCP")
            for port in (1, 53, 80, 81, 443, 8080, 15008, 65535):
                assert (tcp is not None and port in tcp) == analyzer.allowed(a, b, port, "TCP"), (a, b, port)
