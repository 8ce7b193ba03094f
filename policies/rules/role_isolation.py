"""role-isolation: the engine proves that forbidden role pairs have no path on any port.

Why: inference, gateways and notebooks face users and prompts; training holds the raw, most
sensitive data. No flow from the former to the latter may exist on any port or protocol, however
it is opened: a flow policy, a namespaceSelector with matchExpressions, a pod left un-isolated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard import labels
from netguard.analysis import Analyzer
from netguard.ports import PROTOCOLS, PortRange

from . import config, stack_model
from .clusters import each_cluster
from .reporting import Violation, guarded, left_out_message

NAME = "role-isolation"

CONFIG = config.cluster_schema({
    "forbiddenRolePairs": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
            "required": ["from", "to"],
        },
        "default": [{"from": "inference", "to": "training"},
                    {"from": "gateway", "to": "training"},
                    {"from": "notebook", "to": "training"}],
        "description": "Role pairs (netguard.io/role) between which no traffic may flow, in that direction.",
    },
})


def check(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    pairs = [(p.get("from"), p.get("to")) for p in settings["forbiddenRolePairs"]]
    yield from each_cluster(NAME, args, settings, lambda model: _check_cluster(model, pairs, settings))


def _check_cluster(model: stack_model.StackModel, pairs, settings: dict) -> Iterator[Violation]:
    for item in model.left_out:
        if item.unknown and not settings[config.FAIL_ON_UNKNOWN]:
            continue
        yield Violation(left_out_message(item, NAME) + "; role isolation depends on it", item.obj.urn)
    roles = {role for pair in pairs for role in pair}
    if not any(e.labels.get(labels.ROLE) in roles for e in model.cluster.endpoints):
        return
    connected = _connected_on_some_port(model)
    reported: set[tuple[str, str]] = set()
    for source_role, target_role in pairs:
        for violation in _check_pair(model, source_role, target_role, connected):
            key = violation.key
            if key not in reported:
                reported.add(key)
                yield Violation(violation.message, violation.urn)


def _connected_on_some_port(model: stack_model.StackModel) -> set[tuple[str, str]]:
    """Pairs some port connects, found by one whole-matrix run over the policies without ports.

    A pair connects on some port only if it connects when every rule admits every port; the
    exact ports of the few such pairs of forbidden roles are then computed pair by pair. This
    keeps the work linear in the policies' size, however many port entries they list.
    Cluster tiers take ports away (Deny) and hand them on (Pass), so without their ports they
    could hide a pair: with tier policies the matrix runs over the deciding probes instead.
    """
    if model.cluster.tier_policies:
        return {(src, dst) for src, dst, _, _ in model.analyzer.matrix(deciding_probes(model))}
    portless = replace(model.cluster, policies=tuple(
        replace(p, ingress=tuple(replace(r, ports=None) for r in p.ingress),
                egress=tuple(replace(r, ports=None) for r in p.egress))
        for p in model.cluster.policies))
    # The datapath alone: the mesh's port-scoped policies would hide pairs that connect on other ports.
    return {(src, dst) for src, dst, _, _ in Analyzer(portless).matrix([(1, "TCP")], "datapath")}


def deciding_probes(model: stack_model.StackModel) -> list[tuple[int, str]]:
    """Ports that stand for every port: if a pair connects on any port, it connects on one of these.

    What a pair may use is built from port ranges by union, intersection and (for the tiers'
    Deny and Pass) difference: its lowest port is port 1, the first port of a range, or the port
    after a range or after a container port (named ports resolve to those). Probing those, per
    protocol, finds every connected pair with the whole-matrix evaluation.
    """
    firsts = {(1, protocol) for protocol in PROTOCOLS}
    for e in model.cluster.endpoints:
        for p in e.ports:
            firsts |= {(p.port, p.protocol), (min(p.port + 1, 65535), p.protocol)}
    rules = [r for policy in model.cluster.policies for r in (*policy.ingress, *policy.egress)]
    rules += [r for policy in model.cluster.tier_policies for r in (*policy.ingress, *policy.egress)]
    for rule in rules:
        for m in rule.ports or ():
            if isinstance(m, PortRange):
                firsts |= {(m.first, m.protocol), (min(m.last + 1, 65535), m.protocol)}
    return sorted(firsts)


def _with_role(model: stack_model.StackModel, role: str) -> list:
    """One endpoint per group that no policy can tell apart (same namespace, labels, ports, IP)."""
    seen, chosen = set(), []
    for endpoint in model.cluster.endpoints:
        if endpoint.external or endpoint.labels.get(labels.ROLE) != role:
            continue
        signature = (endpoint.namespace, tuple(sorted(endpoint.labels.items())), endpoint.ports, endpoint.ip)
        if signature not in seen:
            seen.add(signature)
            chosen.append(endpoint)
    return chosen


def _check_pair(model: stack_model.StackModel, source_role: str, target_role: str,
                connected: set[tuple[str, str]]) -> Iterator[Violation]:
    targets = _with_role(model, target_role)
    for source in _with_role(model, source_role):
        for target in targets:
            if source.id == target.id or (source.id, target.id) not in connected:
                continue
            open_ports = {protocol: ports for protocol, ports in
                          model.analyzer.allowed_ports(source.id, target.id).items() if not ports.is_empty()}
            if not open_ports:
                continue
            protocol, ports = sorted(open_ports.items())[0]
            port = ports.ranges()[0][0]
            reasons = model.analyzer.explain(source.id, target.id, port, protocol).to_text()
            opened = "; ".join(f"{p} {_ranges(s)}" for p, s in sorted(open_ports.items()))
            yield _Finding(
                f"{source_role} {_name(model, source)} can reach {target_role} {_name(model, target)} ({opened}), "
                f"which {NAME} forbids. Why: {' | '.join(line.strip() for line in reasons.splitlines())}. "
                f"Remove or narrow the rules named above so that no {source_role} pod is admitted",
                model.urn_of(target), (model.describe(source), model.describe(target)))


@dataclass(frozen=True)
class _Finding:
    message: str
    urn: object
    key: tuple[str, str]  # the two objects: witnesses of one workload are reported once


def _name(model: stack_model.StackModel, endpoint) -> str:
    """The object's `namespace/name`, whichever of its witness pods the engine found."""
    return model.describe(endpoint).split(" ", 1)[1]


def _ranges(ports) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports.ranges())


POLICY = StackValidationPolicy(
    name=NAME,
    description="Forbidden role pairs (default: inference, gateway, notebook to training) have no flow.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
