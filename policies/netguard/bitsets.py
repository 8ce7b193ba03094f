"""The whole matrix by set operations: bitsets (Python ints) over endpoint classes.

For every policy, the bitset of classes it selects; for every rule, the bitset of classes its
peers admit. For one probe (port, protocol) the ingress side of each isolated destination class is
the union of the admitting rules' peer bitsets, and the egress side of each isolated source class
the union of the admitting rules' destination bitsets (named ports are resolved on the
destination, so an egress rule with named ports keeps only the destinations that declare the name
with that number). A pair flows when the source is in the destination's ingress set and the
destination in the source's egress set; non-isolated sides admit everyone. Loops run over
policies and their selected classes, never over all pairs of endpoints.

It must answer exactly as ``evaluate.py`` does; the tests check the two against each other and
against a plain reference evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Optional

from .classes import EndpointClasses, iter_bits
from .compile import CompiledPolicy, CompiledRule
from .model import EGRESS, INGRESS, Cluster
from .peers import AllPods, AnyNamePeer, AnyPeer, DomainPeer, IPBlockPeer, NodesPeer, OwnNamespace, PeerMatcher, PodPeer
from .ports import NamedPort, PortRange
from .selectors import LabelIndex, LabelSelector

if TYPE_CHECKING:
    from .tiers.bitsets import TierBits


@dataclass(frozen=True)
class RuleBits:
    rule: CompiledRule
    peers: int


@dataclass(frozen=True)
class PolicyBits:
    policy: CompiledPolicy
    selected: int
    ingress: Optional[tuple[RuleBits, ...]]
    egress: Optional[tuple[RuleBits, ...]]


class Universe:
    """Bitsets over the classes of one cluster. Immutable after construction; caches are private."""

    def __init__(self, cluster: Cluster, classes: EndpointClasses) -> None:
        self.classes = classes
        count = len(classes)
        self.everyone = (1 << count) - 1
        pods = [(n, classes.representative(n)) for n in range(count)]
        self._domains = tuple((n, e) for n, e in pods if e.domain is not None)
        pods = [(n, e) for n, e in pods if not e.external]
        self._pod_index = LabelIndex.build((n, e.labels) for n, e in pods)
        self._namespace_index = LabelIndex.build((n, cluster.namespace_labels(e)) for n, e in pods)
        own: dict[str, int] = {}
        named: dict[tuple[str, str, int], int] = {}
        for n, e in pods:
            own[e.namespace] = own.get(e.namespace, 0) | (1 << n)
            for p in e.ports:
                if p.name:
                    key = (p.name, p.protocol, p.port)
                    named[key] = named.get(key, 0) | (1 << n)
        self._own = own
        self._named = named
        self.cluster = cluster
        self.pods = tuple(pods)  # (class number, representative) of the classes of pods
        self._extensions: dict[object, object] = {}
        self._selector_cache: dict[tuple[str, LabelSelector], int] = {}
        self._ip_cache: dict[object, int] = {}

    # --- matchers -> bitsets -------------------------------------------------------------
    def peer_bits(self, peer: PeerMatcher) -> int:
        if isinstance(peer, AnyPeer):
            return self.everyone
        if isinstance(peer, IPBlockPeer):
            return self._ip_bits(peer)
        if isinstance(peer, NodesPeer):
            return 0
        if isinstance(peer, DomainPeer):
            return sum(1 << n for n, e in self._domains if peer.matches(e, {}))
        if isinstance(peer, AnyNamePeer):
            return sum(1 << n for n, _ in self._domains)
        if hasattr(peer, "bits"):  # matchers of other enforcement points (cilium/) compute their own
            return peer.bits(self)
        return self._namespace_bits(peer) & self._pod_bits(peer)

    def _namespace_bits(self, peer: PodPeer) -> int:
        if isinstance(peer.namespaces, OwnNamespace):
            return self._own.get(peer.namespaces.namespace, 0)
        return self._select("namespace", peer.namespaces.selector, self._namespace_index)

    def _pod_bits(self, peer: PodPeer) -> int:
        if isinstance(peer.pods, AllPods):
            return self._pod_index.everyone
        return self._select("pod", peer.pods.selector, self._pod_index)

    def _select(self, kind: str, selector: LabelSelector, index: LabelIndex) -> int:
        key = (kind, selector)
        if key not in self._selector_cache:
            self._selector_cache[key] = selector.select(index)
        return self._selector_cache[key]

    def _ip_bits(self, peer: IPBlockPeer) -> int:
        if peer.block not in self._ip_cache:
            version, spans = peer.block.intervals()
            bits = 0
            for lo, hi in spans:
                bits |= self.classes.ip_range_bits(version, lo, hi)
            self._ip_cache[peer.block] = bits
        return self._ip_cache[peer.block]

    def cached(self, key: object, compute):
        """A value other enforcement points' matchers derive from the classes, computed once."""
        if key not in self._extensions:
            self._extensions[key] = compute()
        return self._extensions[key]

    def namespace_bits(self, namespace: str) -> int:
        """The classes of pods in ``namespace``."""
        return self._own.get(namespace, 0)

    def ip_block_bits(self, block) -> int:
        return self._ip_bits(IPBlockPeer(block))

    def named_bits(self, name: str, protocol: str, port: int) -> int:
        return self._named.get((name, protocol, port), 0)

    # --- policies ------------------------------------------------------------------------
    def policy_bits(self, policy: CompiledPolicy) -> PolicyBits:
        return PolicyBits(
            policy,
            self.peer_bits(policy.target),
            self._rules_bits(policy.ingress),
            self._rules_bits(policy.egress),
        )

    def _rules_bits(self, rules: Optional[tuple[CompiledRule, ...]]) -> Optional[tuple[RuleBits, ...]]:
        if rules is None:
            return None
        out = []
        for rule in rules:
            bits = 0
            for peer in rule.peers:
                bits |= self.peer_bits(peer)
            out.append(RuleBits(rule, bits))
        return tuple(out)


