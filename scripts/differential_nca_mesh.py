#!/usr/bin/env python3
"""Differential proof of the mesh layer: netguard and np-guard's NCA on NetworkPolicies + Istio.

Each set is a random NetworkPolicy set (scripts/gen_policies.py) turned into a meshed cluster:
every namespace injected (`istio-injection: enabled`), each workload under one of a few
ServiceAccounts, and random AuthorizationPolicies (ALLOW and DENY, workload selectors, the root
namespace istio-system) over the fields both tools model: principals, namespaces and their not*
forms, ipBlocks, ports and notPorts, and `when` on source.namespace, source.principal, source.ip and
destination.port. Both answers are normalised to (source, destination, port, protocol), as in
differential_nca.py; NCA prints TCP and non-TCP connections in two sections when Istio is present.

What NCA models differently, and how it is accounted for:
- it ignores PeerAuthentication and assumes every pod is meshed: the sets have no
  PeerAuthentication (Istio's default, PERMISSIVE) and every namespace is injected;
- it does not model HTTP fields (it does, as request sets: a different question) nor CUSTOM,
  AUDIT, serviceAccounts or dry runs: the generator writes none;
- it never matches pods against ipBlocks (pods have no IP here), which agrees with netguard for
  ALLOW; for DENY netguard covers a pod of unknown address (fail-closed): ipBlocks and source.ip
  are generated in ALLOW policies only;
- NCA deviation (a bug): a not* identity field (notPrincipals, notNamespaces, `when` notValues on
  source.principal/namespace) never matches a plaintext peer in NCA, while in Istio a peer
  without identity matches every not* identity field. NCA denies external sources Istio admits.
  Repro: tests/differential/cases/nca-mesh-not-principals-plaintext/. Pairs an external source makes
  into a destination selected by such a policy are left out of the comparison and counted.
- NCA hard-codes Istio's root namespace as `istio-config`; Istio's default (meshConfig.rootNamespace)
  is `istio-system`, where the sets put their mesh-wide policies: NCA reads a copy in which those
  policies live in `istio-config`, which means the same to an Istio whose root namespace it is.
  Repro: tests/differential/cases/nca-mesh-root-namespace/.
- NCA crash (a bug): `notIpBlocks`, and `when: [{key: source.ip, notValues: [...]}]`, end NCA with
  "Interval ... does not appear to be an IPv4 or IPv6 network". The generator writes ipBlocks and
  source.ip values only (netguard's not* address checks are covered by tests/engine).
  Repro: tests/differential/cases/nca-mesh-source-ip-not-values/ (NCA fails; netguard answers).
- NCA deviation (a bug): a source with ipBlocks beside principals or namespaces selects nothing
  in NCA (a warning); Istio ANDs the fields. The generator keeps ipBlocks in a source of their own.

Usage: differential_nca_mesh.py --sets 100 --seed S [--nca PATH] [--netguard PATH]
Exit 0 when the tools agree on every set, 1 otherwise, 2 when a tool is missing.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import differential_nca as base  # noqa: E402
import gen_policies  # noqa: E402

ACCOUNTS = ["default", "reader", "writer"]
ROOT = "istio-system"
API = "security.istio.io/v1"
Manifest = dict[str, Any]


def _principals(rng: random.Random, namespaces: list[str]) -> list[str]:
    shapes = [lambda: f"cluster.local/ns/{rng.choice(namespaces)}/sa/{rng.choice(ACCOUNTS)}",
              lambda: f"cluster.local/ns/{rng.choice(namespaces)}/*", lambda: f"*/sa/{rng.choice(ACCOUNTS)}",
              lambda: "*"]
    return sorted({rng.choice(shapes)() for _ in range(rng.randint(1, 2))})


def _namespaces(rng: random.Random, namespaces: list[str]) -> list[str]:
    shapes = [lambda: rng.choice(namespaces), lambda: rng.choice(namespaces)[:2] + "*",
              lambda: "*" + rng.choice(namespaces)[-3:], lambda: "*"]
    return sorted({rng.choice(shapes)() for _ in range(rng.randint(1, 2))})


def _source(rng: random.Random, namespaces: list[str], allow: bool) -> dict[str, Any]:
    if allow and rng.random() < 0.2:
        return {"ipBlocks": sorted({rng.choice(gen_policies.CIDRS)[0] for _ in range(rng.randint(1, 2))})}
    source: dict[str, Any] = {}
    for key, values in (("principals", _principals), ("notPrincipals", _principals),
                        ("namespaces", _namespaces), ("notNamespaces", _namespaces)):
        if rng.random() < 0.3:
            source[key] = values(rng, namespaces)
    return source or {"principals": _principals(rng, namespaces)}


def _ports(rng: random.Random) -> list[str]:
    return sorted({str(rng.choice(gen_policies.PORT_NUMBERS)) for _ in range(rng.randint(1, 2))})


def _rule(rng: random.Random, namespaces: list[str], allow: bool) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if rng.random() < 0.7:
        rule["from"] = [{"source": _source(rng, namespaces, allow)} for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.5:
        rule["to"] = [{"operation": {rng.choice(["ports", "ports", "notPorts"]): _ports(rng)}}]
    if rng.random() < 0.25:
        key = rng.choice(["source.namespace", "source.principal", "destination.port"] + (["source.ip"] if allow else []))
        values = {"source.namespace": lambda: _namespaces(rng, namespaces),
                  "source.principal": lambda: _principals(rng, namespaces),
                  "destination.port": lambda: _ports(rng),
                  "source.ip": lambda: [rng.choice(gen_policies.CIDRS)[0]]}[key]()
        # source.ip with notValues crashes NCA 2.1.0 (see the module docstring): values only.
        field = "values" if key == "source.ip" else rng.choice(["values", "notValues"])
        rule["when"] = [{"key": key, field: values}]
    return rule


def _authorization_policy(rng: random.Random, name: str, namespaces: list[str], labels: list[dict]) -> Manifest:
    allow = rng.random() < 0.65
    spec: dict[str, Any] = {"action": "ALLOW" if allow else "DENY"}
    if labels and rng.random() < 0.6:
        key, value = rng.choice(sorted({kv for pod in labels for kv in pod.items()}))
        spec["selector"] = {"matchLabels": {key: value}}
    count = rng.choice([0, 1, 1, 2, 3]) if allow else rng.randint(1, 3)
    if count:
        spec["rules"] = [_rule(rng, namespaces, allow) for _ in range(count)]
    namespace = ROOT if rng.random() < 0.15 else rng.choice(namespaces)
    return {"apiVersion": API, "kind": "AuthorizationPolicy", "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


def meshed_set(seed: str) -> list[Manifest]:
    """The NetworkPolicy set of this seed, meshed, with its AuthorizationPolicies."""
    rng = random.Random(f"mesh-{seed}")
    manifests = gen_policies.generate(seed).manifests()
    namespaces = sorted({m["metadata"].get("namespace") for m in manifests if m["kind"] != "Namespace"} - {None})
    declared = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Namespace"}
    for ns in namespaces:
        doc = declared.get(ns)
        if doc is None:
            doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            manifests.append(doc)
        doc["metadata"].setdefault("labels", {})["istio-injection"] = "enabled"
    manifests.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ROOT}})
    for m in manifests:
        template = _template(m)
        if template is not None:
            account = rng.choice(ACCOUNTS + [None])
            if account:
                template.setdefault("spec", {})["serviceAccountName"] = account
    labels = base._pod_labels(manifests)
    manifests += [_authorization_policy(rng, f"ap{i}", namespaces, labels) for i in range(rng.randint(1, 5))]
    return manifests


def _template(m: Manifest) -> dict[str, Any] | None:
    if m["kind"] == "Pod":
        return m
    if m["kind"] == "CronJob":
        return m["spec"]["jobTemplate"]["spec"]["template"]
    if m["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return m["spec"]["template"]
    return None


NCA_ROOT = "istio-config"


def nca_copy(manifests: list[Manifest]) -> list[Manifest]:
    """The set as NCA must read it: its NetworkPolicy rewrites, and the root namespace NCA assumes."""
    rewritten, _ = base.nca_equivalent(manifests)
    out = []
    for m in rewritten:
        if m["kind"] == "AuthorizationPolicy" and m["metadata"]["namespace"] == ROOT:
            m = {**m, "metadata": {**m["metadata"], "namespace": NCA_ROOT}}
        out.append(m)
    return out


def nca_mesh_flows(nca: str, folder: Path, probes: list, externals: list[str]) -> set:
    proc = subprocess.run([nca, "--connectivity", "-r", str(folder), "--output_format", "txt_no_fw_rules",
                           "--print_ipv6"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or "Error:" in proc.stdout + proc.stderr:
        raise RuntimeError(f"nca failed on {folder} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    flows, section = set(), None
    for line in proc.stdout.splitlines():
        if line.strip() in ("TCP Connections:", "non-TCP Connections:"):
            section = line.strip().split()[0]
            continue
        match = base.LINE.match(line)
        if not match:
            continue
        allowed = base.parse_connections(match["conns"])
        admitted = [(port, proto) for port, proto in probes if allowed(port, proto)
                    and (section is None or (proto == "TCP") == (section == "TCP"))]
        for src in base._nca_endpoints(match["src"], externals):
            for dst in base._nca_endpoints(match["dst"], externals):
                if src != dst:
                    flows.update((src, dst, port, proto) for port, proto in admitted)
    return flows


def _not_identity_scopes(manifests: list[Manifest]) -> list[tuple[str, dict]]:
    """(namespace, matchLabels) of every policy with a not* identity field: NCA's deviation."""
    scopes = []
    for m in manifests:
        if m["kind"] != "AuthorizationPolicy":
            continue
        text = str(m["spec"].get("rules", []))
        if "notPrincipals" in text or "notNamespaces" in text or (
                "notValues" in text and ("source.principal" in text or "source.namespace" in text)):
            scopes.append((m["metadata"]["namespace"], m["spec"].get("selector", {}).get("matchLabels", {})))
    return scopes


