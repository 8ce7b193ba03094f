#!/usr/bin/env python3
"""Write Hubble flow records (JSON lines, as `hubble observe -o jsonpb` writes them) for a manifest folder.

For the audit's benchmark and tests: each record is one of the manifests' allowed connections
(FORWARDED), a connection the policy denies (DROPPED, POLICY_DENIED), its reply (is_reply: true),
egress to an internet address, traffic of a pod the manifests do not know, or, every `--bad-every`
lines, a broken line. Pod names follow Kubernetes' naming (`<deployment>-<hash>-<id>`), labels
Cilium's (`k8s:key=value`). Deterministic in --seed.

Usage: gen_flows.py MANIFESTS --records N --out FILE [--seed S] [--bad-every K]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policies"))
from netguard.analysis import Analyzer  # noqa: E402
from netguard.loader import load_paths  # noqa: E402

START = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


REPLICAS = 2
_NAMES: dict[tuple[str, int], str] = {}


def pod_name(endpoint, rng: random.Random) -> str:
    """One of the workload's REPLICAS pods, named as Kubernetes names them (stable across records)."""
    key = (endpoint.id, rng.randrange(REPLICAS))
    if key not in _NAMES:
        _NAMES[key] = _new_pod_name(endpoint, rng)
    return _NAMES[key]


def _new_pod_name(endpoint, rng: random.Random) -> str:
    if endpoint.kind == "Pod":
        return endpoint.name
    if endpoint.kind == "StatefulSet":
        return f"{endpoint.name}-{rng.randrange(3)}"
    if endpoint.kind == "Deployment":
        return f"{endpoint.name}-7d9f8b6c4d-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
    return f"{endpoint.name}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"


def peer(endpoint, rng: random.Random) -> dict:
    labels = [f"k8s:{k}={v}" for k, v in sorted(endpoint.labels.items())]
    labels.append(f"k8s:io.kubernetes.pod.namespace={endpoint.namespace}")
    out = {"ID": rng.randrange(1, 4000), "identity": rng.randrange(256, 65535), "namespace": endpoint.namespace,
           "labels": labels, "pod_name": pod_name(endpoint, rng)}
    if endpoint.kind != "Pod":
        out["workloads"] = [{"name": endpoint.name, "kind": endpoint.kind}]
    return out


def record(src: dict, dst: dict, port: int, protocol: str, verdict: str, when: datetime, reply: bool = False,
           src_ip: str = "10.0.1.10", dst_ip: str = "10.0.2.20") -> str:
    l4 = {protocol: {"source_port": 40000 + port % 20000, "destination_port": port}}
    if protocol == "TCP":
        l4["TCP"]["flags"] = {"SYN": True, "ACK": True} if reply else {"SYN": True}
    flow = {"time": when.isoformat().replace("+00:00", "Z"), "verdict": verdict,
            "IP": {"source": src_ip, "destination": dst_ip, "ipVersion": "IPv4"}, "l4": l4,
            "source": src, "destination": dst, "Type": "L3_L4", "node_name": "kind-worker",
            "traffic_direction": "EGRESS", "is_reply": reply}
    if verdict == "DROPPED":
        flow["drop_reason_desc"] = "POLICY_DENIED"
    return json.dumps({"flow": flow, "node_name": "kind-worker", "time": flow["time"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bad-every", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    analyzer = Analyzer(load_paths([args.manifests]))
    endpoints = [e for e in analyzer.cluster.endpoints if not e.external]
    allowed = analyzer.matrix(analyzer.declared_probes())
    denied = [(a, b, p.port, p.protocol) for a in endpoints[:50] for b in endpoints[:50] if a.id != b.id
              for p in b.ports][:500]
    allowed_set = set(allowed)
    denied = [d for d in denied if (d[0].id, d[1].id, d[2], d[3]) not in allowed_set] or denied
    by_id = {e.id: e for e in endpoints}
    with args.out.open("w") as out:
        for i in range(1, args.records + 1):
            when = START + timedelta(milliseconds=37 * i)
            if args.bad_every and i % args.bad_every == 0:
                out.write('{"flow": {"verdict": "FORWARDED", "l4": {"TCP": {"destination_port": "http"}}}}\n')
                continue
            pick = rng.random()
            if pick < 0.6 and allowed:
                s, d, port, protocol = allowed[rng.randrange(len(allowed))]
                line = record(peer(by_id[s], rng), peer(by_id[d], rng), port, protocol, "FORWARDED", when)
            elif pick < 0.75:
                s, d, port, protocol = denied[rng.randrange(len(denied))]
                line = record(peer(s, rng), peer(d, rng), port, protocol, "DROPPED", when)
            elif pick < 0.9 and allowed:
                s, d, port, protocol = allowed[rng.randrange(len(allowed))]
                line = record(peer(by_id[d], rng), peer(by_id[s], rng), 40000 + port % 20000, protocol, "FORWARDED",
                              when, reply=True)
            elif pick < 0.97:
                s = endpoints[rng.randrange(len(endpoints))]
                world = {"identity": 2, "labels": ["reserved:world"]}
                line = record(peer(s, rng), world, 443, "TCP", "FORWARDED", when, dst_ip=f"203.0.113.{rng.randrange(1, 5)}")
            else:
                d = endpoints[rng.randrange(len(endpoints))]
                stray = {"namespace": d.namespace, "labels": ["k8s:app=debug-shell"], "pod_name": "debug-shell"}
                port = d.ports[0].port if d.ports else 80
                line = record(stray, peer(d, rng), port, "TCP", "DROPPED", when)
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
