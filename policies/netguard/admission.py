"""Which rules admit a connection on one side, over every enforcement point the side went through.

A side's verdict (``evaluate.SideVerdict``) keeps each point's reasons in its own shape; views need
one list: ``admissions(verdict, ports)`` gives the ``Admission``s (kind, policy, layer, tier, rule,
ports) that let ``ports`` through, in evaluation order: the Admin tier's Accept rules, then the
NetworkPolicy rules for the ports the Admin tier left to them, then the Baseline tier's Accept
rules when no NetworkPolicy isolates the side. Ports no rule admits are allowed by the API's
default (a side nothing isolates). A new enforcement point adds its admissions here.
"""

from __future__ import annotations

from typing import Sequence

from .evaluate import Admission, SideVerdict
from .mesh.model import ALLOW
from .ports import PortSet
from .tiers.model import ACCEPT, ADMIN


def admissions(verdict: SideVerdict, ports: PortSet) -> tuple[Admission, ...]:
    """The rules that admit ``ports`` (a subset of what the side allows), each with the ports it admits."""
    out: list[Admission] = []
    network_policy_ports = ports
    tiers = verdict.tiers
    if tiers is not None:
        for d in tiers.decisions:
            tier = d.policy.policy.tier
            if d.action != ACCEPT or (tier != ADMIN and tiers.np_isolated):
                continue  # a Baseline rule decides only where no NetworkPolicy isolates the side
            used = d.ports & ports
            if not used.is_empty():
                out.append(Admission(d.policy.id, d.rule.origin.index, d.rule.describe(), used,
                                     kind=d.policy.policy.kind, tier=tier))
        network_policy_ports = ports & tiers.to_network_policies if tiers.np_isolated else PortSet()
    for a in verdict.admitting:
        used = a.ports & network_policy_ports
        if not used.is_empty():
            out.append(Admission(a.policy_id, a.rule_index, a.description, used, kind=a.kind, layer=a.layer, tier=a.tier))
    return tuple(out)


def mesh_admissions(analyzer, source: str, destination: str, protocol: str, ports: PortSet,
                    intervals: Sequence[tuple[str, int, int]]) -> tuple[bool, tuple[Admission, ...]]:
    """Whether the mesh applies to the destination, and the AuthorizationPolicy ALLOW rules that admit ``ports``.

    The mesh decides per port; inside one of ``intervals`` (connectivity.port_intervals) no policy
    tells ports apart, so it is asked once per interval.
    """
    applies = False
    found: dict[tuple[str, int], Admission] = {}
    for interval_protocol, first, last in intervals:
        if interval_protocol != protocol:
            continue
        used = ports & PortSet(((first, last),))
        if used.is_empty():
            continue
        verdict = analyzer.mesh_verdict(source, destination, used.min(), protocol)
        applies = applies or verdict.applies
        for d in verdict.decided_by:
            if d.action != ALLOW:
                continue
            key = (d.policy_id, d.rule_index)
            before = found.get(key)
            found[key] = Admission(d.policy_id, d.rule_index, d.description,
                                   used | before.ports if before else used, kind="AuthorizationPolicy", layer="mesh")
    return applies, tuple(found.values())
