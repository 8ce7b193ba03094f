"""How much do the components cost? Build a generated platform under Pulumi's mocks, once through
AiPlatform and once as a plain pulumi_kubernetes loop registering the same resources (same kinds,
counts, specs and dependencies; no components), and compare milliseconds per registered resource.

    .venv/bin/python benchmarks/bench_components.py [--namespaces 500] [--per-namespace 5] [--runs 3]

Target: the components add less than 25%.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pulumi  # noqa: E402
import pulumi_kubernetes as k8s  # noqa: E402
import pulumi_random as random  # noqa: E402

from components import egress, flow, identity, namespace, secrets, workload  # noqa: E402
from components.inventory import Inventory, parse_inventory  # noqa: E402
from components.platform import VECTOR_STORE, AiPlatform, AiPlatformArgs, key_consumers  # noqa: E402
from stack_harness import run_under_mocks  # noqa: E402

# Five workloads per namespace: a realistic mix of kinds, roles, flows, egress and a vector store.
_SHAPE = (
    ("ingest", "preprocessing", "Deployment", [("http", 8080), ("metrics", 9090)]),
    ("index", "vector-store", "StatefulSet", [("grpc", 6334), ("metrics", 9091)]),
    ("server", "inference", "Deployment", [("http", 8000), ("metrics", 9090)]),
    ("edge", "gateway", "Deployment", [("https", 8443)]),
    ("trainer", "training", "Job", []),
)


def generate(namespaces: int, per_namespace: int) -> dict:
    inv: dict = {"platform": {"monitoringNamespace": "monitoring"}, "namespaces": [], "workloads": [],
                 "flows": [], "egress": []}
    for n in range(namespaces):
        ns = f"team-{n:04d}"
        inv["namespaces"].append({"name": ns, "trustTier": "standard", "dataClass": "internal"})
        for k in range(per_namespace):
            name, role, kind, ports = _SHAPE[k % len(_SHAPE)]
            name = name if k < len(_SHAPE) else f"{name}-{k}"
            wl = {"name": name, "namespace": ns, "role": role, "kind": kind, "image": f"registry.example.com/{name}:1",
                  "ports": [{"name": p, "port": num} for p, num in ports]}
            if any(p == "metrics" for p, _ in ports):
                wl["metricsPort"] = "metrics"
            inv["workloads"].append(wl)
        inv["flows"] += [
            {"from": {"namespace": ns, "role": "preprocessing"}, "to": {"namespace": ns, "workload": "index"}, "ports": ["grpc"]},
            {"from": {"namespace": ns, "workload": "server"}, "to": {"namespace": ns, "workload": "index"}, "ports": ["grpc"]},
            {"from": {"namespace": ns, "workload": "edge"}, "to": {"namespace": ns, "workload": "server"}, "ports": ["http"]},
            {"from": {"namespace": ns, "workload": "edge"}, "to": {"namespace": f"team-{(n + 1) % namespaces:04d}",
                                                               "workload": "server"}, "ports": ["http"]},
        ]
        inv["egress"].append({"namespace": ns, "workload": "ingest",
                              "cidrs": [{"cidr": "203.0.113.0/24", "ports": [{"port": 443}]}],
                              "domains": [{"domain": "models.example.com", "ports": [{"port": 443}]}]})
    return inv


def with_components(inventory: Inventory):
    def program() -> None:
        provider = k8s.Provider("k8s", render_yaml_to_directory="bench-out")
        AiPlatform(inventory.part_of, AiPlatformArgs(inventory), pulumi.ResourceOptions(provider=provider))
    return program


def plain_loop(inventory: Inventory):
    """The same resources, registered directly at the top of the stack."""

    def program() -> None:
        inv, part_of = inventory, inventory.part_of
        opts = pulumi.ResourceOptions(provider=k8s.Provider("k8s", render_yaml_to_directory="bench-out"))
        ns_res = {}
        for spec in inv.namespaces:
            ns = ns_res[spec.name] = k8s.core.v1.Namespace(spec.name, metadata=namespace.namespace_metadata(spec, part_of), opts=opts)
            inside = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[ns]))
            k8s.networking.v1.NetworkPolicy(f"{spec.name}/baseline", **namespace.baseline_policy(spec, part_of), opts=inside)
            k8s.networking.v1.NetworkPolicy(f"{spec.name}/platform-dns", **namespace.dns_policy(spec, inv.platform, part_of), opts=inside)
            for wl in (w for w in inv.workloads_in(spec.name) if w.metrics_port):
                k8s.networking.v1.NetworkPolicy(f"{spec.name}/platform-metrics/{wl.name}",
                                                **namespace.metrics_policy(wl, inv.platform.monitoring_namespace, part_of), opts=inside)
        env, key_deps = {}, {}
        for store in (w for w in inv.workloads if w.role == VECTOR_STORE):
            consumers = key_consumers(inv, store)
            key = f"{store.namespace}/{store.name}"
            password = random.RandomPassword(f"{key}/api-key", length=48, special=False)
            made = []
            for ns in sorted({store.namespace, *(c.namespace for c in consumers)}):
                made.append(k8s.core.v1.Secret(
                    f"{key}/api-key@{ns}", metadata=secrets.secret_metadata(store, ns, part_of), type="Opaque",
                    string_data={"api-key": password.result},
                    opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[ns_res[ns]]))))
            for reader in (store, *consumers):
                env.setdefault((reader.namespace, reader.name), []).append(secrets.secret_env(store))
                key_deps.setdefault((reader.namespace, reader.name), []).extend(made)
        for wl in inv.workloads:
            name = f"{wl.namespace}/{wl.name}"
            args = workload.AiWorkloadArgs(wl, identity.pod_labels(inv, wl), identity.selector(wl),
                                           tuple(sorted(env.get((wl.namespace, wl.name), ()), key=lambda e: e.env)))
            deps = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                depends_on=[ns_res[wl.namespace], *key_deps.get((wl.namespace, wl.name), ())]))
            account = k8s.core.v1.ServiceAccount(name, **workload.service_account(args), opts=deps)
            workload.WORKLOAD_TYPES[wl.kind](
                name, metadata={"name": wl.name, "namespace": wl.namespace, "labels": args.pod_labels},
                spec=workload.workload_spec(args),
                opts=pulumi.ResourceOptions.merge(deps, pulumi.ResourceOptions(depends_on=[account])))
            if workload.has_service(wl):
                k8s.core.v1.Service(name, **workload.service(args), opts=deps)
        for f in inv.flows:
            src = f.source
            selector = (identity.selector(inv.workload(src.namespace, src.workload)) if src.workload
                        else identity.role_selector(src.role))
            args = flow.AiFlowArgs(f, selector, inv.workload(f.to.namespace, f.to.workload), part_of)
            deps = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                depends_on=[ns_res[src.namespace], ns_res[f.to.namespace]]))
            k8s.networking.v1.NetworkPolicy(f"{f.key}/ingress", **flow.ingress_policy(args), opts=deps)
            k8s.networking.v1.NetworkPolicy(f"{f.key}/egress", **flow.egress_policy(args), opts=deps)
        for e in (e for e in inv.egress if e.cidrs):
            args = egress.AiEgressAllowlistArgs(e, inv.workload(e.namespace, e.workload), part_of)
            k8s.networking.v1.NetworkPolicy(f"{e.key}/egress", **egress.egress_policy(args),
                                            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[ns_res[e.namespace]])))
    return program


def _timed(program) -> tuple[float, Counter]:
    gc.collect()
    start = time.perf_counter()
    run = run_under_mocks(program, {})
    elapsed = time.perf_counter() - start
    return elapsed, Counter(r.type for r in run.resources if not r.type.startswith("netguard:index:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--per-namespace", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()

    start = time.perf_counter()
    inventory = parse_inventory(generate(opts.namespaces, opts.per_namespace))
    print(f"inventory: {len(inventory.namespaces)} namespaces, {len(inventory.workloads)} workloads, "
          f"{len(inventory.flows)} flows; validated in {(time.perf_counter() - start) * 1000:.0f} ms")

    times: dict[str, list[float]] = {"components": [], "plain": []}
    kinds: dict[str, Counter] = {}
    for _ in range(opts.runs):  # interleaved, so drift in the machine hits both alike
        for label, build in (("plain", plain_loop), ("components", with_components)):
            elapsed, kinds[label] = _timed(build(inventory))
            times[label].append(elapsed)
    if kinds["plain"] != kinds["components"]:
        raise SystemExit(f"the two programs registered different resources:\n{kinds['plain']}\n{kinds['components']}")

    resources = sum(kinds["plain"].values())
    components = len(inventory.namespaces) + len(inventory.workloads) + len(inventory.flows) + 1 + \
        sum(1 for e in inventory.egress if e.cidrs) + sum(1 for w in inventory.workloads if w.role == VECTOR_STORE)
    print(f"resources registered by both: {resources} (+{components} components)")
    ms = {label: statistics.median(t) * 1000 / resources for label, t in times.items()}
    for label in ("plain", "components"):
        runs = ", ".join(f"{t:.1f}s" for t in times[label])
        print(f"{label:>10}: {ms[label]:.3f} ms/resource (median of {opts.runs}: {runs})")
    ratio = ms["components"] / ms["plain"]
    print(f"ratio components/plain: {ratio:.3f} (+{(ratio - 1) * 100:.1f}%; target < +25%)")


if __name__ == "__main__":
    main()
