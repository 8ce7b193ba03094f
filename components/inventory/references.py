"""Checks of what one inventory entry says about another: namespaces declared, workloads that exist,
ports a flow names, duplicates, and egress that opens the internet in pieces.

Entries that failed on their own (`Broken`) are never reported again through the entries that
refer to them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import ValidationError

from .errors import problem
from .fields import RESERVED_LABEL_PREFIXES, port_name
from .messages import M
from .schema import EgressSpec, FlowSource, WorkloadRef, WorkloadSpec


@dataclass(frozen=True)
class Broken:
    """What entries that failed on their own might have declared, so references to them are not
    reported again. "*" stands for a part that is unknown (not a string, or a whole section that is
    not a list)."""

    namespaces: frozenset[str]
    workloads: frozenset[tuple[str, str]]

    def namespace(self, name: str) -> bool:
        return bool({name, "*"} & self.namespaces)

    def workload(self, namespace: str, name: str) -> bool:
        return any((ns, n) in self.workloads for ns in (namespace, "*") for n in (name, "*"))

    def roles_in(self, namespace: str) -> bool:
        # Any broken workload of the namespace may be the one with the role.
        return any(ns in (namespace, "*") for ns, _ in self.workloads)


def check_references(platform: Mapping[tuple[str, ...], Any], namespaces, workloads, flows, egress, broken: Broken) -> list[str]:
    problems: list[str] = []
    ns_at: dict[str, int] = {}
    for i, ns in namespaces:
        if ns.name in ns_at:
            problems.append(problem(("namespaces", i, "name"), f"duplicate namespace {ns.name!r} (first declared at namespaces[{ns_at[ns.name]}])"))
            continue
        ns_at[ns.name] = i
        for key in ns.labels:
            if key.startswith(RESERVED_LABEL_PREFIXES):
                problems.append(problem(("namespaces", i, "labels", key), "is reserved for netguard and Kubernetes; use trustTier/dataClass or another key"))
    problems.extend(_check_platform(platform, ns_at))

    wl_at: dict[str, int] = {}
    by_key: dict[str, WorkloadSpec] = {}
    for i, wl in workloads:
        problems.extend(_check_workload(i, wl, ns_at, broken))
        key = f"{wl.namespace}/{wl.name}"
        if key in wl_at:
            problems.append(problem(("workloads", i, "name"), f"duplicate workload {wl.name!r} in namespace {wl.namespace!r} (first declared at workloads[{wl_at[key]}])"))
            continue
        wl_at[key] = i
        by_key[key] = wl

    flow_at: dict[str, int] = {}
    for i, flow in flows:
        problems.extend(_check_flow(i, flow.source, flow.to, flow.ports, by_key, broken))
        if flow.key in flow_at:
            problems.append(problem(("flows", i), f"duplicate flow {flow.key} (merge its ports into flows[{flow_at[flow.key]}])"))
        flow_at.setdefault(flow.key, i)

    egress_at: dict[str, int] = {}
    for i, eg in egress:
        problems.extend(_check_egress(i, eg, by_key, broken))
        if eg.key in egress_at:
            problems.append(problem(("egress", i), f"egress for {eg.key} is already declared at egress[{egress_at[eg.key]}]; merge them"))
        egress_at.setdefault(eg.key, i)
    return problems


def _check_platform(platform: Mapping[tuple[str, ...], Any], ns_at: Mapping[str, int]) -> list[str]:
    """The cluster's DNS and monitoring live outside the AI namespaces: under default-deny the DNS pods
    would answer nobody, and a monitoring namespace that runs AI workloads would let them scrape every
    metrics port."""
    why = {
        ("platform", "dns", "namespace"): "name the namespace the cluster DNS pods run in",
        ("platform", "monitoringNamespace"): "its workloads could scrape every metrics port: name a namespace "
                                             "that runs only the monitoring stack",
    }
    return [
        problem(path, f"{name!r} is an AI namespace (namespaces[{ns_at[name]}]); {why[path]}")
        for path, name in platform.items() if isinstance(name, str) and name in ns_at
    ]


@dataclass(frozen=True)
class WorkloadFacts:
    """What the cross-field checks need of a workload. None where a broken field leaves it unknown,
    so a field that failed is never checked again against the others."""

    namespace: Optional[str]
    kind: Optional[str]
    schedule_known: bool
    schedule: Any
    ports: Optional[tuple[tuple[int, Optional[str], Optional[tuple[int, str]]], ...]]  # (index, name, (number, protocol))
    metrics_port: Optional[str]

    @staticmethod
    def of(wl: WorkloadSpec) -> "WorkloadFacts":
        ports = tuple((j, p.name, (p.port, p.protocol)) for j, p in enumerate(wl.ports))
        return WorkloadFacts(wl.namespace, wl.kind, True, wl.schedule, ports, wl.metrics_port)

    @staticmethod
    def salvaged(raw: Mapping[str, Any], failed: set[tuple[Any, ...]]) -> "WorkloadFacts":
        def ok(*path: Any) -> bool:
            return not any(loc[:len(path)] == path or path[:len(loc)] == loc for loc in failed)

        raw_ports = raw.get("ports", [])
        ports = None
        if ("ports",) not in failed and isinstance(raw_ports, list) and all(isinstance(p, Mapping) for p in raw_ports):
            ports = tuple(
                (j, p.get("name") if ok("ports", j, "name") else None,
                 (p.get("port"), p.get("protocol", "TCP")) if ok("ports", j, "port") and ok("ports", j, "protocol") else None)
                for j, p in enumerate(raw_ports)
            )
        return WorkloadFacts(
            namespace=raw.get("namespace") if ok("namespace") else None,
            kind=raw.get("kind", "Deployment") if ok("kind") else None,
            schedule_known=ok("schedule"),
            schedule=raw.get("schedule"),
            ports=ports,
            metrics_port=raw.get("metricsPort") if ok("metricsPort") else None,
        )


def _check_workload(i: int, wl: WorkloadSpec, ns_at: Mapping[str, int], broken: Broken) -> list[str]:
    return check_workload_facts(i, WorkloadFacts.of(wl), ns_at, broken)


def check_workload_facts(i: int, wl: WorkloadFacts, ns_at, broken: Broken) -> list[str]:
    problems = []
    at = ("workloads", i)
    if wl.namespace is not None and wl.namespace not in ns_at and not broken.namespace(wl.namespace):
        problems.append(problem(at + ("namespace",), f"namespace {wl.namespace!r} is not declared in namespaces"))
    if wl.kind is not None and wl.schedule_known:
        if wl.kind == "CronJob" and not wl.schedule:
            problems.append(problem(at + ("schedule",), "a CronJob needs a schedule (e.g. '0 3 * * *')"))
        if wl.kind != "CronJob" and wl.schedule:
            problems.append(problem(at + ("schedule",), f"only a CronJob has a schedule, not a {wl.kind}"))
    if wl.ports is None:
        return problems
    names: dict[str, int] = {}
    numbers: dict[tuple[int, str], int] = {}
    for j, name, number in wl.ports:
        if name is not None:
            if name in names:
                problems.append(problem(at + ("ports", j, "name"), f"duplicate port name {name!r} (also ports[{names[name]}])"))
            names.setdefault(name, j)
        if number is not None:
            if number in numbers:
                problems.append(problem(at + ("ports", j, "port"), f"duplicate port {number[0]}/{number[1]} (also ports[{numbers[number]}])"))
            numbers.setdefault(number, j)
    names_known = all(name is not None for _, name, _ in wl.ports)
    if wl.metrics_port is not None and names_known and wl.metrics_port not in names:
        problems.append(problem(at + ("metricsPort",), f"{wl.metrics_port!r} is not one of this workload's ports ({listing(names)})"))
    return problems


def _check_flow(i: int, src: Optional[FlowSource], to: Optional[WorkloadRef], ports: Optional[Sequence[str]],
                by_key: Mapping[str, WorkloadSpec], broken: Broken) -> list[str]:
    """A flow's references; a part that is None failed on its own and is not checked."""
    problems = []
    at = ("flows", i)
    if src is not None and src.workload and src.key not in by_key and not broken.workload(src.namespace, src.workload):
        problems.append(problem(at + ("from",), f"workload {src.key} does not exist"))
    if src is not None and src.role and not broken.roles_in(src.namespace) and not any(
            w.namespace == src.namespace and w.role == src.role for w in by_key.values()):
        problems.append(problem(at + ("from", "role"), f"no workload in namespace {src.namespace!r} has role {src.role!r}"))
    if to is None:
        return problems
    dst = by_key.get(to.key)
    if dst is None:
        if not broken.workload(to.namespace, to.workload):
            problems.append(problem(at + ("to",), f"workload {to.key} does not exist"))
        return problems
    declared = {p.name for p in dst.ports}
    first: dict[str, int] = {}
    for j, name in enumerate(ports or ()):
        if name in first:
            problems.append(problem(at + ("ports", j), f"{name!r} is listed twice (also ports[{first[name]}])"))
            continue
        first[name] = j
        if name not in declared:
            problems.append(problem(at + ("ports", j), f"{name!r} is not a port of {to.key} ({listing(declared)})"))
    return problems


