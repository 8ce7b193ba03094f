"""What the tiers decided for one side and one port, phrased for a reviewer.

"ClusterNetworkPolicy deny-restricted (Admin, priority 40) rule 1 'deny-untrusted' denies ..."
names the tier decision; "passed to NetworkPolicies by ..." a Pass; a nodes peer the engine
cannot evaluate is said, never silently treated as matching nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..evaluate import SideVerdict
from .compile import VERBS
from .evaluate import TierDecision
from .model import ACCEPT, ADMIN


@dataclass(frozen=True)
class TierExplanation:
    allowed: bool
    network_policies_decide: bool
    lines: tuple[str, ...]
    decisions: tuple[tuple[str, int, str, str], ...]  # (policy id, rule index, rule name, action)


def explain_tiers(verdict: SideVerdict, port: int) -> TierExplanation:
    tiered = verdict.tiers
    assert tiered is not None
    on = f"{port}/{verdict.protocol}"
    word = verdict.direction.lower()
    lines: list[str] = []
    used: list[TierDecision] = []
    decided = tiered.decision(port)
    passed = tiered.passed_by(port)
    if passed is not None and (decided is None or decided.policy.policy.tier != ADMIN):
        used.append(passed)
        lines.append(f"  passed to NetworkPolicies by {_rule(passed)} ({word} rule: {passed.rule.describe()})")
    np_decide = decided is None and tiered.np_isolated
    if decided is not None:
        used.append(decided)
        lines.append(
            f"  {decided.policy.label} selects {verdict.endpoint_id}; {decided.rule.title} "
            f"{VERBS[decided.action]} {verdict.peer_id} on {on} ({word} rule: {decided.rule.describe()})"
        )
        allowed = decided.action == ACCEPT
    elif np_decide:
        allowed = port in tiered.ports
    else:
        tiers = "no Baseline rule" if passed is not None else "no Admin or Baseline rule"
        lines.append(
            f"  no NetworkPolicy selects {verdict.endpoint_id} for {verdict.direction} and {tiers} "
            f"matches {verdict.peer_id} on {on}: allowed (the API's default)"
        )
        allowed = True
    for policy, rule in tiered.unmodelled:
        lines.append(
            f"  note: {policy.label} {rule.title} has a nodes peer the engine cannot evaluate "
            f"(no node model); it is counted as matching nothing ({word} rule: {rule.describe()})"
        )
    decisions = tuple((d.policy.id, d.rule.origin.index, d.rule.name, d.action) for d in used)
    return TierExplanation(allowed, np_decide, tuple(lines), decisions)


def _rule(d: TierDecision) -> str:
    return f"{d.policy.label} {d.rule.title}"
