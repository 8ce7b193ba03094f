"""trust-tier-guardrails: a lower trust tier reaches a higher one only through declared flows.

Why: `netguard.io/trust-tier` (untrusted < standard < trusted) says how far a namespace's workloads
are trusted; a path from a lower tier into a higher one is how a compromised notebook or gateway
reaches training data. The engine lists every connection the stack allows (NetworkPolicies and
the cluster tiers together); one from a lower-tier namespace into a higher-tier one passes only
when it is a declared flow (on each isolated side, only NetworkPolicies of the `flow` layer admit
it, and no tier rule Accepts it past them) or matches `allowedPairs`. A side left unisolated is
no declaration: whatever reaches it is reported.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard import labels

from . import config, stack_model
from .clusters import each_cluster
from .reporting import Violation, guarded, left_out_message
from .role_isolation import deciding_probes

NAME = "trust-tier-guardrails"

CONFIG = config.cluster_schema({
    "tiers": {
        "type": "array", "items": {"type": "string"}, "default": list(labels.TRUST_TIERS),
        "description": "The trust tiers (namespace label netguard.io/trust-tier), lowest first.",
    },
    "allowedPairs": {
        "type": "array",
        "items": {"type": "object", "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
                  "required": ["from", "to"]},
        "default": [],
        "description": ("Reviewed paths from a lower tier into a higher one: `from`/`to` are "
                        "`namespace/name` patterns (fnmatch) of the endpoints."),
    },
})

_SHOWN = 10


def check(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    yield from each_cluster(NAME, args, settings, lambda model: _check_cluster(model, settings))


def _check_cluster(model: stack_model.StackModel, settings: dict) -> Iterator[Violation]:
    for item in model.left_out:
        if item.unknown and not settings[config.FAIL_ON_UNKNOWN]:
            continue
        yield Violation(left_out_message(item, NAME) + "; the trust tiers' separation depends on it", item.obj.urn)
    ranks = {tier: i for i, tier in enumerate(settings["tiers"])}
    tier_of = {ns: ranks[lbl[labels.TRUST_TIER]] for ns, lbl in model.cluster.namespaces.items()
               if lbl.get(labels.TRUST_TIER) in ranks}
    if len(set(tier_of.values())) < 2:
        return  # one tier or none: nothing to keep apart
    allowed = [(p.get("from", ""), p.get("to", "")) for p in settings["allowedPairs"]]
    found = 0
    for src, dst, port, protocol in model.analyzer.matrix(deciding_probes(model)):
        s_ns, d_ns = src.split("/", 1)[0], dst.split("/", 1)[0]
        if s_ns not in tier_of or d_ns not in tier_of or tier_of[s_ns] >= tier_of[d_ns]:
            continue
        if any(fnmatch.fnmatchcase(src, f) and fnmatch.fnmatchcase(dst, t) for f, t in allowed):
            continue
        explanation = model.analyzer.explain(src, dst, port, protocol)
        if _declared(model, explanation):
            continue
        found += 1
        if found > _SHOWN:
            continue
        why = " | ".join(line.strip() for line in explanation.to_text().splitlines())
        yield Violation(
            f"{model.describe(model.cluster.endpoint(src))} ({_tier(model, s_ns)}) can reach "
            f"{model.describe(model.cluster.endpoint(dst))} ({_tier(model, d_ns)}) on {port}/{protocol}, "
            f"a path from a lower trust tier into a higher one that no declared flow accounts for. Why: {why}. "
            f"Declare the flow in the inventory, close the rules named above, or list the pair in "
            f"{NAME}'s allowedPairs", model.urn_of(model.cluster.endpoint(dst)))
    if found > _SHOWN:
        yield Violation(f"{found - _SHOWN} more undeclared paths from lower trust tiers into higher ones "
                        f"(the first {_SHOWN} are reported)")


def _tier(model: stack_model.StackModel, namespace: str) -> str:
    return f"{namespace}: {model.cluster.namespaces[namespace][labels.TRUST_TIER]}"


def _declared(model: stack_model.StackModel, explanation) -> bool:
    """Both sides are decided by the NetworkPolicy tier, each by flow-layer NetworkPolicies only."""
    for side in (explanation.egress, explanation.ingress):
        if side.tier_allowed is not None and not side.network_policies_decide:
            return False  # a tier rule Accepted it, or nothing isolates the side
        if not side.isolated:
            return False
        for policy_id, _, _ in side.admitting:
            obj = model.object_of("NetworkPolicy", policy_id)
            layer = obj.get("metadata", "labels", default={}) if obj is not None else {}
            if not isinstance(layer, dict) or layer.get(labels.LAYER) != "flow":
                return False
    return True


POLICY = StackValidationPolicy(
    name=NAME,
    description="No path from a lower trust tier into a higher one except the declared flows.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
