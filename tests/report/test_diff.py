"""netguard diff: kinds, deltas, causes, risk, equivalent, --fail-on, formats; and laws on random worlds."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from report_paths import PLATFORM, PLATFORM_EQUIVALENT, PLATFORM_NEW, golden
from engine.world_strategies import network_policies, worlds
from netguard.commands import with_address_ranges
from netguard.diff.compare import compare
from netguard.diff.portsets import difference
from netguard.loader import build_cluster


def platform_diff(netguard, new=PLATFORM_NEW, *extra):
    code, out, err = netguard("diff", PLATFORM, new, "--format", "json", *extra)
    assert err == ""
    return code, json.loads(out)


def test_each_changed_pair_has_its_kind_and_deltas(netguard):
    code, doc = platform_diff(netguard)
    assert code == 0 and doc["schema"] == "netguard.diff/v1" and doc["equivalent"] is False
    changes = {(c["from"], c["to"]): c for c in doc["changes"]}
    widened = changes[("ai-gateway/router", "ai-serving/llm-server")]
    assert (widened["kind"], widened["gained"], widened["lost"]) == ("widened", {"TCP": [[9090, 9090]]}, {})
    assert widened["deltas"] == ["+TCP 9090"]
    narrowed = changes[("ai-gateway/router", "kube-system/coredns")]
    assert (narrowed["kind"], narrowed["lost"], narrowed["deltas"]) == ("narrowed", {"TCP": [[53, 53]]}, ["-TCP 53"])
    assert narrowed["new"] == {"UDP": [[53, 53]]}
    added = changes[("ai-training/trainer", "external/0.0.0.0-9.255.255.255")]
    assert (added["kind"], added["old"], added["new"]) == ("added", {}, {"TCP": [[443, 443]]})
    # no entry for an unchanged pair
    assert ("ai-serving/llm-server", "ai-data/vector-db") not in changes
    assert ("ai-training/trainer", "external/203.0.113.0-203.0.113.255") not in changes


def test_causes_name_new_rules_for_gains_and_old_rules_for_losses(netguard):
    _, doc = platform_diff(netguard)
    changes = {(c["from"], c["to"]): c for c in doc["changes"]}
    gained = changes[("ai-gateway/router", "ai-serving/llm-server")]["cause"]["gained"]
    assert {(g["side"], g["policy"], g["rule"]) for g in gained} == {
        ("egress", "ai-gateway/flow-router-to-llm-server", 1), ("ingress", "ai-serving/flow-router-to-llm-server", 1)}
    assert all(g["ports"] == {"TCP": [[9090, 9090]]} for g in gained)
    lost = changes[("ai-gateway/router", "kube-system/coredns")]["cause"]
    assert [(c["side"], c["policy"], c["layer"]) for c in lost["lost"] if c["policy"]] == [
        ("egress", "ai-gateway/allow-dns", "platform")]
    assert {"side": "egress", "policy": "ai-gateway/default-deny"} in lost["now_isolated_by"]


def test_risk_for_an_ai_platform(netguard):
    _, doc = platform_diff(netguard)
    risk = {(c["from"], c["to"]): c["risk"] for c in doc["changes"]}
    assert risk[("ai-serving/notebook", "ai-training/trainer")]["level"] == "high"
    assert "new path into training (ai-training/trainer)" in risk[("ai-serving/notebook", "ai-training/trainer")]["reasons"]
    assert any("confidential" in r for r in risk[("ai-gateway/router", "ai-serving/llm-server")]["reasons"])
    assert any("internet" in r for r in risk[("ai-training/trainer", "external/0.0.0.0-9.255.255.255")]["reasons"])
    assert risk[("ai-gateway/router", "kube-system/coredns")]["reasons"] == [
        "DNS over TCP newly blocked for ai-gateway/router (no port 53/TCP anywhere)"]
    assert risk[("ai-serving/notebook", "kube-system/coredns")]["level"] == "medium"


def test_endpoints_added_are_apart_from_policy_changes(netguard):
    _, doc = platform_diff(netguard)
    assert doc["endpoints_added"] == ["ai-serving/notebook"] and doc["endpoints_removed"] == []
    ends = {(c["from"], c["to"]): c["endpoints"] for c in doc["changes"]}
    assert ends[("ai-serving/notebook", "ai-training/trainer")] == "added"
    assert ends[("ai-gateway/router", "ai-serving/llm-server")] == "both"
    _, back = netguard("diff", PLATFORM_NEW, PLATFORM, "--format", "json")[:2]
    back = json.loads(back)
    assert back["endpoints_removed"] == ["ai-serving/notebook"]
    assert {c["kind"] for c in back["changes"] if c["endpoints"] == "removed"} == {"removed"}


def test_equivalent_policy_files(netguard):
    code, doc = platform_diff(netguard, PLATFORM_EQUIVALENT, "--fail-on", "added,removed,widened,narrowed,changed")
    assert code == 0
    assert doc["equivalent"] is True and doc["changes"] == []
    assert doc["policies_changed"] == [{"kind": "NetworkPolicy", "id": "ai-data/allow-dns", "change": "modified"}]
    code, out, _ = netguard("diff", PLATFORM, PLATFORM_EQUIVALENT)
    assert "**Equivalent**: 1 policy changed" in out


def test_fail_on_exits_3_when_such_a_change_exists(netguard):
    assert platform_diff(netguard, PLATFORM_NEW, "--fail-on", "added,widened")[0] == 3
    assert platform_diff(netguard, PLATFORM_NEW, "--fail-on", "high")[0] == 3
    assert platform_diff(netguard, PLATFORM_NEW, "--fail-on", "removed,changed")[0] == 0
    code, out, err = netguard("diff", PLATFORM, PLATFORM_NEW, "--fail-on", "bigger")
    assert code == 2 and out == "" and "--fail-on" in err and err.count("\n") == 1


def test_txt_follows_netpol_analyzer_diff_lines(netguard):
    code, out, _ = netguard("diff", PLATFORM, PLATFORM_NEW, "--format", "txt")
    assert out == golden("platform-new.diff.txt", out)
    assert out.startswith("Connectivity diff:\n")
    assert ("diff-type: widened, source: ai-gateway/router[Deployment], destination: ai-serving/llm-server"
            "[Deployment], dir1: TCP 8000, dir2: TCP 8000,9090") in out


def test_md_is_a_pr_comment(netguard):
    code, out, _ = netguard("diff", PLATFORM, PLATFORM_NEW, "--format", "md")
    assert out.startswith("## netguard diff")
    high = out[out.index("### High risk"):out.index("### Changes between")]
    assert "`ai-serving/notebook` → `ai-training/trainer` added (+TCP 29500)" in high
    assert "| high | `ai-gateway/router` | `ai-serving/llm-server` | widened: +TCP 9090 |" in out
    assert len(out) <= 60_000


WORLD = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@WORLD
@given(worlds(max_endpoints=5, max_policies=4),
       st.integers(0, 3).flatmap(lambda n: st.tuples(*[network_policies(f"q{i}") for i in range(n)])))
def test_old_plus_gained_minus_lost_is_new(world, more):
    objects, externals = world
    endpoints = [o for o in objects if o.get("kind") != "NetworkPolicy"]
    old_c = build_cluster([("a.yaml", o) for o in objects], externals)
    new_c = build_cluster([("b.yaml", o) for o in endpoints + list(more)], externals)
    old, new = with_address_ranges(old_c, new_c)
    result = compare(old, new)
    seen = {(c.source, c.destination) for c in result.changes}
    assert len(seen) == len(result.changes)
    for c in result.changes:
        assert c.gained or c.lost
        assert difference(c.new, c.old) == c.gained and difference(c.old, c.new) == c.lost
        for protocol in ("TCP", "UDP", "SCTP"):
            assert new.allowed_ports(c.source, c.destination)[protocol].ranges() == (
                c.new[protocol].ranges() if protocol in c.new else ())
    assert compare(old, old).changes == ()
