"""Why a pair changed: the rules that grant what is gained (in NEW), and those that granted what is
lost (in OLD) with the NEW policies that now isolate the pair's sides.

The rules are the report's admitting rules (from the Analyzer's per-pair sides) restricted to the
gained or lost ports; nothing is evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..analysis import Analyzer
from ..errors import UnknownEndpointError
from ..tiers.model import DENY
from ..report.model import AdmittingRule, Connection, PortsByProtocol
from .portsets import overlap


@dataclass(frozen=True)
class Cause:
    gained_by: tuple[tuple[str, AdmittingRule], ...] = ()  # (side, rule) in NEW
    lost_from: tuple[tuple[str, AdmittingRule], ...] = ()  # (side, rule) in OLD
    now_isolated_by: tuple[tuple[str, str], ...] = ()  # (side, policy id) in NEW


def cause_of(old: Analyzer, new: Analyzer, pair: tuple[str, str], was: Optional[Connection],
             now: Optional[Connection], gained: PortsByProtocol, lost: PortsByProtocol) -> Cause:
    gained_by = _rules(now, gained) if gained else ()
    lost_from = _rules(was, lost) if lost else ()
    isolated: tuple[tuple[str, str], ...] = ()
    if lost and all(_exists(new, e) for e in pair):
        src, dst = pair
        # Which NEW policies isolate the pair's sides, or deny on them, for the protocols lost
        policies: list[tuple[str, str]] = []
        for protocol in lost:
            for side, verdict in (("egress", new.side("Egress", src, dst, protocol)),
                                  ("ingress", new.side("Ingress", dst, src, protocol))):
                policies.extend((side, p) for p in _denying(verdict) if (side, p) not in policies)
        isolated = tuple(policies)
    return Cause(gained_by, lost_from, isolated)


def _denying(verdict) -> list[str]:
    """The policies that isolate a side (NetworkPolicies selecting it) or deny on it (tier Deny rules)."""
    denying = list(verdict.selecting)
    if verdict.tiers is not None:
        denying += [d.policy.id for d in verdict.tiers.decisions if d.action == DENY and d.policy.id not in denying]
    return denying


def _rules(connection: Optional[Connection], ports: PortsByProtocol) -> tuple[tuple[str, AdmittingRule], ...]:
    if connection is None:
        return ()
    out = []
    for side_name, side in (("egress", connection.egress), ("ingress", connection.ingress)):
        for rule in side.rules:
            used = overlap(rule.ports, ports)
            if used:
                out.append((side_name, AdmittingRule(rule.kind, rule.policy, rule.layer, rule.rule, rule.description, used)))
        by_default = overlap(side.default, ports)
        if by_default:
            out.append((side_name, AdmittingRule("", "", "", 0, "outside the cluster" if side.external
                                                 else "allowed by default: no rule decides", by_default)))
    return tuple(out)


def _exists(analyzer: Analyzer, endpoint_id: str) -> bool:
    try:
        analyzer.cluster.endpoint(endpoint_id)
    except UnknownEndpointError:
        return False
    return True