def _part(model: type[M], value: Any) -> Optional[M]:
    """One part of a broken entry, when it is valid on its own."""
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def check_broken_flow(i: int, raw: Mapping[str, Any], by_key: Mapping[str, WorkloadSpec], broken: Broken) -> list[str]:
    ports = raw.get("ports")
    names_ok = isinstance(ports, list) and all(isinstance(p, str) and valid(port_name, p) for p in ports)
    return _check_flow(i, _part(FlowSource, raw.get("from")), _part(WorkloadRef, raw.get("to")),
                       ports if names_ok else None, by_key, broken)


def check_broken_egress(i: int, raw: Mapping[str, Any], by_key: Mapping[str, WorkloadSpec], broken: Broken) -> list[str]:
    ref = _part(WorkloadRef, {"namespace": raw.get("namespace"), "workload": raw.get("workload")})
    if ref is None or ref.key in by_key or broken.workload(ref.namespace, ref.workload):
        return []
    return [problem(("egress", i), f"workload {ref.key} does not exist")]


def valid(check, value: Any) -> bool:
    try:
        check(value)
        return True
    except ValueError:
        return False


def _check_egress(i: int, eg: EgressSpec, by_key: Mapping[str, WorkloadSpec], broken: Broken) -> list[str]:
    problems = []
    if eg.key not in by_key and not broken.workload(eg.namespace, eg.workload):
        problems.append(problem(("egress", i), f"workload {eg.key} does not exist"))
    if not eg.cidrs and not eg.domains:
        problems.append(problem(("egress", i), "declares neither cidrs nor domains; remove the entry or list its destinations"))
    for j, entry in enumerate(eg.cidrs):
        if ipaddress.ip_network(entry.cidr).prefixlen == 0 and not entry.allow_internet:
            problems.append(problem(("egress", i, "cidrs", j, "cidr"), f"{entry.cidr} opens the whole internet; narrow it, or set allowInternet: true on this entry"))
    problems.extend(_internet_in_pieces(i, eg))
    return problems