def _number_admits(rule: CompiledRule, port: int, protocol: str) -> bool:
    if rule.ports is None:
        return True
    return any(
        isinstance(m, PortRange) and m.protocol == protocol and m.first <= port <= m.last
        for m in rule.ports
    )


def _named_destinations(universe: Universe, rule: CompiledRule, port: int, protocol: str) -> int:
    """Classes on which one of the rule's named ports resolves to ``port``/``protocol``."""
    bits = 0
    for m in rule.ports or ():
        if isinstance(m, NamedPort) and m.protocol == protocol:
            bits |= universe.named_bits(m.name, protocol, port)
    return bits


def ingress_sets(universe: Universe, policies: tuple[PolicyBits, ...], port: int, protocol: str) -> Mapping[int, int]:
    """Isolated destination class -> bitset of source classes its ingress side admits."""
    admitted: dict[int, int] = {}
    isolated, additive = 0, False
    for p in policies:
        if p.ingress is None or not p.selected:
            continue
        if p.policy.isolates(INGRESS):
            isolated |= p.selected
        else:
            additive = True
        base = 0
        named: list[RuleBits] = []
        for r in p.ingress:
            if _number_admits(r.rule, port, protocol):
                base |= r.peers
            elif r.rule.ports is not None:
                named.append(r)
        for d in iter_bits(p.selected):
            admitted[d] = admitted.get(d, 0) | base
        for r in named:
            for d in iter_bits(p.selected & _named_destinations(universe, r.rule, port, protocol)):
                admitted[d] |= r.peers
    return _isolated_only(admitted, isolated) if additive else admitted


def _isolated_only(admitted: dict[int, int], isolated: int) -> dict[int, int]:
    """Rules of a policy that does not isolate (Cilium enableDefaultDeny false) add to isolated sides only."""
    return {s: bits for s, bits in admitted.items() if isolated >> s & 1}


def egress_sets(universe: Universe, policies: tuple[PolicyBits, ...], port: int, protocol: str) -> Mapping[int, int]:
    """Isolated source class -> bitset of destination classes its egress side admits."""
    admitted: dict[int, int] = {}
    isolated, additive = 0, False
    for p in policies:
        if p.egress is None or not p.selected:
            continue
        if p.policy.isolates(EGRESS):
            isolated |= p.selected
        else:
            additive = True
        reach = 0
        for r in p.egress:
            if _number_admits(r.rule, port, protocol):
                reach |= r.peers
            elif r.rule.ports is not None:
                reach |= r.peers & _named_destinations(universe, r.rule, port, protocol)
        for s in iter_bits(p.selected):
            admitted[s] = admitted.get(s, 0) | reach
    return _isolated_only(admitted, isolated) if additive else admitted


def flows(
    universe: Universe, policies: tuple[PolicyBits, ...], port: int, protocol: str, tiers: Optional["TierBits"] = None,
    denies=None,
) -> Mapping[int, int]:
    """Destination class -> bitset of source classes that may reach it on port/protocol.

    ``tiers``: the cluster tiers (tiers/bitsets.py), which wrap the NetworkPolicy sides.
    """
    ingress = ingress_sets(universe, policies, port, protocol)
    egress = egress_sets(universe, policies, port, protocol)
    if denies is not None:  # Cilium's deny rules, in the NetworkPolicy tier
        ingress = denies(INGRESS, ingress, port, protocol)
        egress = denies(EGRESS, egress, port, protocol)
    if tiers is not None:
        ingress = tiers.sides(INGRESS, ingress, port, protocol)
        egress = tiers.sides(EGRESS, egress, port, protocol)
    isolated_sources = 0
    for s in egress:
        isolated_sources |= 1 << s
    free_sources = universe.everyone & ~isolated_sources
    reverse = _reverse_egress(universe, ingress, egress, isolated_sources)
    result: dict[int, int] = {}
    for d in range(len(universe.classes)):
        sources = ingress.get(d, universe.everyone) & (free_sources | reverse.get(d, 0))
        if sources:
            result[d] = sources
    return result


def _reverse_egress(
    universe: Universe, ingress: Mapping[int, int], egress: Mapping[int, int], isolated_sources: int
) -> Mapping[int, int]:
    """Destination class -> the egress-isolated source classes whose egress admits it.

    Only sources the destination's ingress admits matter, so of two ways the cheaper is taken:
    transpose every egress set (cost: their sizes), or test each such candidate source's egress
    set for the destination (cost: the candidates' count).
    """
    candidates = {
        d: ingress.get(d, universe.everyone) & isolated_sources for d in range(len(universe.classes))
    }
    by_candidates = sum(c.bit_count() for c in candidates.values())
    by_transpose = sum(bits.bit_count() for bits in egress.values())
    reverse: dict[int, int] = {}
    if by_transpose < by_candidates:
        for s, bits in egress.items():
            for d in iter_bits(bits):
                reverse[d] = reverse.get(d, 0) | (1 << s)
        return reverse
    for d, cand in candidates.items():
        hits = 0
        for s in iter_bits(cand):
            if egress[s] >> d & 1:
                hits |= 1 << s
        if hits:
            reverse[d] = hits
    return reverse