def _blind(flow, scopes, labels_of) -> bool:
    src, dst = flow[0], flow[1]
    if not src.startswith(base.EXTERNAL_PREFIX) or flow[3] != "TCP":
        return False
    ns, labels = dst.split("/")[0], labels_of.get(dst, {})
    return any((scope_ns in (ns, ROOT)) and all(labels.get(k) == v for k, v in sel.items()) for scope_ns, sel in scopes)


def check_set(seed: str, workdir: Path, nca: str, netguard: str) -> tuple[list, int, int]:
    manifests = meshed_set(seed)
    folder = workdir / f"set-{seed}"
    folder.mkdir()
    (folder / "all.yaml").write_text(yaml.safe_dump_all(manifests, sort_keys=False))
    probes = gen_policies.probes_for(manifests)
    externals = gen_policies.EXTERNAL_IPS
    nca_manifests = nca_copy(manifests)
    nca_folder = workdir / f"set-{seed}.nca"
    nca_folder.mkdir()
    (nca_folder / "all.yaml").write_text(yaml.safe_dump_all(nca_manifests, sort_keys=False))
    scopes = _not_identity_scopes(manifests)
    labels_of = {f"{m['metadata'].get('namespace', 'default')}/{m['metadata']['name']}": (_template(m) or {}).get(
        "metadata", {}).get("labels", {}) for m in manifests if _template(m) is not None}
    ours = {f for f in base.netguard_flows(netguard, folder, probes, externals) if base._comparable(f)}
    theirs = {f for f in nca_mesh_flows(nca, nca_folder, probes, externals) if base._comparable(f)}
    left_out = {f for f in ours ^ theirs if _blind(f, scopes, labels_of)}
    return base.compare(seed, ours - left_out, theirs - left_out), len(ours | theirs), len(left_out)


