"""Cilium's deny rules: they take ports away from whatever the NetworkPolicy tier allows.

Per pair (``denials``): the deny rules of the specs selecting the subject whose peers match the
other end, with the ports they deny. Over the classes (``apply_denies``): the same as bitsets;
a denied subject class becomes constrained (present in the side's map) even when no policy
isolates it, so that the deny holds. Named ports resolve on the destination, as for allows.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ..bitsets import _named_destinations, _number_admits
from ..classes import iter_bits
from ..evaluate import Admission, rule_admissions
from ..model import INGRESS, Cluster, Endpoint
from .model import CiliumPolicy


def denials(
    cluster: Cluster, policies: Sequence[CiliumPolicy], direction: str, subject: Endpoint, peer: Endpoint, protocol: str
) -> tuple[Admission, ...]:
    if subject.external:
        return ()
    destination = subject if direction == INGRESS else peer
    subject_ns, peer_ns = cluster.namespace_labels(subject), cluster.namespace_labels(peer)
    out = []
    for policy in policies:
        rules = policy.denies(direction)
        if not rules or not policy.target.matches(subject, subject_ns):
            continue
        out.extend(rule_admissions(policy.id, rules, peer, peer_ns, protocol, destination))
    return tuple(out)


def apply_denies(
    universe, policies: Sequence[CiliumPolicy], direction: str, sides: Mapping[int, int], port: int, protocol: str
) -> Mapping[int, int]:
    """``sides`` (subject class -> allowed peer classes) with every Cilium deny taken out."""
    out = dict(sides)
    everyone = universe.everyone
    for policy in policies:
        rules = policy.denies(direction)
        if not rules:
            continue
        selected = universe.peer_bits(policy.target)
        if not selected:
            continue
        for rule in rules:
            peers = universe.cached(("cilium-deny", rule), lambda: _peer_bits(universe, rule))
            if _number_admits(rule, port, protocol):
                subjects, denied = selected, peers
            elif rule.ports is None:
                continue
            elif direction == INGRESS:  # the subject is the destination: its own port names
                subjects, denied = selected & _named_destinations(universe, rule, port, protocol), peers
            else:
                subjects, denied = selected, peers & _named_destinations(universe, rule, port, protocol)
            if not denied:
                continue
            for s in iter_bits(subjects):
                out[s] = out.get(s, everyone) & ~denied
    return out


def _peer_bits(universe, rule) -> int:
    bits = 0
    for peer in rule.peers:
        bits |= universe.peer_bits(peer)
    return bits
