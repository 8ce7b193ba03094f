"""The Istio mesh in the views: port sets of the combined verdict, and the AuthorizationPolicy rules that admit."""

from __future__ import annotations

from engine.mesh_world import SIDECAR_NS, authz, namespace, pod
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
