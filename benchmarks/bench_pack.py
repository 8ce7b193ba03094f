"""Benchmark: the policy pack's rules over a generated stack of about 2,000 resources.

Usage: .venv/bin/python benchmarks/bench_pack.py [--namespaces 100] [--runs 5] [--port-entries 30000]
       [--tier-port-entries 4000]

Each namespace of the generated stack looks like the reference platform's: a Namespace, a
default-deny, DNS egress, four workloads (gateway, inference, vector store, training) with their
ServiceAccounts and Services, and ingress+egress flow policies between them, plus an egress
allowlist. Resources are fed to the rules the way the engine feeds them (unknown-checking
proxies). Prints the median time of the stack rules and of the resource rules; target: stack
rules under 5 s at 2,000 resources. `--port-entries N` times, on its own, the reference-sized
stack of `--namespaces 3` with N port entries spread over a few large NetworkPolicies (a flow
from inference to training among them, so the rules must find it); target: a verdict in seconds.
`--tier-port-entries N` does the same with N port entries in AdminNetworkPolicies (100 per policy,
the v1alpha1 limit), each a Deny from inference into training on its own ports.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "policies"), str(ROOT / "tests")]

from policy import manifests as m  # noqa: E402
from policy.pack_harness import run  # noqa: E402
from pulumi_policy import StackValidationPolicy  # noqa: E402
from rules import POLICIES  # noqa: E402

ROLES = ("gateway", "inference", "vector-store", "training")


def service(ns: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app.kubernetes.io/name": name}, "ports": [{"port": 8080}]}}


def account(ns: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns},
            "automountServiceAccountToken": False}


def namespace_objects(index: int) -> list[dict]:
    ns = f"team-{index:04d}"
    objects = m.isolated_namespace(ns)
    for role in ROLES:
        name = f"{role}-{index}"
        objects += [m.deployment(ns, name, role), account(ns, name), service(ns, name)]
    objects += m.flow(ns, "gateway", ns, "inference", 8080)
    objects += m.flow(ns, "inference", ns, "vector-store", 8080)
    objects.append(m.network_policy(ns, "egress-store", {
        "podSelector": {"matchLabels": {"netguard.io/role": "training"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}]}))
    return objects


def port_heavy_objects(entries: int) -> list[dict]:
    """Three namespaces, plus four policies that together list ``entries`` port entries."""
    objects = [o for i in range(3) for o in namespace_objects(i)]
    per_policy = max(1, entries // 4)
    for index in range(4):
        ns = f"team-{index % 3:04d}"
        ports = [{"port": 1024 + (n * 7 + index) % 60000, "protocol": ("TCP", "UDP")[n % 2]} for n in range(per_policy)]
        ports.append({"port": 8080})
        direction, peers = ("ingress", "from") if index % 2 else ("egress", "to")
        objects.append(m.network_policy(ns, f"many-ports-{index}", {
            "podSelector": {"matchLabels": {"netguard.io/role": "training" if index % 2 else "inference"}},
            "policyTypes": [direction.capitalize()],
            direction: [{peers: [{"namespaceSelector": {}, "podSelector": {"matchLabels": {
                "netguard.io/role": "inference" if index % 2 else "training"}}}], "ports": ports}]}))
    return objects


def tier_port_heavy_objects(entries: int) -> list[dict]:
    """Three namespaces, plus AdminNetworkPolicies of 100 port entries each, ``entries`` in all."""
    objects = [o for i in range(3) for o in namespace_objects(i)]
    for index in range(max(1, entries // 100)):
        ports = [{"portNumber": {"port": 1024 + index * 100 + n, "protocol": "TCP"}} for n in range(100)]
        objects.append({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                        "metadata": {"name": f"many-ports-{index}"},
                        "spec": {"priority": index % 1000, "subject": {"pods": {
                            "namespaceSelector": {}, "podSelector": {"matchLabels": {"netguard.io/role": "training"}}}},
                            "ingress": [{"action": "Deny", "ports": ports, "from": [{"pods": {
                                "namespaceSelector": {}, "podSelector": {"matchLabels": {"netguard.io/role": "inference"}}}}]}]}})
    return objects


def timed(resources, policies) -> tuple[float, int]:
    start = time.perf_counter()
    found = run(resources, policies=policies)
    return time.perf_counter() - start, len(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port-entries", type=int, default=0)
    parser.add_argument("--tier-port-entries", type=int, default=0)
    args = parser.parse_args()
    if args.port_entries:
        return bench_port_entries(port_heavy_objects(args.port_entries), args.port_entries, args.runs)
    if args.tier_port_entries:
        return bench_port_entries(tier_port_heavy_objects(args.tier_port_entries), args.tier_port_entries, args.runs)
    resources = m.resources([o for i in range(args.namespaces) for o in namespace_objects(i)])
    stack_rules = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
    resource_rules = [p for p in POLICIES if p not in stack_rules]
    results = {}
    for label, policies in (("stack rules", stack_rules), ("resource rules", resource_rules)):
        runs = [timed(resources, policies) for _ in range(args.runs)]
        results[label] = statistics.median(t for t, _ in runs)
        violations = runs[0][1]
        print(f"{label:15s} {len(resources)} resources: median {results[label]:.2f} s over {args.runs} runs, "
              f"{violations} violations")
    verdict = "PASS" if results["stack rules"] < 5 else "FAIL"
    print(f"target: stack rules under 5 s at ~2,000 resources: {verdict}")
    return 0


def bench_port_entries(objects: list[dict], entries: int, runs: int) -> int:
    resources = m.resources(objects)
    stack_rules = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
    times = [timed(resources, stack_rules) for _ in range(runs)]
    median = statistics.median(t for t, _ in times)
    print(f"stack rules, {len(resources)} resources with {entries} port entries: median {median:.2f} s over "
          f"{runs} runs, {times[0][1]} violations")
    print(f"target: a verdict in seconds (under 10 s): {'PASS' if median < 10 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
