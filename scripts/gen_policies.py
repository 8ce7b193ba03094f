#!/usr/bin/env python3
"""Generate random NetworkPolicy sets over random labelled workloads, for differential testing.

Each set is deterministic in its seed: the same seed always writes the same YAML. A set has a few
namespaces (some with a Namespace manifest and labels, some only implied by the objects in them),
Pods and workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) with labels from a
small vocabulary and container ports (some named), and NetworkPolicies that draw on every feature of
the API: pod and namespace selectors alone or together, matchLabels and matchExpressions with all four
operators, empty selectors, ipBlock with except, ports by number, by name and with endPort, TCP, UDP
and SCTP, policyTypes present or defaulted, absent and empty rule lists, ingress and egress.

What it deliberately leaves out, because an independent analyser (NCA) cannot model it or the API
server would reject it:
- pod IPs (status.podIP): NCA never matches pods against ipBlocks;
- replicas: 0 and parallelism: 0: NCA then creates no pod, where netguard keeps one endpoint;
- policyTypes that omit a direction whose rules are present: NCA rejects the policy;
- endPort with a named port or with an endPort below the port: the API server rejects both;
- workload names whose last dash-separated part is all hex digits: NCA reads such a ReplicaSet name
  as a Deployment's ReplicaSet and merges pods across names.

Usage: gen_policies.py --seed S --out DIR [--sets N]   (writes DIR/set-000, DIR/set-001, ...)
"""
from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

POD_LABELS: dict[str, list[str]] = {
    "app": ["web", "api", "db", "cache", "llm"],
    "tier": ["front", "back", "data"],
    "env": ["prod", "dev"],
    "team": ["red", "blue"],
}
NAMESPACE_LABELS: dict[str, list[str]] = {
    "env": ["prod", "dev"],
    "team": ["red", "blue"],
    "zone": ["north", "south"],
}
NAMESPACE_NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
WORKLOAD_WORDS = ["api", "router", "store", "worker", "server", "proxy", "model", "queue", "sink"]
WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]
PORT_NUMBERS = [53, 80, 443, 3000, 5432, 6379, 8080, 9090]
PORT_NAMES = ["http", "dns", "metrics", "grpc", "db"]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
# CIDRs and their possible exceptions; external probe addresses fall inside and outside of them.
CIDRS: list[tuple[str, list[str]]] = [
    ("10.0.0.0/8", ["10.1.0.0/16", "10.2.3.0/24"]),
    ("0.0.0.0/0", ["10.0.0.0/8", "192.168.0.0/16"]),
    ("192.168.0.0/16", ["192.168.1.0/24"]),
    ("8.8.8.0/24", []),
    ("172.16.0.0/12", ["172.20.0.0/16"]),
    ("2001:db8::/32", ["2001:db8:1::/48"]),
    ("::/0", ["2001:db8::/32"]),
]
EXTERNAL_IPS = ["10.1.2.3", "10.2.3.4", "10.9.9.9", "192.168.1.1", "192.168.7.7", "8.8.8.8",
                "172.20.0.1", "172.17.0.1", "1.1.1.1", "2001:db8::1", "2001:db8:1::1", "2001:dc8::1"]
# Ports nobody declares, so that probes also test "port not admitted" and full-range rules.
UNDECLARED_PORTS = [1, 7777, 65535]

Manifest = dict[str, Any]


@dataclass
class PolicySet:
    """One generated configuration: manifests grouped by the file they are written to."""
    seed: str
    files: dict[str, list[Manifest]] = field(default_factory=dict)

    def manifests(self) -> list[Manifest]:
        return [m for docs in self.files.values() for m in docs]

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, docs in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        (folder / "SEED").write_text(self.seed + "\n")
        return folder


def _labels(rng: random.Random, vocabulary: dict[str, list[str]], low: int, high: int) -> dict[str, str]:
    keys = rng.sample(sorted(vocabulary), rng.randint(low, high))
    return {k: rng.choice(vocabulary[k]) for k in sorted(keys)}


def _container_ports(rng: random.Random) -> list[dict[str, Any]]:
    ports: list[dict[str, Any]] = []
    used: set[tuple[int, str]] = set()
    names = rng.sample(PORT_NAMES, len(PORT_NAMES))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        number = rng.choice(PORT_NUMBERS)
        protocol = rng.choices(PROTOCOLS, weights=[6, 2, 1])[0]
        if (number, protocol) in used:
            continue
        used.add((number, protocol))
        port: dict[str, Any] = {"containerPort": number}
        if protocol != "TCP" or rng.random() < 0.3:
            port["protocol"] = protocol
        if names and rng.random() < 0.6:
            port["name"] = names.pop()
        ports.append(port)
    return ports


