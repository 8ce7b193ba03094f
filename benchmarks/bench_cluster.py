#!/usr/bin/env python3
"""Benchmark: a cluster dump of Kubernetes' largest documented size (150,000 pods), as kubectl writes it.

The dump is `kubectl get -A -o yaml` (one List) of the engine benchmark's platform (bench_engine.py)
at about 14,000 tenant namespaces: each with its Namespace, five Deployments of two replicas, their
ReplicaSets and Pods (with ownerReferences, pod-template-hash, IPs, status), a notebook Pod in seven
namespaces of ten, and the eight NetworkPolicies; kube-system holds CoreDNS. Pods carry what a real
dump shows by default (no managedFields). The same objects are also written as
`kubectl get -A -o json`.

Runs `netguard reach DUMP --probe 8080/TCP` (whole command, fresh process, wall time and peak RSS)
on both formats, and the engine's steps inside one process with cProfile's top entries on request.
Targets: one probe's matrix under 60 s and 4 GiB.

Usage: bench_cluster.py [--namespaces 14000] [--formats yaml,json] [--keep DIR] [--profile]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_engine  # noqa: E402

GIB = 1024 ** 3
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes' pod-template-hash uses
STAMP = "2026-11-30T08:12:44Z"


def _uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _hash(rng: random.Random, n: int = 10) -> str:
    return "".join(rng.choice(HASH_ALPHABET) for _ in range(n))


class Ips:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"10.{64 + (self.n >> 16)}.{(self.n >> 8) & 255}.{self.n & 255}"


def _owned_objects(deployment: dict[str, Any], rng: random.Random, ips: Ips) -> Iterator[dict[str, Any]]:
    """The Deployment as the API server serves it, its ReplicaSet and its Pods."""
    meta, spec = deployment["metadata"], deployment["spec"]
    ns, name, replicas = meta["namespace"], meta["name"], spec["replicas"]
    dep_uid, rs_hash = _uid(rng), _hash(rng)
    labels = spec["template"]["metadata"]["labels"]
    containers = [{**c, "imagePullPolicy": "IfNotPresent", "resources": {},
                   "ports": [{**p, "protocol": p.get("protocol", "TCP")} for p in c["ports"]],
                   "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
                  for c in spec["template"]["spec"]["containers"]]
    pod_spec = {"containers": containers, "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                "schedulerName": "default-scheduler", "securityContext": {}, "serviceAccountName": name,
                "terminationGracePeriodSeconds": 30}
    yield {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"}, "creationTimestamp": STAMP,
                        "generation": 1, "name": name, "namespace": ns, "resourceVersion": str(rng.randrange(10**6)),
                        "uid": dep_uid},
           "spec": {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                    "selector": {"matchLabels": labels},
                    "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec}},
           "status": {"availableReplicas": replicas, "observedGeneration": 1, "readyReplicas": replicas,
                      "replicas": replicas, "updatedReplicas": replicas}}
    rs_name, rs_uid = f"{name}-{rs_hash}", _uid(rng)
    rs_labels = {**labels, "pod-template-hash": rs_hash}
    yield {"apiVersion": "apps/v1", "kind": "ReplicaSet",
           "metadata": {"annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas)},
                        "creationTimestamp": STAMP, "generation": 1, "labels": rs_labels, "name": rs_name,
                        "namespace": ns,
                        "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                                             "kind": "Deployment", "name": name, "uid": dep_uid}],
                        "resourceVersion": str(rng.randrange(10**6)), "uid": rs_uid},
           "spec": {"replicas": replicas, "selector": {"matchLabels": rs_labels},
                    "template": {"metadata": {"labels": rs_labels}, "spec": pod_spec}},
           "status": {"availableReplicas": replicas, "fullyLabeledReplicas": replicas, "observedGeneration": 1,
                      "readyReplicas": replicas, "replicas": replicas}}
    for _ in range(replicas):
        yield _pod(ns, f"{rs_name}-{_hash(rng, 5)}", rs_labels, pod_spec, rng, ips,
                   {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "ReplicaSet",
                    "name": rs_name, "uid": rs_uid}, generate_name=f"{rs_name}-")


def _pod(ns: str, name: str, labels: dict[str, str], pod_spec: dict[str, Any], rng: random.Random, ips: Ips,
         owner: dict[str, Any] | None, generate_name: str | None = None) -> dict[str, Any]:
    ip = ips.next()
    metadata: dict[str, Any] = {"creationTimestamp": STAMP}
    if generate_name:
        metadata["generateName"] = generate_name
    metadata.update({"labels": labels, "name": name, "namespace": ns})
    if owner:
        metadata["ownerReferences"] = [owner]
    metadata.update({"resourceVersion": str(rng.randrange(10**6)), "uid": _uid(rng)})
    node = rng.randrange(1, 5000)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {**pod_spec, "nodeName": f"node-{node:04d}"},
            "status": {"conditions": [{"lastProbeTime": None, "lastTransitionTime": STAMP, "status": "True",
                                       "type": t} for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                       "hostIP": f"10.0.{node >> 8}.{node & 255}", "phase": "Running", "podIP": ip,
                       "podIPs": [{"ip": ip}], "qosClass": "BestEffort", "startTime": STAMP}}


def cluster_objects(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    rng, ips = random.Random(seed), Ips()
    coredns = bench_engine._deployment("kube-system", "coredns", {"k8s-app": "kube-dns"},
                                       [{"containerPort": 53, "protocol": "UDP", "name": "dns"},
                                        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"}])
    yield from _owned_objects(coredns, rng, ips)
    for i in range(n):
        for doc in bench_engine.tenant(i, n):
            if doc["kind"] == "Deployment":
                yield from _owned_objects(doc, rng, ips)
            elif doc["kind"] == "Pod":
                meta = doc["metadata"]
                yield _pod(meta["namespace"], meta["name"], meta["labels"], doc["spec"], rng, ips, None)
            else:
                yield doc


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True  # kubectl writes every object out in full, never anchors


def write_dump(n: int, folder: Path) -> dict[str, Any]:
    """Write cluster.yaml and cluster.json; count pods and policies."""
    folder.mkdir(parents=True, exist_ok=True)
    objects = list(cluster_objects(n))
    counts = {"pods": sum(o["kind"] == "Pod" for o in objects),
              "policies": sum(o["kind"] == "NetworkPolicy" for o in objects), "objects": len(objects)}
    (folder / "json").mkdir(exist_ok=True)
    (folder / "yaml").mkdir(exist_ok=True)
    listing = {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
    with open(folder / "json" / "cluster.json", "w") as out:
        json.dump(listing, out, indent=4)
    with open(folder / "yaml" / "cluster.yaml", "w") as out:
        # kubectl writes keys sorted, block style, two-space indentation; the C emitter keeps this quick.
        yaml.dump(listing, out, Dumper=_Dumper, default_flow_style=False)
    counts["yaml_mb"] = (folder / "yaml" / "cluster.yaml").stat().st_size / 2**20
    counts["json_mb"] = (folder / "json" / "cluster.json").stat().st_size / 2**20
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=14000)
    parser.add_argument("--formats", default="yaml,json")
    parser.add_argument("--keep", type=Path, default=None, help="write the dump here and keep it (reused if there)")
    parser.add_argument("--netguard", default=None)
    args = parser.parse_args()
    netguard = args.netguard or str(Path(sys.executable).parent / "netguard")
    with tempfile.TemporaryDirectory(prefix="netguard-cluster-") as tmp:
        root = args.keep or Path(tmp)
        started = time.perf_counter()
        sizes = write_dump(args.namespaces, root)
        print(f"N={args.namespaces}: {sizes['pods']} pods, {sizes['policies']} policies, {sizes['objects']} objects; "
              f"YAML {sizes['yaml_mb']:.0f} MiB, JSON {sizes['json_mb']:.0f} MiB (written in "
              f"{time.perf_counter() - started:.0f} s)", flush=True)
        failed = False
        for fmt in [f for f in args.formats.split(",") if f]:
            command = [netguard, "reach", str(root / fmt), "--probe", f"{bench_engine.PROBE[0]}/{bench_engine.PROBE[1]}"]
            elapsed, rss, out = bench_engine._timed(command)
            answer = json.loads(out)
            ok = elapsed < 60 and rss < 4 * GIB
            failed |= not ok
            print(f"{fmt}: netguard reach, one probe: {elapsed:.1f} s, peak {rss / 2**20:.0f} MiB; "
                  f"{len(answer['allowed'])} allowed; {len(answer.get('stands_for', {}))} workloads stand for "
                  f"{sum(len(v) for v in answer.get('stands_for', {}).values())} owned objects; "
                  f"target <60 s and <4 GiB: {'met' if ok else 'MISSED'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
