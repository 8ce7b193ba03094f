#!/usr/bin/env python3
"""Compare the engine with np-guard's netpol-analyzer on its own AdminNetworkPolicy examples.

netpol-analyzer (github.com/np-guard/netpol-analyzer, Go) evaluates NetworkPolicies together with
AdminNetworkPolicy and BaselineAdminNetworkPolicy and keeps, for each example under `tests/`, its
expected connectivity list in `test_outputs/connlist/<example>_connlist_output.txt`
(`src[Kind] => dst[Kind] : TCP 80,UDP 53` lines; a pair not listed has no connection). The Go
module is not served by the module proxy, so this reads a checkout of the repository instead of
running the tool; its files stay there (nothing is copied into this project).

For every example that holds a policy.networking.k8s.io object: the engine loads the example's
manifests, with one external endpoint per external range the expected list names (its first
address), and answers, per ordered pair, the ports of each protocol both sides allow. A pair
agrees when the port sets are equal (ICMP, which the engine does not model, is left out).
`--as-cnp` first rewrites every AdminNetworkPolicy / BaselineAdminNetworkPolicy as the equivalent
v1alpha2 ClusterNetworkPolicy (Allow -> Accept, ports -> protocols), so the same answers must hold.

Examples whose expected lists show what is no part of the API are reported as not comparable:
netpol-analyzer names pods of one owner as one endpoint (`*_same_owner_*`), and OVN-Kubernetes
user-defined networks isolate namespaces beyond any policy (`udn_*`).

To run it: `git clone https://github.com/np-guard/netpol-analyzer` (or any checkout of it), then
`.venv/bin/python scripts/differential_npguard.py netpol-analyzer [--as-cnp]`.

Usage: differential_npguard.py CHECKOUT [--as-cnp] [--only NAME] [--verbose]
Exit 0 when every example agrees or cannot be read by the engine for a stated reason, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

from netguard.analysis import Analyzer  # noqa: E402
from netguard.errors import NetguardInputError  # noqa: E402
from netguard.loader import build_cluster, read_manifests  # noqa: E402
from netguard.ports import PROTOCOLS, PortSet  # noqa: E402

NOT_COMPARABLE = {
    "same_owner": "netpol-analyzer lists the pods of one owner as one endpoint",
    "udn_": "OVN-Kubernetes user-defined networks isolate namespaces beyond any policy",
}
LINE = re.compile(r"^(\S+)\[(\w+)\] => (\S+)\[(\w+)\] : (.+)$")


def parse_conns(text: str) -> dict[str, PortSet]:
    """``All Connections`` or ``TCP 80,8080-8090,UDP 53,SCTP``: a protocol alone is all its ports."""
    if text.strip() == "All Connections":
        return {p: PortSet.everything() for p in PROTOCOLS}
    out = {p: PortSet() for p in PROTOCOLS}
    protocol = None
    for token in (t.strip() for t in text.split(",")):
        head, _, rest = token.partition(" ")
        if head in PROTOCOLS or head == "ICMP":
            protocol, token = head, rest.strip()
            if not token:
                if protocol in PROTOCOLS:
                    out[protocol] = PortSet.everything()
                continue
        if protocol in PROTOCOLS and token and token[0].isdigit():
            lo, _, hi = token.partition("-")
            out[protocol] = out[protocol] | PortSet.of([(int(lo), int(hi or lo))])
    return out


def _endpoint(name: str, kind: str):
    """A pod or workload id, or an external range as (first, last) addresses."""
    if kind == "External":
        first, _, last = name.partition("-")
        return (ipaddress.ip_address(first), ipaddress.ip_address(last or first))
    return name


def expected(path: Path) -> list[tuple[object, object, dict[str, PortSet]]]:
    found = []
    for line in path.read_text().splitlines():
        m = LINE.match(line.strip())
        if m:
            found.append((_endpoint(m.group(1), m.group(2)), _endpoint(m.group(3), m.group(4)), parse_conns(m.group(5))))
    return found


def _is(spec, endpoint_id: str) -> bool:
    if isinstance(spec, str):
        return spec == endpoint_id
    if not endpoint_id.startswith("external/"):
        return False
    address = ipaddress.ip_address(endpoint_id.split("/", 1)[1])
    first, last = spec
    return address.version == first.version and first <= address <= last


def lookup(theirs, source: str, destination: str) -> dict[str, PortSet]:
    for src, dst, conns in theirs:
        if _is(src, source) and _is(dst, destination):
            return conns
    return {p: PortSet() for p in PROTOCOLS}


def as_cnp(manifest: dict) -> dict:
    """An AdminNetworkPolicy / BaselineAdminNetworkPolicy written as the v1alpha2 ClusterNetworkPolicy."""
    kind = manifest.get("kind")
    if kind not in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy"):
        return manifest
    spec = dict(manifest.get("spec") or {})
    tier, priority = ("Admin", spec.pop("priority", 0)) if kind == "AdminNetworkPolicy" else ("Baseline", 1000)
    for direction in ("ingress", "egress"):
        rules = []
        for rule in spec.get(direction) or []:
            rule = dict(rule)
            if rule.get("action") == "Allow":
                rule["action"] = "Accept"
            if "ports" in rule:
                rule["protocols"] = [_protocol(p) for p in rule.pop("ports") or []]
            rules.append(rule)
        if direction in spec:
            spec[direction] = rules
    name = manifest["metadata"]["name"] if kind == "AdminNetworkPolicy" else "baseline-default"
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": {"tier": tier, "priority": priority, **spec}}


def _protocol(port: dict) -> dict:
    if "namedPort" in port:
        return {"destinationNamedPort": port["namedPort"]}
    if "portNumber" in port:
        p = port["portNumber"]
        return {p.get("protocol", "TCP").lower(): {"destinationPort": {"number": p["port"]}}}
    r = port["portRange"]
    return {r.get("protocol", "TCP").lower(): {"destinationPort": {"range": {"start": r["start"], "end": r["end"]}}}}


def compare(example: Path, output: Path, cnp: bool, verbose: bool) -> tuple[str, int, int]:
    theirs = expected(output)
    externals = sorted({str(e[0]) for src, dst, _ in theirs for e in (src, dst) if not isinstance(e, str)})
    try:
        objects = [(s, as_cnp(m) if cnp else m) for s, m in read_manifests([str(example)])]
        analyzer = Analyzer(build_cluster(objects, externals))
    except NetguardInputError as error:
        return f"not read: {error}", 0, 0
    ids = [e.id for e in analyzer.cluster.endpoints]
    agree = differ = 0
    for s in ids:
        for d in ids:
            if s == d or (s.startswith("external/") and d.startswith("external/")):
                continue
            ours = {p: ports for p, ports in analyzer.allowed_ports(s, d).items()}
            want = lookup(theirs, s, d)
            if all(ours[p] == want[p] for p in PROTOCOLS):
                agree += 1
                continue
            differ += 1
            if verbose:
                show = lambda c: " ".join(f"{p}:{c[p].describe() or '-'}" for p in PROTOCOLS)  # noqa: E731
                print(f"    {s} -> {d}: netguard {show(ours)} | netpol-analyzer {show(want)}")
    return ("agrees" if not differ else "DIFFERS"), agree, differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout (work tree) of np-guard/netpol-analyzer")
    parser.add_argument("--as-cnp", action="store_true", help="rewrite ANP/BANP as ClusterNetworkPolicy first")
    parser.add_argument("--only", default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    tests, outputs = args.checkout / "tests", args.checkout / "test_outputs" / "connlist"
    failed = totals = 0
    for example in sorted(p for p in tests.iterdir() if p.is_dir()):
        output = outputs / f"{example.name}_connlist_output.txt"
        if args.only and example.name != args.only or not output.exists():
            continue
        if not any("policy.networking.k8s.io" in f.read_text(errors="replace")
                   for f in example.rglob("*.y*ml")):
            continue
        reason = next((why for key, why in NOT_COMPARABLE.items() if key in example.name), None)
        if reason:
            print(f"{example.name}: not comparable ({reason})")
            continue
        verdict, agree, differ = compare(example, output, args.as_cnp, args.verbose)
        totals += 1
        failed += verdict == "DIFFERS"
        print(f"{example.name}: {verdict} ({agree} pairs agree, {differ} differ)")
    print(f"{totals} examples, {failed} differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