def _pod_spec(rng: random.Random) -> dict[str, Any]:
    # One container carries all ports: a named port defined twice in a pod is invalid.
    container: dict[str, Any] = {"name": "main", "image": "registry.example/app:1"}
    ports = _container_ports(rng)
    if ports:
        container["ports"] = ports
    return {"containers": [container]}


def _workload(rng: random.Random, kind: str, name: str, namespace: str) -> Manifest:
    # A workload's selector must not be empty (the API server rejects it); a bare Pod may have no label.
    labels = _labels(rng, POD_LABELS, 0 if kind == "Pod" else 1, 3)
    meta = {"name": name, "namespace": namespace}
    if kind == "Pod":
        if labels:
            meta["labels"] = labels
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": _pod_spec(rng)}
    template = {"metadata": {"labels": labels}, "spec": _pod_spec(rng)}
    selector = {"matchLabels": dict(labels)}  # a copy, so that the YAML has no anchors
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    if kind == "Job":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}
    spec: dict[str, Any] = {"selector": selector, "template": template}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        spec["replicas"] = rng.randint(1, 3)
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def _selector(rng: random.Random, vocabulary: dict[str, list[str]]) -> dict[str, Any]:
    shape = rng.choices(["empty", "labels", "expressions", "both"], weights=[2, 4, 3, 1])[0]
    selector: dict[str, Any] = {}
    if shape in ("labels", "both"):
        selector["matchLabels"] = _labels(rng, vocabulary, 1, 2)
    if shape in ("expressions", "both"):
        expressions = []
        for key in rng.sample(sorted(vocabulary), rng.randint(1, 2)):
            operator = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
            expression: dict[str, Any] = {"key": key, "operator": operator}
            if operator in ("In", "NotIn"):
                expression["values"] = sorted(rng.sample(vocabulary[key], rng.randint(1, len(vocabulary[key]))))
            expressions.append(expression)
        selector["matchExpressions"] = expressions
    return selector


def _namespace_selector(rng: random.Random, namespaces: list[str]) -> dict[str, Any]:
    if rng.random() < 0.35:  # the unforgeable name label, as the platform's own policies use
        names = rng.sample(namespaces, rng.randint(1, min(2, len(namespaces))))
        if len(names) == 1 and rng.random() < 0.5:
            return {"matchLabels": {"kubernetes.io/metadata.name": names[0]}}
        return {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In",
                                      "values": sorted(names)}]}
    return _selector(rng, NAMESPACE_LABELS)


def _peer(rng: random.Random, namespaces: list[str]) -> dict[str, Any]:
    shape = rng.choices(["pod", "namespace", "both", "ipblock"], weights=[4, 3, 3, 2])[0]
    if shape == "ipblock":
        cidr, exceptions = rng.choice(CIDRS)
        block: dict[str, Any] = {"cidr": cidr}
        chosen = [e for e in exceptions if rng.random() < 0.6]
        if chosen:
            block["except"] = chosen
        return {"ipBlock": block}
    peer: dict[str, Any] = {}
    if shape in ("pod", "both"):
        peer["podSelector"] = _selector(rng, POD_LABELS)
    if shape in ("namespace", "both"):
        peer["namespaceSelector"] = _namespace_selector(rng, namespaces)
    return peer


def _policy_port(rng: random.Random) -> dict[str, Any]:
    shape = rng.choices(["number", "name", "range", "protocol-only"], weights=[4, 3, 2, 1])[0]
    port: dict[str, Any] = {}
    protocol = rng.choices(PROTOCOLS, weights=[6, 2, 1])[0]
    if protocol != "TCP" or rng.random() < 0.3:
        port["protocol"] = protocol
    if shape == "number":
        port["port"] = rng.choice(PORT_NUMBERS + [7000])
    elif shape == "name":
        port["port"] = rng.choice(PORT_NAMES)
    elif shape == "range":
        start = rng.choice([50, 80, 443, 1000, 5000, 6000, 8000])
        port["port"] = start
        port["endPort"] = start + rng.choice([0, 3, 100, 2000, 5000])
    return port


def _rules(rng: random.Random, peer_key: str, namespaces: list[str]) -> list[dict[str, Any]]:
    rules = []
    for _ in range(rng.choices([0, 1, 2, 3], weights=[1, 5, 3, 1])[0]):
        rule: dict[str, Any] = {}
        peers = rng.choices(["absent", "empty", "some"], weights=[2, 1, 7])[0]
        if peers == "empty":
            rule[peer_key] = []
        elif peers == "some":
            rule[peer_key] = [_peer(rng, namespaces) for _ in range(rng.randint(1, 2))]
        ports = rng.choices(["absent", "empty", "some"], weights=[3, 1, 6])[0]
        if ports == "empty":
            rule["ports"] = []
        elif ports == "some":
            rule["ports"] = [_policy_port(rng) for _ in range(rng.randint(1, 3))]
        rules.append(rule)
    return rules


