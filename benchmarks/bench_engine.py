#!/usr/bin/env python3
"""Benchmark the netguard engine against np-guard's network-config-analyzer (NCA) on an AI platform.

The platform has N tenant namespaces, each with five Deployments of two replicas (gateway, inference,
vector-store, training, preprocessing) and, in seven namespaces of ten, a notebook Pod; kube-system
holds kube-dns. Each tenant namespace has eight NetworkPolicies, as the components write them:
- default-deny: empty podSelector, policyTypes Ingress and Egress;
- DNS egress to kube-system/kube-dns on 53/UDP and 53/TCP;
- flow policies, one ingress policy on each destination and one egress policy on each source, by role
  labels and `kubernetes.io/metadata.name` namespace selectors, on exact ports: gateway -> inference
  (its own namespace and the next one), inference -> vector-store, preprocessing -> vector-store;
- an egress allowlist: training may reach 0.0.0.0/0 except the private ranges on 443/TCP.
N=50 gives 537 pods (as NCA counts them: it models at most two replicas per workload) and 400
policies; N=100 gives 1,072 and 800; N=1,000 gives 10,702 and 8,000.

In one run: NCA and netguard on the small sizes (median of a few netguard runs, one NCA run), a check
that both allow the same set of flows over every declared port, the speed ratio; then netguard alone
on the large size, timed in a fresh subprocess for the full matrix of one probe, with its peak memory.
Targets: the same allowed set as NCA; netguard at least 50x faster; N=1,000 under 30 s and 2 GiB.

With --tiers the platform also carries cluster guardrails as ClusterNetworkPolicies (the shape the
AiGuardrails component writes): an Admin DNS Accept and a metadata-endpoint Deny for every tenant
namespace, one Admin policy per tenant (all at one priority, disjoint subjects) that Passes its
declared sources and its own namespace to the NetworkPolicies and Denies every other tenant, and a
Baseline default-deny. They allow nothing the NetworkPolicies deny, so the allowed set is unchanged:
the run checks that, and times the tiered matrix against the plain one.

With --mesh N, the same platform of N namespaces is also written with the Istio layer as the
components make it (sidecar injection, each workload under its own ServiceAccount, a STRICT
PeerAuthentication, an allow-nothing AuthorizationPolicy and one ALLOW policy per flow destination
admitting the sources' principals on the flow's port), and the whole matrix of one probe is timed
with the datapath alone and with both enforcement points (median of --runs, in-process).

With --cilium N, the platform of N namespaces also carries the Cilium layer as the components write
it: per tenant a CiliumNetworkPolicy on training with toFQDNs (443/TCP) and the DNS rule with
rules.dns, plus a CiliumClusterwideNetworkPolicy denying the metadata address to every tenant. It
allows no pod more and denies none of the pods' flows, so the allowed set is unchanged: the run
checks that and times the whole matrix of one probe with and without it (median of --runs).

Usage: bench_engine.py [--sizes 50,100] [--large 1000] [--skip-nca] [--runs 3] [--min-ratio 50]
                       [--tiers] [--mesh 1000] [--cilium 1000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))  # differential_nca
import differential_nca  # noqa: E402

ROLES: dict[str, dict[str, Any]] = {
    "gateway": {"port": 8080, "name": "http", "class": "public"},
    "inference": {"port": 8080, "name": "http", "class": "confidential"},
    "vector-store": {"port": 6333, "name": "grpc", "class": "restricted"},
    "training": {"port": 29500, "name": "dist", "class": "restricted"},
    "preprocessing": {"port": 9000, "name": "http", "class": "internal"},
}
NOTEBOOK_PORT = 8888
# (source role, destination role, port, offset of the destination namespace: 0 own, 1 the next one)
FLOWS = [
    ("gateway", "inference", 8080, 0),
    ("gateway", "inference", 8080, 1),
    ("inference", "vector-store", 6333, 0),
    ("preprocessing", "vector-store", 6333, 0),
]
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
PROBE = (8080, "TCP")
GIB = 1024 ** 3


def _ns_name(i: int) -> str:
    return f"tenant-{i:04d}"


def _role_selector(role: str) -> dict[str, Any]:
    return {"matchLabels": {"netguard.io/role": role}}


def _ns_selector(name: str) -> dict[str, Any]:
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def _policy(ns: str, name: str, selector: dict[str, Any], types: list[str], layer: str,
            **rules: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector, "policyTypes": types, **rules}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns, "labels": {"netguard.io/layer": layer}},
            "spec": spec}


def _deployment(ns: str, name: str, labels: dict[str, str], ports: list[dict[str, Any]],
                replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": "registry.example/ai:1",
                                                           "ports": ports}]}}}}


def _flow_policies(i: int, n: int) -> list[dict[str, Any]]:
    ns = _ns_name(i)
    ingress: dict[str, list[dict[str, Any]]] = {}
    egress: dict[str, list[dict[str, Any]]] = {}
    for src_role, dst_role, port, offset in FLOWS:
        # Ingress on the destination in this namespace, from the source `offset` namespaces back.
        src_ns = _ns_name((i - offset) % n)
        ingress.setdefault(dst_role, []).append(
            {"from": [{"namespaceSelector": _ns_selector(src_ns), "podSelector": _role_selector(src_role)}],
             "ports": [{"protocol": "TCP", "port": port}]})
        # Egress on the source in this namespace, to the destination `offset` namespaces on.
        dst_ns = _ns_name((i + offset) % n)
        egress.setdefault(src_role, []).append(
            {"to": [{"namespaceSelector": _ns_selector(dst_ns), "podSelector": _role_selector(dst_role)}],
             "ports": [{"protocol": "TCP", "port": port}]})
    policies = [_policy(ns, f"allow-to-{role}", _role_selector(role), ["Ingress"], "flow", ingress=rules)
                for role, rules in ingress.items()]
    policies += [_policy(ns, f"allow-from-{role}", _role_selector(role), ["Egress"], "flow", egress=rules)
                 for role, rules in egress.items()]
    return policies


def tenant(i: int, n: int) -> list[dict[str, Any]]:
    ns = _ns_name(i)
    docs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": ns, "labels": {"netguard.io/tenant": f"t{i % 7}", "pod-security.kubernetes.io/enforce": "restricted"}}}]
    for role, spec in ROLES.items():
        labels = {"netguard.io/role": role, "netguard.io/data-class": spec["class"],
                  "app.kubernetes.io/name": role, "app.kubernetes.io/part-of": "ai-platform"}
        docs.append(_deployment(ns, role, labels, [{"containerPort": spec["port"], "name": spec["name"]}]))
    if (i * 7) % 10 < 7:
        docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "notebook", "namespace": ns, "labels": {"netguard.io/role": "notebook"}},
            "spec": {"containers": [{"name": "main", "image": "registry.example/nb:1",
                                     "ports": [{"containerPort": NOTEBOOK_PORT}]}]}})
    docs.append(_policy(ns, "default-deny", {}, ["Ingress", "Egress"], "baseline"))
    docs.append(_policy(ns, "allow-dns", {}, ["Egress"], "platform", egress=[{
        "to": [{"namespaceSelector": _ns_selector("kube-system"),
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]))
    docs += _flow_policies(i, n)
    docs.append(_policy(ns, "egress-allowlist-training", _role_selector("training"), ["Egress"], "egress",
                        egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_RANGES}}],
                                 "ports": [{"protocol": "TCP", "port": 443}]}]))
    return docs


TENANT = {"matchExpressions": [{"key": "netguard.io/tenant", "operator": "Exists"}]}


def _cnp(name: str, tier: str, priority: int, subject: dict[str, Any], **rules: Any) -> dict[str, Any]:
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name, "labels": {"netguard.io/layer": "guardrail"}},
            "spec": {"tier": tier, "priority": priority, "subject": subject, **rules}}


def tier_policies(n: int) -> list[dict[str, Any]]:
    """Guardrails over the N tenants, in the API's v1alpha2 shape."""
    dns = {"pods": {"namespaceSelector": _ns_selector("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}}
    docs = [
        _cnp("guardrail-dns", "Admin", 100, {"namespaces": TENANT}, egress=[{
            "name": "dns", "action": "Accept", "to": [dns],
            "protocols": [{"udp": {"destinationPort": {"number": 53}}}, {"tcp": {"destinationPort": {"number": 53}}}]}]),
        _cnp("guardrail-metadata", "Admin", 110, {"namespaces": TENANT}, egress=[{
            "name": "metadata", "action": "Deny", "to": [{"networks": ["169.254.169.254/32", "fd00:ec2::254/128"]}]}]),
        _cnp("guardrail-default-deny", "Baseline", 100, {"namespaces": TENANT},
             ingress=[{"name": "deny", "action": "Deny", "from": [{"namespaces": {}}]}],
             egress=[{"name": "deny", "action": "Deny", "to": [{"namespaces": {}}, {"networks": ["0.0.0.0/0", "::/0"]}]}]),
    ]
    for i in range(n):
        declared = [{"pods": {"namespaceSelector": _ns_selector(_ns_name((i - offset) % n)),
                              "podSelector": _role_selector(src)}} for src, _, _, offset in FLOWS if offset]
        docs.append(_cnp(f"guardrail-{_ns_name(i)}", "Admin", 200, {"namespaces": _ns_selector(_ns_name(i))}, ingress=[
            {"name": "own-namespace", "action": "Pass", "from": [{"namespaces": _ns_selector(_ns_name(i))}]},
            {"name": "declared", "action": "Pass", "from": declared},
            {"name": "other-tenants", "action": "Deny", "from": [{"namespaces": TENANT}]},
        ]))
    return docs


def write_platform(n: int, folder: Path, tiers: bool = False) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    kube_dns = _deployment("kube-system", "coredns", {"k8s-app": "kube-dns"},
                           [{"containerPort": 53, "protocol": "UDP", "name": "dns"},
                            {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"}])
    (folder / "kube-system.yaml").write_text(yaml.safe_dump_all([kube_dns], sort_keys=False))
    pods, policies = 2, 0
    for i in range(n):
        docs = tenant(i, n)
        pods += sum(min(d["spec"].get("replicas", 1), 2) if d["kind"] == "Deployment" else 1
                    for d in docs if d["kind"] in ("Deployment", "Pod"))
        policies += sum(d["kind"] == "NetworkPolicy" for d in docs)
        (folder / f"{_ns_name(i)}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    if tiers:
        guardrails = tier_policies(n)
        (folder / "guardrails.yaml").write_text(yaml.safe_dump_all(guardrails, sort_keys=False))
        return {"pods": pods, "policies": policies, "tier_policies": len(guardrails)}
    return {"pods": pods, "policies": policies}


ISTIO = "security.istio.io/v1"


def _principal(ns: str, role: str) -> str:
    return f"cluster.local/ns/{ns}/sa/{role}"


def meshed_tenant(i: int, n: int) -> list[dict[str, Any]]:
    """``tenant(i, n)`` with the Istio layer: injection label, accounts, PeerAuthentication, policies."""
    ns = _ns_name(i)
    docs = tenant(i, n)
    for d in docs:
        if d["kind"] == "Namespace":
            d["metadata"]["labels"]["istio-injection"] = "enabled"
        elif d["kind"] == "Deployment":
            d["spec"]["template"]["spec"]["serviceAccountName"] = d["metadata"]["name"]
    docs.append({"apiVersion": ISTIO, "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": ns},
                 "spec": {"mtls": {"mode": "STRICT"}}})
    docs.append({"apiVersion": ISTIO, "kind": "AuthorizationPolicy",
                 "metadata": {"name": "allow-nothing", "namespace": ns}, "spec": {}})
    sources: dict[tuple[str, int], list[str]] = {}
    for src_role, dst_role, port, offset in FLOWS:
        sources.setdefault((dst_role, port), []).append(_principal(_ns_name((i - offset) % n), src_role))
    for (dst_role, port), principals in sorted(sources.items()):
        docs.append({"apiVersion": ISTIO, "kind": "AuthorizationPolicy",
                     "metadata": {"name": f"allow-to-{dst_role}", "namespace": ns},
                     "spec": {"selector": {"matchLabels": {"netguard.io/role": dst_role}}, "action": "ALLOW",
                              "rules": [{"from": [{"source": {"principals": principals}}],
                                         "to": [{"operation": {"ports": [str(port)]}}]}]}})
    return docs


def write_meshed_platform(n: int, folder: Path) -> dict[str, int]:
    sizes = write_platform(n, folder)
    for i in range(n):
        (folder / f"{_ns_name(i)}.yaml").write_text(yaml.safe_dump_all(meshed_tenant(i, n), sort_keys=False))
    return sizes


MESH_ENGINE = textwrap.dedent("""
    import json, statistics, sys, time
    from netguard.loader import load_paths
    from netguard.analysis import Analyzer
    started = time.perf_counter()
    model = load_paths([sys.argv[1]])
    loaded = time.perf_counter()
    runs = int(sys.argv[2])
    out = {"load_s": loaded - started}
    for layer in ("datapath", "all"):
        times, allowed = [], 0
        for _ in range(runs):
            analyzer = Analyzer(model)
            t = time.perf_counter()
            allowed = len(analyzer.matrix([(8080, "TCP")], layer))
            times.append(time.perf_counter() - t)
        out[layer] = {"matrix_s": statistics.median(times), "allowed": allowed}
    print(json.dumps(out))
""")


def bench_mesh(n: int, folder: Path, runs: int) -> dict[str, Any]:
    sizes = write_meshed_platform(n, folder)
    _, _, out = _timed([sys.executable, "-c", MESH_ENGINE, str(folder), str(runs)])
    return {"n": n, **sizes, **json.loads(out)}


def cilium_policies(n: int) -> list[dict[str, Any]]:
    dns = {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}
    docs = [{"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
             "metadata": {"name": "deny-metadata"},
             "spec": {"endpointSelector": {"matchExpressions": [{"key": "netguard.io/role", "operator": "Exists"}]},
                      "enableDefaultDeny": {"egress": False},
                      "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}]}}]
    for i in range(n):
        docs.append({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                     "metadata": {"name": "netguard-domains-training", "namespace": _ns_name(i)},
                     "spec": {"endpointSelector": _role_selector("training"), "egress": [
                         {"toEndpoints": [dns], "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}],
                                                             "rules": {"dns": [{"matchName": "models.example.com"}]}}]},
                         {"toFQDNs": [{"matchName": "models.example.com"}],
                          "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}})
    return docs


CILIUM_ENGINE = textwrap.dedent("""
    import json, statistics, sys, time
    from netguard.loader import load_paths
    from netguard.analysis import Analyzer
    out = {}
    for label, folder in (("plain", sys.argv[1]), ("cilium", sys.argv[2])):
        times, allowed = [], None
        for _ in range(int(sys.argv[3])):
            model = load_paths([folder])
            started = time.perf_counter()
            allowed = Analyzer(model).matrix([(8080, "TCP"), (443, "TCP")])
            times.append(time.perf_counter() - started)
        out[label] = {"matrix_s": statistics.median(times), "allowed": allowed}
    print(json.dumps({"plain_s": out["plain"]["matrix_s"], "cilium_s": out["cilium"]["matrix_s"],
                      "allowed": len(out["plain"]["allowed"]), "same": out["plain"]["allowed"] == out["cilium"]["allowed"]}))
""")


def bench_cilium(n: int, root: Path, runs: int) -> dict[str, Any]:
    plain, cilium = root / f"cilium-{n}-plain", root / f"cilium-{n}"
    sizes = write_platform(n, plain)
    write_platform(n, cilium)
    docs = cilium_policies(n)
    (cilium / "cilium.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    _, _, out = _timed([sys.executable, "-c", CILIUM_ENGINE, str(plain), str(cilium), str(runs)])
    return {"n": n, **sizes, "cilium_policies": len(docs), **json.loads(out)}


def probes() -> list[tuple[int, str]]:
    declared = {(spec["port"], "TCP") for spec in ROLES.values()} | {(NOTEBOOK_PORT, "TCP"), (53, "UDP"), (53, "TCP")}
    return sorted(declared | {(443, "TCP")})


def _timed(command: list[str]) -> tuple[float, int, str]:
    """Run a command; its wall time, its own peak RSS in bytes, and its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:3])} ... failed ({proc.returncode}): {stderr[-2000:]}")
        out.seek(0)
        return elapsed, usage.ru_maxrss * 1024, out.read().decode()


def netguard_command(netguard: str, folder: Path, probe_list: list[tuple[int, str]]) -> list[str]:
    command = [netguard, "reach", str(folder), "--format", "json"]
    for port, proto in probe_list:
        command += ["--probe", f"{port}/{proto}"]
    return command


def _flows(answer: str) -> set[tuple[str, str, int, str]]:
    return {(f["from"], f["to"], f["port"], f["protocol"]) for f in json.loads(answer)["allowed"]}


ENGINE_ONLY = textwrap.dedent("""
    import json, resource, sys, time
    from netguard.loader import load_paths
    from netguard.analysis import Analyzer
    started = time.perf_counter()
    model = load_paths([sys.argv[1]])
    loaded = time.perf_counter()
    probes = [(int(p.split("/")[0]), p.split("/")[1]) for p in sys.argv[2].split(",")]
    allowed = Analyzer(model).matrix(probes)
    done = time.perf_counter()
    print(json.dumps({"load_s": loaded - started, "matrix_s": done - loaded, "allowed": len(allowed),
                      "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
""")


def _engine_only(folder: Path, probe_list: list[tuple[int, str]]) -> dict[str, Any]:
    """Load and matrix timed inside a fresh interpreter, without its start-up and imports."""
    probes_arg = ",".join(f"{port}/{proto}" for port, proto in probe_list)
    _, _, out = _timed([sys.executable, "-c", ENGINE_ONLY, str(folder), probes_arg])
    return json.loads(out)


def bench_small(n: int, folder: Path, netguard: str, nca: str | None, runs: int, tiers: bool = False) -> dict[str, Any]:
    sizes = write_platform(n, folder)
    probe_list = probes()
    times, engine_times, answer = [], [], ""
    for _ in range(runs):
        elapsed, _, answer = _timed(netguard_command(netguard, folder, probe_list))
        times.append(elapsed)
        engine = _engine_only(folder, probe_list)
        engine_times.append(engine["load_s"] + engine["matrix_s"])
    row: dict[str, Any] = {"n": n, **sizes, "netguard_s": statistics.median(times),
                           "engine_s": statistics.median(engine_times)}
    ours = _flows(answer)
    row["allowed"] = len(ours)
    if tiers:
        row.update(_tiered(n, folder.with_name(folder.name + "-tiers"), netguard, probe_list, runs, ours))
    if nca:
        started = time.perf_counter()
        theirs = differential_nca.nca_flows(nca, folder, probe_list, [])
        row["nca_s"] = time.perf_counter() - started
        differences = ours ^ theirs
        row["same"] = not differences
        row["ratio"] = row["nca_s"] / row["netguard_s"]
        row["engine_ratio"] = row["nca_s"] / row["engine_s"]
        for flow in sorted(differences)[:10]:
            print(f"  N={n}: {'netguard' if flow in ours else 'NCA'} alone allows {flow}", file=sys.stderr)
    return row


def _tiered(n: int, folder: Path, netguard: str, probe_list: list[tuple[int, str]], runs: int,
            plain: set[tuple[str, str, int, str]]) -> dict[str, Any]:
    """The same platform with the guardrails: median times, and whether the allowed set is unchanged."""
    sizes = write_platform(n, folder, tiers=True)
    times, engine_times, answer = [], [], ""
    for _ in range(runs):
        elapsed, _, answer = _timed(netguard_command(netguard, folder, probe_list))
        times.append(elapsed)
        engine = _engine_only(folder, probe_list)
        engine_times.append(engine["load_s"] + engine["matrix_s"])
    return {"tier_policies": sizes["tier_policies"], "tiered_s": statistics.median(times),
            "tiered_engine_s": statistics.median(engine_times), "tiers_same": _flows(answer) == plain}


def bench_large(n: int, folder: Path, netguard: str, tiers: bool = False) -> dict[str, Any]:
    sizes = write_platform(n, folder, tiers)
    cli_s, cli_rss, answer = _timed(netguard_command(netguard, folder, [PROBE]))
    engine_row = _engine_only(folder, [PROBE])
    return {"n": n, **sizes, "cli_s": cli_s, "cli_rss": cli_rss, "allowed": len(_flows(answer)),
            "load_s": engine_row["load_s"], "matrix_s": engine_row["matrix_s"], "api_rss": engine_row["maxrss"],
            "ok": cli_s < 30 and cli_rss < 2 * GIB}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100", help="comma-separated N compared with NCA")
    parser.add_argument("--large", type=int, default=1000, help="N run by netguard alone (0 to skip)")
    parser.add_argument("--skip-nca", action="store_true")
    parser.add_argument("--min-ratio", type=float, default=50, help="the speed-up over NCA to reach")
    parser.add_argument("--runs", type=int, default=3, help="netguard runs per size (the median counts)")
    parser.add_argument("--netguard", default=None, help="the netguard command (default: beside this python)")
    parser.add_argument("--nca", default=None, help="the nca command (default: $NETGUARD_NCA, install-nca.sh's)")
    parser.add_argument("--keep", type=Path, default=None, help="write the platforms here and keep them")
    parser.add_argument("--tiers", action="store_true", help="also time each size with cluster guardrails (tiers)")
    parser.add_argument("--mesh", type=int, default=0, help="N with the Istio layer, datapath vs both (0 to skip)")
    parser.add_argument("--cilium", type=int, default=0, help="N with the Cilium layer, matrix with vs without (0 to skip)")
    args = parser.parse_args()
    netguard = args.netguard or differential_nca.find_netguard()
    nca = None if args.skip_nca else (args.nca or differential_nca.find_nca())
    if not netguard:
        print("netguard not found: pip install -e . in this venv", file=sys.stderr)
        return 2
    if not args.skip_nca and not nca:
        print("nca not found: run scripts/install-nca.sh, set NETGUARD_NCA, or pass --skip-nca", file=sys.stderr)
        return 2
    failed = False
    print("netguard s: the whole `netguard reach` command over every declared port (median); engine s: its\n"
          "load + matrix alone, in-process; NCA s: one `nca --connectivity` run; ratio: NCA s / netguard s;\n"
          "engine ratio: NCA s / engine s. Exit 1 if the allowed sets differ, the ratio is under --min-ratio\n"
          "or the large size misses 30 s or 2 GiB.")
    with tempfile.TemporaryDirectory(prefix="netguard-bench-") as tmp:
        root = args.keep or Path(tmp)
        print(f"{'N':>5} {'pods':>6} {'policies':>8} {'netguard s':>10} {'engine s':>8} {'NCA s':>8} "
              f"{'ratio':>7} {'engine ratio':>12} {'allowed':>8} same")
        for n in [int(s) for s in args.sizes.split(",") if s]:
            failed |= _report_small(bench_small(n, root / f"platform-{n}", netguard, nca, args.runs, args.tiers), args)
        if args.large:
            failed |= _report_large(root, netguard, args)
        if args.cilium:
            failed |= _report_cilium(bench_cilium(args.cilium, root, args.runs), args.runs)
        if args.mesh:
            _report_mesh(bench_mesh(args.mesh, root / f"meshed-{args.mesh}", args.runs), args.runs)
    return 1 if failed else 0


def _cell(row: dict[str, Any], key: str, form: str, width: int, suffix: str = "") -> str:
    """A table cell, or a dash when this run did not measure it (NCA skipped)."""
    return format(row[key], form) + suffix if key in row else f"{'-':>{width + len(suffix)}}"


def _report_small(row: dict[str, Any], args: argparse.Namespace) -> bool:
    """Print one size's row (and its tiered variant); True when it failed."""
    same = {True: "yes", False: "NO"}.get(row.get("same"), "-")
    print(f"{row['n']:>5} {row['pods']:>6} {row['policies']:>8} {row['netguard_s']:10.3f} {row['engine_s']:8.3f} "
          f"{_cell(row, 'nca_s', '8.2f', 8)} {_cell(row, 'ratio', '6.0f', 6, 'x')} "
          f"{_cell(row, 'engine_ratio', '11.0f', 11, 'x')} {row['allowed']:>8} {same}", flush=True)
    failed = row.get("same") is False or row.get("ratio", args.min_ratio) < args.min_ratio
    if args.tiers:
        print(f"      with {row['tier_policies']} ClusterNetworkPolicies: netguard {row['tiered_s']:.3f} s "
              f"({row['tiered_s'] / row['netguard_s']:.2f}x), engine {row['tiered_engine_s']:.3f} s "
              f"({row['tiered_engine_s'] / row['engine_s']:.2f}x); allowed set unchanged: "
              f"{'yes' if row['tiers_same'] else 'NO'}", flush=True)
        failed |= not row["tiers_same"]
    return failed


def _report_large(root: Path, netguard: str, args: argparse.Namespace) -> bool:
    """The large size by netguard alone, plain and (with --tiers) with cluster guardrails; True when it failed."""
    plain = bench_large(args.large, root / f"platform-{args.large}", netguard)
    rows = [("", plain)]
    if args.tiers:
        rows.append(("tiers", bench_large(args.large, root / f"platform-{args.large}-tiers", netguard, tiers=True)))
    failed = False
    for variant, row in rows:
        with_tiers = f" with {row['tier_policies']} ClusterNetworkPolicies" if variant else ""
        ratio = f" ({row['cli_s'] / plain['cli_s']:.2f}x the plain run)" if variant else ""
        same = row["allowed"] == plain["allowed"]
        print(f"\nN={row['n']} ({row['pods']} pods, {row['policies']} policies){with_tiers}, one probe "
              f"{PROBE[0]}/{PROBE[1]}: netguard CLI {row['cli_s']:.2f} s{ratio}, peak {row['cli_rss'] / 2**20:.0f} MiB; "
              f"engine alone: load {row['load_s']:.2f} s + matrix {row['matrix_s']:.2f} s, "
              f"peak {row['api_rss'] / 2**20:.0f} MiB; {row['allowed']} allowed"
              f"{'' if same else ' (NOT the plain run's set)'}; "
              f"target <30 s and <2 GiB: {'met' if row['ok'] else 'MISSED'}")
        failed |= not row["ok"] or not same
    return failed


def _report_cilium(row: dict[str, Any], runs: int) -> bool:
    print(f"\nN={row['n']} ({row['pods']} pods, {row['policies']} NetworkPolicies) with {row['cilium_policies']} "
          f"Cilium policies, probes 8080/TCP and 443/TCP, median of {runs}: matrix {row['plain_s']:.2f} s "
          f"without, {row['cilium_s']:.2f} s with ({row['cilium_s'] / row['plain_s']:.2f}x); "
          f"{row['allowed']} allowed, unchanged: {'yes' if row['same'] else 'NO'}", flush=True)
    return not row["same"]


def _report_mesh(row: dict[str, Any], runs: int) -> None:
    dp, both = row["datapath"], row["all"]
    print(f"\nN={row['n']} with the Istio layer ({row['pods']} pods), one probe 8080/TCP, median of "
          f"{runs}: load {row['load_s']:.2f} s; matrix datapath alone {dp['matrix_s']:.3f} s "
          f"({dp['allowed']} allowed), datapath and mesh {both['matrix_s']:.3f} s ({both['allowed']} allowed); "
          f"ratio {both['matrix_s'] / dp['matrix_s']:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
