"""The tiers over endpoint classes, for the whole matrix: the same order as ``evaluate.py``.

For one probe and direction, every subject class a tier policy selects keeps bitsets of peer
classes: still open in the Admin tier, accepted, settled (accepted or denied). A rule's peers
for the probe are its peer bitset (an ingress rule by named port applies only to subjects that
declare the name with that number; an egress one keeps only such destinations). After the Admin
tier, a NetworkPolicy-isolated subject allows what the Admin tier accepted plus what its
NetworkPolicies admit among the unsettled peers; any other subject allows the accepted peers and
the unsettled ones the Baseline tier does not deny. Loops run over policies, their selected
classes and their rules, never over pairs of endpoints; a rule's numbered ports are merged once,
so that a probe finds its port by bisection rather than by a scan of every entry.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional

from ..bitsets import Universe
from ..classes import iter_bits
from ..model import EGRESS, INGRESS
from ..ports import NamedPort, PortMatcher, PortRange, PortSet
from .compile import CompiledTierPolicy, CompiledTierRule, CompiledTiers, split_by_api
from .evaluate import ACROSS_API_VERSIONS, SAME_PRIORITY, ambiguity
from .model import ACCEPT, DENY, PASS


class _RulePorts:
    """Port entries by protocol: numbered ranges merged into sorted disjoint spans, and names.

    Those of one rule, or of all a policy's rules of one direction (a probe skips the policies
    that cannot match it); ``None`` is every port of every protocol.
    """

    def __init__(self, ports: Optional[Iterable[PortMatcher]]) -> None:
        self.every = ports is None
        ranges: dict[str, list[tuple[int, int]]] = {}
        names: dict[str, dict[str, None]] = {}
        for m in ports or ():
            if isinstance(m, PortRange):
                ranges.setdefault(m.protocol, []).append((m.first, m.last))
            elif isinstance(m, NamedPort):
                names.setdefault(m.protocol, {})[m.name] = None
        self.spans = {protocol: PortSet.of(r).spans for protocol, r in ranges.items()}
        self.starts = {protocol: [lo for lo, _ in spans] for protocol, spans in self.spans.items()}
        self.names = {protocol: tuple(n) for protocol, n in names.items()}

    def admits_number(self, port: int, protocol: str) -> bool:
        spans = self.spans.get(protocol)
        if not spans:
            return False
        i = bisect_right(self.starts[protocol], port) - 1
        return i >= 0 and port <= spans[i][1]

    def may_admit(self, port: int, protocol: str) -> bool:
        """False only when no entry can admit the port (a name might resolve to it)."""
        return self.every or protocol in self.names or self.admits_number(port, protocol)


def _all_ports(rules: Iterable[CompiledTierRule]) -> _RulePorts:
    rules = tuple(rules)
    return _RulePorts(None if any(r.ports is None for r in rules) else [m for r in rules for m in r.ports])


_Rule = tuple[CompiledTierRule, int, _RulePorts]  # a rule, its peer classes, its ports


@dataclass(frozen=True)
class _PolicyBits:
    policy: CompiledTierPolicy
    selected: int
    ingress: tuple[_Rule, ...]
    egress: tuple[_Rule, ...]
    ingress_ports: _RulePorts
    egress_ports: _RulePorts

    def rules(self, direction: str) -> tuple[_Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress

    def may_match(self, direction: str, port: int, protocol: str) -> bool:
        return (self.ingress_ports if direction == INGRESS else self.egress_ports).may_admit(port, protocol)


class TierBits:
    def __init__(self, universe: Universe, tiers: CompiledTiers) -> None:
        self.universe = universe
        self.admin = tuple(tuple(self._bits(p) for p in group) for group in tiers.admin)
        self.baseline = tuple(tuple(self._bits(p) for p in group) for group in tiers.baseline)
        self.admin_by_api = split_by_api(self.admin, lambda p: p.policy.policy)

    def _bits(self, policy: CompiledTierPolicy) -> _PolicyBits:
        u = self.universe

        def rules(direction: str) -> tuple[_Rule, ...]:
            out = []
            for rule in policy.rules(direction):
                peers = 0
                for m in rule.peers:
                    peers |= u.peer_bits(m)
                out.append((rule, peers, _RulePorts(rule.ports)))
            return tuple(out)

        return _PolicyBits(policy, u.peer_bits(policy.subject), rules(INGRESS), rules(EGRESS),
                           _all_ports(policy.ingress), _all_ports(policy.egress))

    def sides(self, direction: str, np_sets: Mapping[int, int], port: int, protocol: str) -> Mapping[int, int]:
        """Subject class -> the peer classes its side allows, for every class a tier or NetworkPolicy constrains.

        ``np_sets``: the NetworkPolicy tier's sets for the same probe (isolated subjects only).
        """
        everyone = self.universe.everyone
        if self.admin_by_api:
            self._check_one_order(direction, port, protocol)
        admin_open: dict[int, int] = {}
        accepted: dict[int, int] = {}
        settled: dict[int, int] = {}
        for group in self.admin:
            self._group(group, direction, port, protocol, admin_open, lambda s: everyone, accepted, settled)
        baseline_open: dict[int, int] = {}
        baseline_denied: dict[int, int] = {}

        def unsettled(s: int) -> int:
            return everyone & ~settled.get(s, 0) if s not in np_sets else 0

        for group in self.baseline:
            self._group(group, direction, port, protocol, baseline_open, unsettled, {}, {}, baseline_denied)
        result: dict[int, int] = {}
        for s in set(admin_open) | set(np_sets) | set(baseline_open):
            free = everyone & ~settled.get(s, 0)
            if s in np_sets:
                result[s] = accepted.get(s, 0) | (np_sets[s] & free)
            else:
                result[s] = accepted.get(s, 0) | (free & ~baseline_denied.get(s, 0))
        return result

    def _check_one_order(self, direction: str, port: int, protocol: str) -> None:
        """Each API's Admin policies alone (no API orders the two): their first decisions must agree."""
        everyone = self.universe.everyone
        by_action = []
        for groups in self.admin_by_api:
            open_peers: dict[int, int] = {}
            accepted: dict[int, int] = {}
            settled: dict[int, int] = {}
            denied: dict[int, int] = {}
            for group in groups:
                self._group(group, direction, port, protocol, open_peers, lambda s: everyone, accepted, settled, denied)
            by_action.append({s: {ACCEPT: accepted.get(s, 0), DENY: denied.get(s, 0),
                                  PASS: everyone & ~still & ~settled.get(s, 0)} for s, still in open_peers.items()})
        old, new = by_action
        for s in set(old) & set(new):
            for action_a, bits_a in old[s].items():
                for action_b, bits_b in new[s].items():
                    clash = bits_a & bits_b
                    if action_a != action_b and clash:
                        pa, pb = (self._decider(g, direction, port, protocol, s, clash) for g in self.admin_by_api)
                        raise self._ambiguity(pa, action_a, pb, action_b, direction, s, clash, port, protocol,
                                              ACROSS_API_VERSIONS)

    def _decider(self, groups, direction: str, port: int, protocol: str, s: int, clash: int) -> _PolicyBits:
        """The first policy of ``groups`` whose rule decides the lowest class of ``clash`` for subject ``s``."""
        peer_class = (clash & -clash).bit_length() - 1
        for group in groups:
            for p in group:
                probes = self._probes(p, direction, port, protocol) if p.selected >> s & 1 else ()
                if any(peers >> peer_class & 1 and subjects >> s & 1 for _, peers, subjects in probes):
                    return p
        raise AssertionError("a decided class has a deciding policy")

    def _group(
        self,
        group: tuple[_PolicyBits, ...],
        direction: str,
        port: int,
        protocol: str,
        open_peers: dict[int, int],
        initially_open: Callable[[int], int],
        accepted: dict[int, int],
        settled: dict[int, int],
        denied: Optional[dict[int, int]] = None,
    ) -> None:
        found = [(p, self._policy(p, direction, port, protocol, open_peers, initially_open))
                 for p in group if p.may_match(direction, port, protocol)]
        if len(found) > 1:
            self._check_unambiguous(found, direction, port, protocol)
        for _, decided in found:
            for s, by_action in decided.items():
                for action, bits in by_action.items():
                    open_peers[s] = open_peers.get(s, initially_open(s)) & ~bits
                    if action == ACCEPT:
                        accepted[s] = accepted.get(s, 0) | bits
                    if action != PASS:
                        settled[s] = settled.get(s, 0) | bits
                    if action == DENY and denied is not None:
                        denied[s] = denied.get(s, 0) | bits

    def _policy(
        self, p: _PolicyBits, direction: str, port: int, protocol: str,
        open_peers: Mapping[int, int], initially_open: Callable[[int], int],
    ) -> dict[int, dict[str, int]]:
        """Subject class -> action -> the open peer classes the policy's first matching rules take."""
        probe = self._probes(p, direction, port, protocol)
        decided: dict[int, dict[str, int]] = {}
        if not probe:
            return decided
        for s in iter_bits(p.selected):
            still = open_peers.get(s)
            still = initially_open(s) if still is None else still
            got: dict[str, int] = {}
            for action, peers, subjects in probe:
                if not still:
                    break
                hit = peers & still if subjects >> s & 1 else 0
                if hit:
                    got[action] = got.get(action, 0) | hit
                    still &= ~hit
            if got:
                decided[s] = got
        return decided

    def _probes(self, p: _PolicyBits, direction: str, port: int, protocol: str) -> list:
        """The policy's rules that can match the probe, in order, as ``_probe`` gives them."""
        probes = (self._probe(rule, peers, ports, direction, port, protocol)
                  for rule, peers, ports in p.rules(direction))
        return [probe for probe in probes if probe]

    def _probe(self, rule: CompiledTierRule, peers: int, ports: _RulePorts, direction: str, port: int, protocol: str):
        """(action, peer classes, subject classes) of a rule for one probe, or None when it cannot match."""
        everyone = self.universe.everyone
        if ports.every or ports.admits_number(port, protocol):
            return (rule.action, peers, everyone) if peers else None
        named = 0  # classes on which one of the rule's port names resolves to port/protocol
        for name in ports.names.get(protocol, ()):
            named |= self.universe.named_bits(name, protocol, port)
        if not named or not peers:
            return None
        return (rule.action, peers, named) if direction == INGRESS else (rule.action, peers & named, everyone)

    def _check_unambiguous(self, found, direction: str, port: int, protocol: str) -> None:
        """Only subjects that two policies of the group decide for can clash (disjoint subjects are common)."""
        by_subject: dict[int, list] = {}
        for p, decided in found:
            for s, by_action in decided.items():
                by_subject.setdefault(s, []).append((p, by_action))
        for s, deciders in by_subject.items():
            for i, (pa, da) in enumerate(deciders):
                for pb, db in deciders[i + 1:]:
                    for action_a, bits_a in da.items():
                        for action_b, bits_b in db.items():
                            clash = bits_a & bits_b
                            if action_a != action_b and clash:
                                raise self._ambiguity(pa, action_a, pb, action_b, direction, s, clash, port, protocol)

    def _ambiguity(self, pa, action_a, pb, action_b, direction, s, clash, port, protocol, why=SAME_PRIORITY):
        classes = self.universe.classes
        peer_class = (clash & -clash).bit_length() - 1
        subject, peer = classes.representative(s), classes.representative(peer_class)

        def rule_of(p: _PolicyBits, action: str) -> CompiledTierRule:
            return next(
                r for r, bits, _ in p.rules(direction) if r.action == action and bits >> peer_class & 1
            )

        return ambiguity(
            (pa.policy, rule_of(pa, action_a)), (pb.policy, rule_of(pb, action_b)),
            direction, subject, peer, f"{PortSet.of([(port, port)]).describe()}/{protocol}", why,
        )
