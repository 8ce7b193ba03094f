"""role-isolation: the engine proves that forbidden role pairs have no path on any port.

Why: inference, gateways and notebooks face users and prompts; training holds the raw, most
sensitive data. No flow from the former to the latter may exist on any port or protocol, however
it is opened: a flow policy, a namespaceSelector with matchExpressions, a pod left un-isolated.
"""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard import labels
from netguard.ports import PROTOCOLS, PortRange

from . import config, stack_model
from .inputs import stack_objects
from .reporting import Violation, guarded, unknown_message

NAME = "role-isolation"

CONFIG = config.schema({
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
    model = stack_model.build(stack_objects(args))
    if settings[config.FAIL_ON_UNKNOWN]:
        for item in model.left_out:
            if item.unknown:
                yield Violation(unknown_message(item.obj.ref, [item.reason]) +
                                "; role isolation depends on it", item.obj.urn)
    connected = {(src, dst) for src, dst, _, _ in model.analyzer.matrix(deciding_probes(model))}
    for source_role, target_role in pairs:
        yield from _check_pair(model, source_role, target_role, connected)


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


def deciding_probes(model: stack_model.StackModel) -> list[tuple[int, str]]:
    """Ports that stand for every port: if a pair connects on any port, it connects on one of these.

    What a pair may use is an intersection of unions of port ranges (rule ranges, named ports
    resolved to container ports, or all ports from 1). The lowest port of a non-empty intersection
    is the lowest port of one of those ranges, so probing each range's first port, each declared
    container port and port 1, per protocol, finds every connected pair with the engine's fast
    whole-matrix evaluation instead of one evaluation per pair and port.
    """
    firsts = {(1, protocol) for protocol in PROTOCOLS}
    firsts |= {(p.port, p.protocol) for e in model.cluster.endpoints for p in e.ports}
    for policy in model.cluster.policies:
        for rule in (*policy.ingress, *policy.egress):
            firsts |= {(m.first, m.protocol) for m in rule.ports or () if isinstance(m, PortRange)}
    return sorted(firsts)


def _check_pair(model: stack_model.StackModel, source_role: str, target_role: str,
                connected: set[tuple[str, str]]) -> Iterator[Violation]:
    targets = _with_role(model, target_role)  # once, not once per source: linear in the endpoints
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
            yield Violation(
                f"{source_role} {source.id} can reach {target_role} {target.id} ({opened}), "
                f"which {NAME} forbids. Why: {' | '.join(line.strip() for line in reasons.splitlines())}. "
                f"Remove or narrow the rules named above so that no {source_role} pod is admitted",
                model.urn_of(target))


def _ranges(ports) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports.ranges())


POLICY = StackValidationPolicy(
    name=NAME,
    description="Forbidden role pairs (default: inference, gateway, notebook to training) have no flow.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
