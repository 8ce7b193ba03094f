"""netguard audit: Hubble records read as flow.proto defines them, classes, times, baseline, suggest."""

from __future__ import annotations

import json
import tracemalloc

import pytest
import yaml

from report_paths import PLATFORM
from netguard.audit.hubble import BadRecord, parse_line
from netguard.audit.observed import read_flows

ROUTER = {"namespace": "ai-gateway", "pod_name": "router-5d8f7c9b6d-x2x9q",
          "labels": ["k8s:app.kubernetes.io/name=router", "k8s:netguard.io/role=gateway",
                     "k8s:io.kubernetes.pod.namespace=ai-gateway"],
          "workloads": [{"name": "router", "kind": "Deployment"}]}
LLM = {"namespace": "ai-serving", "pod_name": "llm-server-6b7c8d9f5c-abcde",
       "labels": ["k8s:app.kubernetes.io/name=llm-server", "k8s:netguard.io/role=inference"]}
VECTOR = {"namespace": "ai-data", "pod_name": "vector-db-0", "labels": ["k8s:app.kubernetes.io/name=vector-db"]}
PROMETHEUS = {"namespace": "monitoring", "pod_name": "prometheus-7c9d8f6b5-zzzzz",
              "labels": ["k8s:app.kubernetes.io/name=prometheus"]}
TRAINER = {"namespace": "ai-training", "pod_name": "trainer-q8w7e", "labels": ["k8s:app.kubernetes.io/name=trainer"]}
WORLD = {"identity": 2, "labels": ["reserved:world"]}


def flow(src, dst, port, verdict="FORWARDED", protocol="TCP", when="2026-11-30T10:00:00Z", reply=False,
         ip=None, **extra):
    body = {"time": when, "verdict": verdict, "l4": {protocol: {"source_port": 40000, "destination_port": port}},
            "source": src, "destination": dst, "Type": "L3_L4", "traffic_direction": "EGRESS", "is_reply": reply,
            **extra}
    if ip:
        body["IP"] = {"source": ip[0], "destination": ip[1], "ipVersion": "IPv4"}
    if verdict == "DROPPED":
        body.setdefault("drop_reason_desc", "POLICY_DENIED")
    return json.dumps({"flow": body, "node_name": "kind-worker", "time": when})


def audit(netguard, tmp_path, lines, *extra):
    flows = tmp_path / "flows.jsonl"
    flows.write_text("\n".join(lines) + "\n")
    code, out, err = netguard("audit", PLATFORM, "--flows", flows, "--format", "json", *extra)
    assert code == 0, err
    doc = json.loads(out)
    return doc, {(c["from"], c["to"], c["port"], c["protocol"]): c for c in doc["connections"]}


def test_both_json_spellings_read_alike():
    snake = flow(ROUTER, LLM, 8000, ip=("10.0.0.1", "10.0.0.2"), drop_reason_desc="POLICY_DENIED")
    camel = json.dumps({"flow": {
        "time": "2026-11-30T10:00:00Z", "verdict": 1, "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"},
        "l4": {"TCP": {"sourcePort": 40000, "destinationPort": 8000}},
        "source": {**{k: v for k, v in ROUTER.items() if k != "pod_name"}, "podName": ROUTER["pod_name"]},
        "destination": {**{k: v for k, v in LLM.items() if k != "pod_name"}, "podName": LLM["pod_name"]},
        "isReply": False, "trafficDirection": "EGRESS", "dropReasonDesc": "POLICY_DENIED"}})
    bare = json.dumps(json.loads(snake)["flow"])  # `hubble observe -o json`: the Flow alone
    records = [parse_line(line) for line in (snake, camel, bare)]
    assert records[0] == records[1] == records[2]
    assert (records[0].protocol, records[0].port, records[0].verdict) == ("TCP", 8000, "FORWARDED")
    assert records[0].source.workloads == (("Deployment", "router"),)