def run(sets: int, seed: str, nca: str, netguard: str, log=print) -> tuple[int, int, int]:
    disagreeing, flows, left_out = 0, 0, 0
    with tempfile.TemporaryDirectory(prefix="netguard-mesh-diff-") as tmp:
        for i in range(sets):
            found, compared, blind = check_set(f"{seed}-{i}", Path(tmp), nca, netguard)
            flows += compared
            left_out += blind
            for d in found:
                log(d.describe())
            disagreeing += bool(found)
    return disagreeing, flows, left_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=100)
    parser.add_argument("--seed", default="0")
    parser.add_argument("--nca", default=None)
    parser.add_argument("--netguard", default=None)
    args = parser.parse_args()
    nca = args.nca or base.find_nca()
    netguard = args.netguard or base.find_netguard()
    if not nca or not netguard:
        print("nca or netguard not found (scripts/install-nca.sh; pip install -e .)", file=sys.stderr)
        return 2
    started = time.monotonic()
    disagreeing, flows, left_out = run(args.sets, args.seed, nca, netguard)
    print(f"{args.sets} meshed sets, {flows} allowed flows compared in {time.monotonic() - started:.1f} s: "
          f"{disagreeing} sets disagree; {left_out} flows left out for NCA's not*-identity deviation")
    return 1 if disagreeing else 0


if __name__ == "__main__":
    sys.exit(main())
