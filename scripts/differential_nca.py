#!/usr/bin/env python3
"""Differential proof: netguard and np-guard's network-config-analyzer (NCA) must agree.

For each random policy set (scripts/gen_policies.py) both tools compute who can reach whom, and both
answers are normalised to one set of (source, destination, port, protocol):
- NCA (`nca --connectivity -r DIR --output_format txt_no_fw_rules`) prints one line per ordered pair
  of workloads, `ns/name[Kind] => ns/name[Kind] : CONNECTIONS`, where CONNECTIONS is
  `All connections`, `All but ...`, or cubes such as `{protocols:TCP, UDP,dst_ports:80,1000-2000}`.
  External addresses appear as address ranges `a.b.c.d-e.f.g.h` (comma-separated when several;
  IPv6 ones only with --print_ipv6, which we pass).
  It reports whole connection sets, not probes: we evaluate each set at every probe.
- netguard (`netguard reach DIR --probe P/PROTO ... --external IP ... --format json`) answers the same
  probes directly.
Probes cover every declared port, every port and endPort edge a policy names and a few ports nobody
uses, each for TCP, UDP and SCTP. External probe addresses lie inside and outside every ipBlock and
its exceptions. Pairs of two external addresses and pairs of an endpoint with itself are not compared.

What NCA models differently, and how it is accounted for:
- it never matches pods against ipBlocks: the generator gives pods no IP, so neither tool does;
- it models at most two replicas of a workload and names them `name-1`, `name-2`; its default
  output (`--output_endpoints deployments`) names the workload, and replica-to-replica pairs are
  self-pairs, which netguard never lists;
- `replicas: 0` or Job `parallelism: 0` give NCA no pod at all: the generator never writes them;
- it rejects a policy whose policyTypes omit a direction that has rules: the generator never does;
- two deviations from Kubernetes semantics (see nca_equivalent): NCA reads a rewritten copy of
  the set that means the same under Kubernetes; --no-workarounds shows them raw.

Each disagreement is printed with the set, the pair, the probes and which tool allows them; the set is
copied to the failures folder with a DISAGREEMENTS.txt, for a repro.

Usage: differential_nca.py --sets 200 --seed S [--failures DIR] [--nca PATH] [--netguard PATH]
                           [--no-workarounds]
Exit 0 when the tools agree on every set, 1 otherwise, 2 when a tool is missing.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_policies  # noqa: E402

DEFAULT_NCA = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ai-netguard/nca-venv/bin/nca"
PROTOCOLS = ("TCP", "UDP", "SCTP")
EXTERNAL_PREFIX = "external/"

Probe = tuple[int, str]
Flow = tuple[str, str, int, str]  # (source, destination, port, protocol)
Predicate = Callable[[int, str], bool]


def find_nca() -> str | None:
    """NETGUARD_NCA if set, else the install-nca.sh location, else `nca` on PATH."""
    explicit = os.environ.get("NETGUARD_NCA")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    if DEFAULT_NCA.is_file():
        return str(DEFAULT_NCA)
    return shutil.which("nca")


def find_netguard() -> str | None:
    beside_python = Path(sys.executable).parent / "netguard"
    return str(beside_python) if beside_python.is_file() else shutil.which("netguard")


# ---------------------------------------------------------------------------------------------
# NCA's connection strings
# ---------------------------------------------------------------------------------------------

def _protocol_predicate(text: str) -> Callable[[str], bool]:
    if text.startswith("all but "):
        excluded = {p.strip() for p in text[len("all but "):].split(",")}
        return lambda proto: proto not in excluded
    included = {p.strip() for p in text.split(",")}
    return lambda proto: proto in included


def _ports_predicate(text: str) -> Callable[[int], bool]:
    ranges = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        ranges.append((int(low), int(high or low)))
    return lambda port: any(low <= port <= high for low, high in ranges)


def _cube_predicate(body: str) -> Predicate:
    """One cube `protocols:TCP, UDP,dst_ports:80,1000-2000` (braces removed); an absent dimension
    means every value."""
    values: dict[str, list[str]] = {}
    key = None
    for token in body.split(","):
        name, colon, value = token.partition(":")
        if colon and re.fullmatch(r"\s*[a-z_]+", name):
            key = name.strip()
            values[key] = [value]
        elif key is None:
            raise ValueError(f"unreadable NCA connection cube {{{body}}}")
        else:
            values[key].append(token)
    unknown = set(values) - {"protocols", "dst_ports"}
    if unknown:
        raise ValueError(f"NCA connection cube {{{body}}} has dimensions {sorted(unknown)} we do not model")
    protocol_ok = _protocol_predicate(",".join(values["protocols"])) if "protocols" in values else None
    port_ok = _ports_predicate(",".join(values["dst_ports"])) if "dst_ports" in values else None
    return lambda port, proto: ((protocol_ok is None or protocol_ok(proto))
                                and (port_ok is None or port_ok(port)))


def parse_connections(text: str) -> Predicate:
    """NCA's connection set as a predicate over (port, protocol)."""
    text = text.strip()
    if text == "All connections":
        return lambda port, proto: True
    if text == "No connections":
        return lambda port, proto: False
    if text.startswith("All but "):
        inner = parse_connections(text[len("All but "):])
        return lambda port, proto: not inner(port, proto)
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"unreadable NCA connection set {text!r}")
    cubes = [_cube_predicate(body) for body in text[1:-1].split("},{")]
    return lambda port, proto: any(cube(port, proto) for cube in cubes)


