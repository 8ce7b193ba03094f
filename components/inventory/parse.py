"""Parsing the `netguard:platform` value: every entry validated alone, then the cross-entry checks.

Both report into one list, so a bad inventory fails once with every problem and its path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

from pydantic import ValidationError

from .errors import CONFIG_KEY, InventoryError, problem, shown
from .cni import check_cni
from .fields import dns_label, workload_name
from .messages import messages, validate_each
from .references import (
    Broken, WorkloadFacts, check_broken_egress, check_broken_flow, check_references, check_workload_facts,
)
from .schema import (
    DnsSettings, Document, EgressSpec, FlowSpec, Inventory, NamespaceSpec, PlatformSettings, WorkloadSpec,
)


def decode_config(text: Optional[str]) -> Any:
    """The `netguard:platform` config value as Pulumi passes it (JSON text), decoded.

    Text that is not JSON (a bare word in the stack file) stays a string, so `parse_inventory`
    reports it like any other wrong shape; an empty value (`netguard:platform: null`) is absent.
    """
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_inventory(raw: Any) -> Inventory:
    """Validate the raw `netguard:platform` value; raise one InventoryError listing every problem."""
    if raw is None:
        raise InventoryError([f"{CONFIG_KEY}: is required (set it in Pulumi.<stack>.yaml)"])
    problems: list[str] = []
    try:
        doc = Document.model_validate(raw)
    except ValidationError as err:
        problems.extend(messages(err, ()))
        doc = _salvage(raw)
    if raw.get("namespaces", []) == []:
        # An inventory that declares nothing is a mistake (a misplaced or misspelt section), not a platform.
        problems.append(problem(("namespaces",), "declare at least one namespace"))
    namespaces = validate_each(NamespaceSpec, "namespaces", doc.namespaces, problems)
    failed_workloads: dict[int, set[tuple[Any, ...]]] = {}
    workloads = validate_each(WorkloadSpec, "workloads", doc.workloads, problems, failed_workloads)
    failed_flows: dict[int, set[tuple[Any, ...]]] = {}
    flows = validate_each(FlowSpec, "flows", doc.flows, problems, failed_flows)
    failed_egress: dict[int, set[tuple[Any, ...]]] = {}
    egress = validate_each(EgressSpec, "egress", doc.egress, problems, failed_egress)
    # References to entries that failed on their own are not reported again.
    broken = _names_of_broken(raw, doc, namespaces, workloads)
    problems.extend(check_references(_platform_namespaces(raw), namespaces, workloads, flows, egress, broken))
    # An entry with a bad field still gets the checks of its other fields.
    ns_names = {n.name for _, n in namespaces}
    for index, locs in failed_workloads.items():
        if isinstance(doc.workloads[index], Mapping):
            facts = WorkloadFacts.salvaged(doc.workloads[index], locs)
            problems.extend(check_workload_facts(index, facts, ns_names, broken))
    by_key: dict[str, WorkloadSpec] = {}
    for _, w in workloads:
        by_key.setdefault(f"{w.namespace}/{w.name}", w)
    for index in failed_flows:
        if isinstance(doc.flows[index], Mapping):
            problems.extend(check_broken_flow(index, doc.flows[index], by_key, broken))
    for index in failed_egress:
        if isinstance(doc.egress[index], Mapping):
            problems.extend(check_broken_egress(index, doc.egress[index], by_key, broken))
    platform = _valid_platform(raw)
    if platform is not None:  # a broken platform section is reported already, never guessed at
        problems.extend(check_cni(platform, egress))
    if problems:
        raise InventoryError(problems)
    return Inventory(
        part_of=doc.part_of,
        platform=doc.platform,
        namespaces=tuple(n for _, n in namespaces),
        workloads=tuple(w for _, w in workloads),
        flows=tuple(f for _, f in flows),
        egress=tuple(e for _, e in egress),
    )


def _valid_platform(raw: Any) -> PlatformSettings | None:
    try:
        return PlatformSettings.model_validate(raw.get("platform", {}) if isinstance(raw, Mapping) else {})
    except ValidationError:
        return None


def _salvage(raw: Any) -> Document:
    """The sections that are at least lists, so their entries are still checked and reported."""
    if not isinstance(raw, Mapping):
        got = f"the string {shown(raw)}" if isinstance(raw, str) else type(raw).__name__
        raise InventoryError([problem((), f"must be a mapping with namespaces, workloads, flows and egress (got {got})")])
    sections = {key: raw[key] for key in ("namespaces", "workloads", "flows", "egress") if isinstance(raw.get(key), list)}
    return Document.model_construct(**sections)


def _known(value: Any, check) -> str:
    """A broken entry's name when it is a valid one; "*" when the name itself is what broke."""
    try:
        return check(value) if isinstance(value, str) else "*"
    except ValueError:
        return "*"


def _names_of_broken(raw: Mapping[str, Any], doc: Document, namespaces, workloads) -> Broken:
    valid_ns = {i for i, _ in namespaces}
    valid_wl = {i for i, _ in workloads}
    broken_ns = {"*"} if not isinstance(raw.get("namespaces", []), list) else set()
    broken_wl = {("*", "*")} if not isinstance(raw.get("workloads", []), list) else set()
    # An entry that is not a mapping (a stray "-") declares nothing, so it stands for nothing.
    for i, n in enumerate(doc.namespaces):
        if i not in valid_ns and isinstance(n, Mapping):
            broken_ns.add(_known(n.get("name"), dns_label))
    for i, w in enumerate(doc.workloads):
        if i not in valid_wl and isinstance(w, Mapping):
            broken_wl.add((_known(w.get("namespace"), dns_label), _known(w.get("name"), workload_name)))
    return Broken(frozenset(broken_ns), frozenset(broken_wl))


def _platform_namespaces(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The DNS and monitoring namespaces as written, so they are checked even when another platform
    setting is broken (and the validated settings are not at hand)."""
    platform = raw.get("platform")
    platform = platform if isinstance(platform, Mapping) else {}
    dns = platform.get("dns")
    dns = dns if isinstance(dns, Mapping) else {}
    return {("platform", "dns", "namespace"): dns.get("namespace", DnsSettings().namespace),
            ("platform", "monitoringNamespace"): platform.get("monitoringNamespace")}