def _policy(rng: random.Random, name: str, namespace: str, namespaces: list[str]) -> Manifest:
    spec: dict[str, Any] = {"podSelector": _selector(rng, POD_LABELS) if rng.random() < 0.75 else {}}
    directions = rng.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
    for direction in directions:
        key, peer_key = direction.lower(), ("from" if direction == "Ingress" else "to")
        section = rng.choices(["absent", "empty", "rules"], weights=[1, 1, 6])[0]
        if section == "empty":
            spec[key] = []
        elif section == "rules":
            spec[key] = _rules(rng, peer_key, namespaces)
    # Defaulted policyTypes mean Ingress, plus Egress when an egress section is present: write the
    # field only when the default would differ, or at random when it would not.
    defaulted = ["Ingress"] + (["Egress"] if "egress" in spec else [])
    if directions != defaulted or rng.random() < 0.5:
        spec["policyTypes"] = directions
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def generate(seed: str | int) -> PolicySet:
    """A random policy set; the same seed always gives the same set."""
    rng = random.Random(str(seed))
    namespaces = sorted(rng.sample(NAMESPACE_NAMES, rng.randint(2, 4)))
    result = PolicySet(seed=str(seed))
    namespace_docs = []
    for ns in namespaces:
        if rng.random() < 0.25:
            continue  # a namespace known only from the objects in it
        doc: Manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        labels = _labels(rng, NAMESPACE_LABELS, 0, 3)
        if labels:
            doc["metadata"]["labels"] = labels
        namespace_docs.append(doc)
    if namespace_docs:
        result.files["namespaces.yaml"] = namespace_docs
    for ns in namespaces:
        docs = []
        for index in range(rng.randint(1, 4)):
            kind = rng.choices(WORKLOAD_KINDS, weights=[3, 4, 1, 1, 1, 1, 1])[0]
            # The last part of the name always holds a non-hex letter (see the module docstring).
            name = f"{kind.lower()[:3]}{index}-{rng.choice(WORKLOAD_WORDS)}"
            docs.append(_workload(rng, kind, name, ns))
        result.files[f"workloads/{ns}.yaml"] = docs
    policies = [_policy(rng, f"np{i}-{rng.choice(WORKLOAD_WORDS)}", rng.choice(namespaces), namespaces)
                for i in range(rng.randint(2, 7))]
    # Some policies in one multi-document file, the rest one file each.
    split = rng.randint(0, len(policies))
    if policies[:split]:
        result.files["policies.yaml"] = policies[:split]
    for policy in policies[split:]:
        result.files[f"policies/{policy['metadata']['namespace']}-{policy['metadata']['name']}.yml"] = [policy]
    return result


def declared_ports(manifests: list[Manifest]) -> set[tuple[int, str]]:
    """Every (port, protocol) a container declares."""
    found = set()
    for m in manifests:
        spec = m.get("spec", {})
        if m["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod_spec = spec if m["kind"] == "Pod" else spec.get("template", {}).get("spec", {})
        for container in pod_spec.get("containers", []):
            for port in container.get("ports", []):
                found.add((port["containerPort"], port.get("protocol", "TCP")))
    return found


def policy_port_numbers(manifests: list[Manifest]) -> set[int]:
    """Every numeric port a policy names, with the edges of each endPort range."""
    found: set[int] = set()
    for m in manifests:
        if m["kind"] != "NetworkPolicy":
            continue
        for key in ("ingress", "egress"):
            for rule in m["spec"].get(key) or []:
                for port in rule.get("ports") or []:
                    number = port.get("port")
                    if not isinstance(number, int):
                        continue
                    found.update({number, number - 1, number + 1})
                    if "endPort" in port:
                        found.update({port["endPort"], port["endPort"] + 1, (number + port["endPort"]) // 2})
    return {n for n in found if 1 <= n <= 65535}


def probes_for(manifests: list[Manifest]) -> list[tuple[int, str]]:
    """Probes that tell apart everything a set's policies can decide, for all three protocols:
    every declared port, every port and range edge a policy names, and a few ports nobody uses."""
    numbers = {n for n, _ in declared_ports(manifests)} | policy_port_numbers(manifests) | set(UNDECLARED_PORTS)
    return sorted((n, p) for n in numbers for p in PROTOCOLS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", default="0")
    parser.add_argument("--sets", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for i in range(args.sets):
        folder = generate(f"{args.seed}-{i}").write(args.out / f"set-{i:03d}")
        print(folder)


if __name__ == "__main__":
    main()