@pytest.mark.parametrize("line, problem", [
    ("{not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"flow": {"l4": {"TCP": {"destination_port": "http"}}, "source": {"pod_name": "a"}}}', "destination_port"),
    ('{"flow": {"l4": {"TCP": {"destination_port": 0}}, "source": {"pod_name": "a"}}}', "not a port number"),
    ('{"flow": {"verdict": "MAYBE", "l4": {"UDP": {"destination_port": 53}}, "source": {"pod_name": "a"},'
     ' "destination": {"pod_name": "b"}}}', "flow.verdict"),
    ('{"flow": {"l4": {"TCP": {"destination_port": 80}}, "source": {"pod_name": "a"}, "destination": {}}}',
     "neither a pod_name nor an IP"),
    ('{"flow": {"time": "yesterday", "l4": {"TCP": {"destination_port": 80}}, "source": {"pod_name": "a"},'
     ' "destination": {"pod_name": "b"}}}', "RFC 3339"),
    ('{"hello": 1}', "no 'flow' object"),
])
def test_bad_records_say_what_is_wrong(line, problem):
    with pytest.raises(BadRecord, match=problem):
        parse_line(line)


def test_records_that_are_not_l4_flows_are_skipped_not_bad():
    assert parse_line('{"node_status": {"state_change": "NODE_CONNECTED"}, "node_name": "n1"}') is None
    icmp = {"flow": {"l4": {"ICMPv4": {"type": 8}}, "source": {"pod_name": "a"}, "destination": {"pod_name": "b"}}}
    assert parse_line(json.dumps(icmp)) is None


def test_every_class(netguard, tmp_path):
    doc, by_key = audit(netguard, tmp_path, [
        flow(ROUTER, LLM, 8000),                                              # allowed, forwarded
        flow(ROUTER, LLM, 8000, when="2026-11-30T09:00:00.123456789+00:00"),
        flow(LLM, ROUTER, 40000, reply=True),                                 # a reply: not a connection
        flow(ROUTER, VECTOR, 6333, "DROPPED"),                                # denied, dropped
        flow(LLM, TRAINER, 29500),                                            # denied, yet forwarded
        flow(PROMETHEUS, LLM, 9090, "DROPPED"),                               # allowed, yet dropped by a policy
        flow({"namespace": "ai-serving", "pod_name": "debug", "labels": ["k8s:app=debug"]}, LLM, 8000, "DROPPED"),
        flow(TRAINER, WORLD, 443, ip=("10.0.3.3", "203.0.113.9")),            # the egress allowlist
        flow(TRAINER, WORLD, 443, ip=("10.0.3.3", "198.51.100.1")),           # outside it
        "this line is broken",
    ])
    assert doc["schema"] == "netguard.audit/v1"
    assert doc["records"] == 9 and doc["replies"] == 1 and doc["bad_lines"] == [10]
    ok = by_key[("ai-gateway/router", "ai-serving/llm-server", 8000, "TCP")]
    assert (ok["class"], ok["policy"], ok["observed"], ok["verdicts"]) == ("observed-allowed", "allowed", 2, {"FORWARDED": 2})
    assert (ok["first_seen"], ok["last_seen"]) == ("2026-11-30T09:00:00.123456789+00:00", "2026-11-30T10:00:00Z")
    assert ok["seen_for_seconds"] == 3599.877
    assert by_key[("ai-gateway/router", "ai-data/vector-db", 6333, "TCP")]["class"] == "observed-denied"
    assert by_key[("ai-serving/llm-server", "ai-training/trainer", 29500, "TCP")]["class"] == "verdict-mismatch"
    assert by_key[("monitoring/prometheus", "ai-serving/llm-server", 9090, "TCP")]["class"] == "verdict-mismatch"
    stray = by_key[("ai-serving/debug", "ai-serving/llm-server", 8000, "TCP")]
    assert (stray["class"], stray["policy"]) == ("unknown-endpoint", "denied")  # evaluated by its labels
    assert by_key[("ai-training/trainer", "external/203.0.113.9", 443, "TCP")]["class"] == "observed-allowed"
    outside = by_key[("ai-training/trainer", "external/198.51.100.1", 443, "TCP")]
    assert (outside["policy"], outside["class"]) == ("denied", "verdict-mismatch")
    unused = by_key[("ai-serving/llm-server", "ai-data/vector-db", 6333, "TCP")]
    assert (unused["class"], unused["observed"], unused["first_seen"]) == ("unobserved", 0, None)
    assert ("ai-gateway/router", "ai-serving/llm-server", 40000, "TCP") not in by_key
    # the trainer's allowed range was used (203.0.113.9 is inside it): not a candidate to tighten
    assert ("ai-training/trainer", "external/203.0.113.0-203.0.113.255", 443, "TCP") not in by_key


def test_pods_map_to_their_workloads_by_name_and_labels(netguard, tmp_path):
    nameless = {"namespace": "ai-gateway", "pod_name": "router-5d8f7c9b6d-aaaaa", "labels": ["k8s:app.kubernetes.io/name=router"]}
    impostor = {"namespace": "ai-gateway", "pod_name": "router-5d8f7c9b6d-bbbbb", "labels": ["k8s:app.kubernetes.io/name=evil"]}
    _, by_key = audit(netguard, tmp_path, [flow(nameless, LLM, 8000), flow(impostor, LLM, 8000), flow(LLM, VECTOR, 6333)])
    assert by_key[("ai-gateway/router", "ai-serving/llm-server", 8000, "TCP")]["observed"] == 1
    impostor_row = by_key[("ai-gateway/router-5d8f7c9b6d-bbbbb", "ai-serving/llm-server", 8000, "TCP")]
    assert (impostor_row["class"], impostor_row["policy"]) == ("unknown-endpoint", "denied")
    assert by_key[("ai-serving/llm-server", "ai-data/vector-db", 6333, "TCP")]["class"] == "observed-allowed"  # StatefulSet ordinal


def test_baseline_marks_new_connections(netguard, tmp_path):
    earlier, _ = audit(netguard, tmp_path, [flow(ROUTER, LLM, 8000)])
    baseline = tmp_path / "earlier.json"
    baseline.write_text(json.dumps(earlier))
    _, by_key = audit(netguard, tmp_path, [flow(ROUTER, LLM, 8000), flow(LLM, VECTOR, 6333)], "--baseline", baseline)
    assert by_key[("ai-gateway/router", "ai-serving/llm-server", 8000, "TCP")]["new"] is False
    assert by_key[("ai-serving/llm-server", "ai-data/vector-db", 6333, "TCP")]["new"] is True
    (tmp_path / "bad.json").write_text('{"schema": "netguard.report/v1"}')
    code, _, err = netguard("audit", PLATFORM, "--flows", tmp_path / "flows.jsonl", "--baseline", tmp_path / "bad.json")
    assert code == 2 and "--baseline" in err and err.count("\n") == 1


def test_suggest_prints_inventory_flows_for_denied_connections(netguard, tmp_path):
    flows = tmp_path / "flows.jsonl"
    flows.write_text("\n".join([flow(ROUTER, VECTOR, 6333, "DROPPED"), flow(ROUTER, LLM, 8000)]))
    code, out, _ = netguard("audit", PLATFORM, "--flows", flows, "--suggest")
    assert code == 0
    assert yaml.safe_load(out) == {"flows": [{"from": {"namespace": "ai-gateway", "workload": "router"},
                                              "to": {"namespace": "ai-data", "workload": "vector-db"},
                                              "ports": ["grpc"]}]}


def test_md_lists_what_needs_a_look(netguard, tmp_path):
    flows = tmp_path / "flows.jsonl"
    flows.write_text("\n".join([flow(LLM, TRAINER, 29500), "{", flow(ROUTER, LLM, 8000)]))
    code, out, _ = netguard("audit", PLATFORM, "--flows", flows)
    assert out.startswith("## netguard audit")
    assert "### Verdict disagrees with the policy" in out
    assert "`ai-serving/llm-server` → `ai-training/trainer` 29500/TCP, policy denied: 1 record (1 FORWARDED)" in out
    assert "2026-11-30T10:00:00Z … 2026-11-30T10:00:00Z (0 s)" in out
    assert "- line 2: not JSON" in out


def test_a_missing_flow_file_is_one_line(netguard, tmp_path):
    code, _, err = netguard("audit", PLATFORM, "--flows", tmp_path / "none.jsonl")
    assert code == 2 and "--flows" in err and err.count("\n") == 1


def test_memory_does_not_grow_with_records(tmp_path):
    line = flow(ROUTER, LLM, 8000) + "\n"
    peaks = []
    for count in (2_000, 20_000):
        path = tmp_path / f"{count}.jsonl"
        path.write_text(line * count)
        tracemalloc.start()
        seen = read_flows(str(path))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert seen.records == count and len(seen.tallies) == 1
    assert peaks[1] < peaks[0] + 256 * 1024


def test_compressed_logs_byte_order_marks_and_old_drop_reasons(netguard, tmp_path):
    import gzip

    old_drop = json.loads(flow(PROMETHEUS, LLM, 9090, "DROPPED"))
    del old_drop["flow"]["drop_reason_desc"]
    old_drop["flow"]["drop_reason"] = 134  # INVALID_PACKET_DROPPED: the datapath's trouble, not a policy's
    lines = ["\ufeff" + flow(ROUTER, LLM, 8000), json.dumps(old_drop)]
    path = tmp_path / "flows.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(lines) + "\n")
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(path.read_bytes()[:-12])
    code, out, _ = netguard("audit", PLATFORM, "--flows", path, "--format", "json")
    doc = json.loads(out)
    by_key = {(c["from"], c["to"], c["port"]): c for c in doc["connections"]}
    assert doc["bad_lines"] == [] and doc["records"] == 2
    assert by_key[("ai-gateway/router", "ai-serving/llm-server", 8000)]["class"] == "observed-allowed"
    assert by_key[("monitoring/prometheus", "ai-serving/llm-server", 9090)]["class"] == "observed-allowed"
    code, out, _ = netguard("audit", PLATFORM, "--flows", truncated, "--format", "json")
    assert code == 0 and json.loads(out)["bad_line_problems"][-1]["problem"].startswith("the file cannot be read on")
