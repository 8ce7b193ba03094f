#!/usr/bin/env python3
"""Differential proof: netguard and np-guard's network-config-analyzer (NCA) must agree.

For each random policy set (scripts/gen_policies.py) both tools compute who can reach whom, and both
answers are normalised to one set of (source, destination, port, protocol):
- NCA (`nca --connectivity -r DIR --output_format txt_no_fw_rules`) prints one line per ordered pair
  of workloads, `ns/name[Kind] => ns/name[Kind] : CONNECTIONS`, where CONNECTIONS is
  `All connections`, `All but ...`, or cubes such as `{protocols:TCP, UDP,dst_ports:80,1000-2000}`.
  External addresses appear as IPv4 ranges `a.b.c.d-e.f.g.h` (comma-separated when several).
  It reports whole connection sets, not probes: we evaluate each set at every probe.
- netguard (`netguard reach DIR --probe P/PROTO ... --external IP ... --format json`) answers the same
  probes directly.
Probes cover every declared port, every port and endPort edge a policy names and a few ports nobody
uses, each for TCP, UDP and SCTP. External probe addresses lie inside and outside every ipBlock and
its exceptions. Pairs of two external addresses and pairs of an endpoint with itself are not compared.

Each disagreement is printed with the set, the pair, the probes and which tool allows them; the set is
copied to the failures folder with a DISAGREEMENTS.txt, for a repro.

Usage: differential_nca.py --sets 200 --seed S [--failures DIR] [--nca PATH] [--netguard PATH]
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
    for part in name.split(","):
        if ":" in part:
            continue  # IPv6: no probe address there
        if "-" in part:
            low, high = (ipaddress.ip_address(x) for x in part.split("-"))
            inside += [ip for ip in externals if low <= ipaddress.ip_address(ip) <= high]
        else:
            network = ipaddress.ip_network(part)
            inside += [ip for ip in externals if ipaddress.ip_address(ip) in network]
    return [EXTERNAL_PREFIX + ip for ip in inside]


def nca_flows(nca: str, folder: Path, probes: list[Probe], externals: list[str]) -> set[Flow]:
    proc = subprocess.run([nca, "--connectivity", "-r", str(folder), "--output_format", "txt_no_fw_rules"],
                          capture_output=True, text=True, timeout=600)
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


def _probes_text(probes: list[Probe]) -> str:
    return ", ".join(f"{port}/{proto}" for port, proto in sorted(probes, key=lambda p: (p[1], p[0])))


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


def check_set(seed: str, workdir: Path, nca: str, netguard: str) -> SetResult:
    policy_set = gen_policies.generate(seed)
    folder = policy_set.write(workdir / f"set-{seed}")
    manifests = policy_set.manifests()
    probes = gen_policies.probes_for(manifests)
    externals = gen_policies.EXTERNAL_IPS
    ours = {f for f in netguard_flows(netguard, folder, probes, externals) if _comparable(f)}
    theirs = {f for f in nca_flows(nca, folder, probes, externals) if _comparable(f)}
    return SetResult(seed, folder, len(probes), len(ours | theirs), compare(seed, ours, theirs))


def save_failure(result: SetResult, failures: Path) -> Path:
    target = failures / f"set-{result.set_id}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(result.folder, target)
    (target / "DISAGREEMENTS.txt").write_text("\n".join(d.describe() for d in result.disagreements) + "\n")
    return target


def run(sets: int, seed: str, nca: str, netguard: str, failures: Path | None,
        log: Callable[[str], None] = print) -> list[SetResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="netguard-diff-") as tmp:
        for i in range(sets):
            result = check_set(f"{seed}-{i}", Path(tmp), nca, netguard)
            results.append(result)
            for d in result.disagreements:
                log(d.describe())
            if result.disagreements and failures is not None:
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
    results = run(args.sets, args.seed, nca, netguard, args.failures)
    disagreeing = [r for r in results if r.disagreements]
    pairs = sum(len(r.disagreements) for r in results)
    print(f"{len(results)} sets, {sum(r.probes for r in results)} probes, "
          f"{sum(r.flows for r in results)} allowed flows compared in {time.monotonic() - started:.1f} s: "
          f"{pairs} disagreeing pairs in {len(disagreeing)} sets")
    return 1 if disagreeing else 0


if __name__ == "__main__":
    sys.exit(main())