# Ranges no internet destination lies in (RFC 6890 special-purpose blocks): blocks that cover
# everything else cover the internet.
_NOT_INTERNET = {
    4: tuple(map(ipaddress.ip_network, (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/3"))),
    6: tuple(map(ipaddress.ip_network, (
        "::/127", "::ffff:0:0/96", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8"))),
}


def _internet_in_pieces(i: int, eg: EgressSpec) -> list[str]:
    """Narrower blocks that together cover every internet address (two halves, or the public ranges
    spelt out) open the whole internet, and without the private ranges excepted that only 0.0.0.0/0
    and ::/0 get: fail closed, whatever the ports."""
    problems = []
    for version, whole in ((4, "0.0.0.0/0"), (6, "::/0")):
        pieces = [(j, ipaddress.ip_network(e.cidr)) for j, e in enumerate(eg.cidrs)]
        pieces = [(j, n) for j, n in pieces if n.version == version and n.prefixlen > 0]
        covered = ipaddress.collapse_addresses([*(n for _, n in pieces), *_NOT_INTERNET[version]])
        if not pieces or [str(n) for n in covered] != [whole]:
            continue
        listed = ", ".join(f"cidrs[{j}]" for j, _ in pieces)
        problems.append(problem(("egress", i, "cidrs"), f"{listed} together open the whole IPv{version} internet; declare "
                                 f"{whole} with allowInternet: true instead (it keeps private and link-local ranges out)"))
    return problems


def listing(names: Iterable[str]) -> str:
    names = sorted(names)
    return "declared: " + ", ".join(names) if names else "it declares no ports"