# ---------------------------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------------------------

LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conns>.+)$")


def _nca_endpoints(name: str, externals: list[str]) -> list[str]:
    """`ns/name[Kind]` -> [`ns/name`]; an IP range list -> the external probe addresses inside it."""
    if "[" in name:
        return [name[:name.index("[")]]
    inside = []
    addresses = [ipaddress.ip_address(ip) for ip in externals]
    for part in name.split(","):
        if "-" in part:
            low, high = (ipaddress.ip_address(x) for x in part.split("-"))
        else:
            network = ipaddress.ip_network(part)
            low, high = network[0], network[-1]
        inside += [str(ip) for ip in addresses if ip.version == low.version and low <= ip <= high]
    return [EXTERNAL_PREFIX + ip for ip in inside]


def nca_flows(nca: str, folder: Path, probes: list[Probe], externals: list[str]) -> set[Flow]:
    # --print_ipv6: without it NCA leaves out IPv6 peers unless a policy names an IPv6 block.
    proc = subprocess.run([nca, "--connectivity", "-r", str(folder), "--output_format", "txt_no_fw_rules",
                           "--print_ipv6"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or "Error:" in proc.stdout + proc.stderr:
        raise RuntimeError(f"nca failed on {folder} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    flows: set[Flow] = set()
    for line in proc.stdout.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        allowed = parse_connections(match["conns"])
        admitted = [probe for probe in probes if allowed(*probe)]
        for src in _nca_endpoints(match["src"], externals):
            for dst in _nca_endpoints(match["dst"], externals):
                if src != dst:
                    flows.update((src, dst, port, proto) for port, proto in admitted)
    return flows


def netguard_flows(netguard: str, folder: Path, probes: list[Probe], externals: list[str]) -> set[Flow]:
    command = [netguard, "reach", str(folder), "--format", "json"]
    for port, proto in probes:
        command += ["--probe", f"{port}/{proto}"]
    for ip in externals:
        command += ["--external", ip]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"netguard failed on {folder} (exit {proc.returncode}):\n{proc.stderr}")
    answer = json.loads(proc.stdout)
    return {(f["from"], f["to"], f["port"], f["protocol"]) for f in answer["allowed"]}


# ---------------------------------------------------------------------------------------------
# Known NCA deviations, accounted for explicitly
# ---------------------------------------------------------------------------------------------

ABSENT_VALUE = "nca-workaround-absent"


def _pod_labels(manifests: list[dict]) -> list[dict[str, str]]:
    found = []
    for m in manifests:
        if m.get("kind") == "Pod":
            found.append(m.get("metadata", {}).get("labels") or {})
        elif m.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"):
            spec = m["spec"]["jobTemplate"]["spec"] if m["kind"] == "CronJob" else m["spec"]
            found.append(spec.get("template", {}).get("metadata", {}).get("labels") or {})
    return found


def nca_equivalent(manifests: list[dict]) -> tuple[list[dict], int]:
    """The same configuration, rewritten around NCA 2.1.0's two known deviations from Kubernetes,
    into a form that selects exactly the same traffic; and how many rewrites that took.

    1. NCA confines an `Exists` or `DoesNotExist` requirement of a peer's podSelector to the
       policy's own namespace even when the peer has a namespaceSelector
       (K8sPolicyYamlParser.parse_label_selector_requirement calls
       peer_container.get_peers_with_key(self.namespace, ...)); Kubernetes: "podSelector and
       namespaceSelector together select particular Pods within particular namespaces". NCA denies
       flows Kubernetes allows. Rewritten as `In` (`NotIn`) over every value the key takes on any
       pod of the set, which selects the same pods.
       Repro: tests/differential/cases/nca-exists-across-namespaces/.
    2. Without policyTypes, NCA makes a policy affect egress when the `egress` key is present, even
       as an empty list (`'egress' in policy_spec`); the API server defaults policyTypes to Egress
       only when the list is non-empty (`len(spec.Egress) != 0` in SetDefaults_NetworkPolicySpec),
       so `egress: []` without policyTypes isolates nothing for egress. NCA denies flows Kubernetes
       allows. Rewritten by dropping the empty list, which is what the API server stores.
       Repro: tests/differential/cases/nca-empty-egress-defaults-policytypes/.
    """
    values: dict[str, set[str]] = {}
    for labels in _pod_labels(manifests):
        for key, value in labels.items():
            values.setdefault(key, set()).add(str(value))
    rewritten = 0
    result = []
    for m in manifests:
        if m.get("kind") != "NetworkPolicy":
            result.append(m)
            continue
        m = json.loads(json.dumps(m))  # a deep copy that the caller's set never sees
        spec = m.get("spec", {})
        if not spec.get("policyTypes") and "egress" in spec and not spec["egress"]:
            del spec["egress"]
            rewritten += 1
        for direction, peer_key in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(direction) or []:
                for peer in rule.get(peer_key) or []:
                    if "namespaceSelector" not in peer or not peer.get("podSelector"):
                        continue
                    for requirement in peer["podSelector"].get("matchExpressions") or []:
                        operator = requirement.get("operator")
                        if operator not in ("Exists", "DoesNotExist"):
                            continue
                        requirement["operator"] = "In" if operator == "Exists" else "NotIn"
                        requirement["values"] = sorted(values.get(requirement["key"], {ABSENT_VALUE}))
                        rewritten += 1
        result.append(m)
    return result, rewritten


def _comparable(flow: Flow) -> bool:
    src, dst = flow[0], flow[1]
    return src != dst and not (src.startswith(EXTERNAL_PREFIX) and dst.startswith(EXTERNAL_PREFIX))


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------

@dataclass
class Disagreement:
    set_id: str
    source: str
    destination: str
    only_netguard: list[Probe] = field(default_factory=list)
    only_nca: list[Probe] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"[{self.set_id}] {self.source} -> {self.destination}:"]
        if self.only_netguard:
            parts.append("netguard allows, NCA denies " + _probes_text(self.only_netguard))
        if self.only_nca:
            parts.append("NCA allows, netguard denies " + _probes_text(self.only_nca))
        return " ".join(parts)


def _probes_text(probes: list[Probe], limit: int = 12) -> str:
    ordered = [f"{port}/{proto}" for port, proto in sorted(probes, key=lambda p: (p[1], p[0]))]
    more = f" and {len(ordered) - limit} more" if len(ordered) > limit else ""
    return ", ".join(ordered[:limit]) + more


def compare(set_id: str, ours: set[Flow], theirs: set[Flow]) -> list[Disagreement]:
    by_pair: dict[tuple[str, str], Disagreement] = {}
    for flow in sorted(ours ^ theirs):
        pair = (flow[0], flow[1])
        found = by_pair.setdefault(pair, Disagreement(set_id, *pair))
        (found.only_netguard if flow in ours else found.only_nca).append((flow[2], flow[3]))
    return list(by_pair.values())


@dataclass
class SetResult:
    set_id: str
    folder: Path
    probes: int
    flows: int
    disagreements: list[Disagreement]
    error: str = ""  # a tool failed on the set: as bad as a disagreement
    nca_rewrites: int = 0  # selector requirements rewritten around NCA's known deviation

    @property
    def failed(self) -> bool:
        return bool(self.disagreements or self.error)


def check_set(seed: str, workdir: Path, nca: str, netguard: str, workarounds: bool = True) -> SetResult:
    policy_set = gen_policies.generate(seed)
    folder = policy_set.write(workdir / f"set-{seed}")
    manifests = policy_set.manifests()
    probes = gen_policies.probes_for(manifests)
    externals = gen_policies.EXTERNAL_IPS
    nca_folder, rewrites = folder, 0
    if workarounds:
        nca_manifests, rewrites = nca_equivalent(manifests)
        if rewrites:
            # NCA reads the rewritten copy; netguard always reads the set as generated.
            nca_folder = workdir / f"set-{seed}.nca-equivalent"
            nca_folder.mkdir()
            (nca_folder / "all.yaml").write_text(yaml.safe_dump_all(nca_manifests, sort_keys=False))
    try:
        ours = {f for f in netguard_flows(netguard, folder, probes, externals)
                if _comparable(f)}
        theirs = {f for f in nca_flows(nca, nca_folder, probes, externals) if _comparable(f)}
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
        return SetResult(seed, folder, len(probes), 0, [], error=f"[{seed}] {error}", nca_rewrites=rewrites)
    return SetResult(seed, folder, len(probes), len(ours | theirs), compare(seed, ours, theirs),
                     nca_rewrites=rewrites)


def save_failure(result: SetResult, failures: Path) -> Path:
    target = failures / f"set-{result.set_id}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(result.folder, target)
    nca_copy = result.folder.parent / f"{result.folder.name}.nca-equivalent"
    if nca_copy.exists():
        shutil.copytree(nca_copy, failures / nca_copy.name, dirs_exist_ok=True)
    lines = [d.describe() for d in result.disagreements] + ([result.error] if result.error else [])
    (target / "DISAGREEMENTS.txt").write_text("\n".join(lines) + "\n")
    return target


def run(sets: int, seed: str, nca: str, netguard: str, failures: Path | None,
        log: Callable[[str], None] = print, workarounds: bool = True) -> list[SetResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="netguard-diff-") as tmp:
        for i in range(sets):
            result = check_set(f"{seed}-{i}", Path(tmp), nca, netguard, workarounds)
            results.append(result)
            for d in result.disagreements:
                log(d.describe())
            if result.error:
                log(result.error)
            if result.failed and failures is not None:
                log(f"  repro: {save_failure(result, failures)}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=200)
    parser.add_argument("--seed", default="0")
    parser.add_argument("--failures", type=Path, default=Path("differential-failures"),
                        help="where each disagreeing set is copied for a repro")
    parser.add_argument("--nca", default=None, help="the nca command (default: $NETGUARD_NCA, install-nca.sh's)")
    parser.add_argument("--netguard", default=None, help="the netguard command (default: beside this python)")
    parser.add_argument("--no-workarounds", action="store_true",
                        help="give NCA the sets as generated, without rewriting around its known deviation")
    args = parser.parse_args()
    nca = args.nca or find_nca()
    netguard = args.netguard or find_netguard()
    if not nca:
        print("nca not found: run scripts/install-nca.sh or set NETGUARD_NCA", file=sys.stderr)
        return 2
    if not netguard:
        print("netguard not found: pip install -e . in this venv", file=sys.stderr)
        return 2
    started = time.monotonic()
    results = run(args.sets, args.seed, nca, netguard, args.failures, workarounds=not args.no_workarounds)
    disagreeing = [r for r in results if r.disagreements]
    errors = [r for r in results if r.error]
    pairs = sum(len(r.disagreements) for r in results)
    print(f"{len(results)} sets, {sum(r.probes for r in results)} probes, "
          f"{sum(r.flows for r in results)} allowed flows compared in {time.monotonic() - started:.1f} s: "
          f"{pairs} disagreeing pairs in {len(disagreeing)} sets, {len(errors)} sets where a tool failed; "
          f"{sum(r.nca_rewrites for r in results)} selector requirements rewritten for NCA in "
          f"{sum(bool(r.nca_rewrites) for r in results)} sets (see nca_equivalent)")
    return 1 if disagreeing or errors else 0


if __name__ == "__main__":
    sys.exit(main())
