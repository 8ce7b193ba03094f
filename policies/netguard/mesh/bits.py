"""The mesh's verdicts for the whole matrix: bitsets over the same endpoint classes as the datapath.

For one TCP port, every meshed destination class gets the bitset of source classes the mesh
admits: the sources its mTLS mode accepts (STRICT: meshed ones only), minus those a CUSTOM or
DENY rule matches, intersected with those an ALLOW rule matches when an ALLOW policy selects it.
A rule's source part is computed once as two bitsets: matching sources that present their
identity (meshed, mutual TLS) and matching sources in plaintext; a destination port in DISABLE
(sidecar) sees everyone in plaintext. Loops run over policies and the classes they select, never
over pairs. A port a destination's proxy does not take in (capture.py) admits everyone. It must
answer exactly as ``evaluate.py`` does; the tests check that.
"""

from __future__ import annotations

from typing import Mapping

from ..classes import EndpointClasses, iter_bits
from ..model import Cluster
from .evaluate import MeshIndex, enforced
from .membership import AMBIENT, SIDECAR, principal
from .model import (
    ALLOW, CUSTOM, DENY, DISABLE, IDENTITY_ATTRIBUTES, NAMESPACE, PORT, PRINCIPAL, SERVICE_ACCOUNT,
    SOURCE_IP, STRICT, TRUST_DOMAIN, TRUST_DOMAIN_ATTR, AuthorizationPolicy, Check, MeshRule,
)
from .rules import ALLOW_READING, DENY_READING, Connection, check_matches
from .strings import IstioString

Pair = tuple[int, int]  # (sources matching with their identity, sources matching in plaintext)


class MeshBits:
    def __init__(self, cluster: Cluster, classes: EndpointClasses, index: MeshIndex) -> None:
        self.classes = classes
        count = len(classes)
        self.everyone = (1 << count) - 1
        reps = [classes.representative(n) for n in range(count)]
        self.dataplanes = [index.dataplane(e) for e in reps]
        self.meshed = _bits(n for n, d in enumerate(self.dataplanes) if d is not None)
        self.ambient = _bits(n for n, d in enumerate(self.dataplanes) if d == AMBIENT)
        self.unknown_ip = _bits(n for n, e in enumerate(reps) if not e.external and e.address is None)
        self.profiles = {n: index.profile(reps[n]) for n in iter_bits(self.meshed)}
        self.captures = {n: index.capture(reps[n]) for n in iter_bits(self.meshed)}
        self._values: dict[str, dict[object, int]] = {a: {} for a in IDENTITY_ATTRIBUTES}
        for n, e in enumerate(reps):
            if e.external:
                continue
            for attribute, value in (
                (PRINCIPAL, principal(e)), (NAMESPACE, e.namespace),
                (SERVICE_ACCOUNT, (e.namespace, e.service_account or "")), (TRUST_DOMAIN_ATTR, TRUST_DOMAIN),
            ):
                table = self._values[attribute]
                table[value] = table.get(value, 0) | (1 << n)
        selected: dict[str, int] = {}
        for n in iter_bits(self.meshed):
            for p in index.selecting(reps[n]):
                if enforced(p):
                    selected[p.id] = selected.get(p.id, 0) | (1 << n)
        by_id = {p.id: p for p in cluster.mesh.authorization_policies}
        self.policies: list[tuple[AuthorizationPolicy, int]] = [(by_id[pid], bits) for pid, bits in sorted(selected.items())]
        self._check_cache: dict[tuple[Check, str], Pair] = {}

    # --- source checks -> bitsets ----------------------------------------------------------
    def _check(self, check: Check, reading: str) -> Pair:
        key = (check, reading)
        if key not in self._check_cache:
            self._check_cache[key] = self._compute_check(check, reading)
        return self._check_cache[key]

    def _compute_check(self, check: Check, reading: str) -> Pair:
        if check.attribute == SOURCE_IP:
            known = 0
            for block in check.patterns:
                version, spans = block.intervals()  # type: ignore[union-attr]
                for lo, hi in spans:
                    known |= self.classes.ip_range_bits(version, lo, hi)
            hit = known if not check.negated else self.everyone & ~self.unknown_ip & ~known
            if reading == DENY_READING:
                hit |= self.unknown_ip  # an unknown address may be in the block: the deny covers it
            return hit, hit
        hit = 0
        table = self._values[check.attribute]
        for p in check.patterns:
            if isinstance(p, IstioString) and p.is_wildcard:
                for value, bits in table.items():
                    if p.matches(value):  # type: ignore[arg-type]
                        hit |= bits
            else:  # an exact name: one look-up, not a scan of every identity
                hit |= table.get(p.pattern if isinstance(p, IstioString) else p, 0)
        if check.negated:
            return self.everyone & ~hit, self.everyone  # no identity in plaintext: a not* matches
        return hit, 0

    def _sources(self, checks: tuple[Check, ...], reading: str) -> Pair:
        ident, plain = self.everyone, self.everyone
        for c in checks:
            if c.attribute == PORT:
                continue
            i, p = self._check(c, reading)
            ident &= i
            plain &= p
        return ident, plain

    def rule_pair(self, rule: MeshRule, reading: str, port: int) -> Pair:
        if reading == ALLOW_READING and rule.unmodelled:
            return 0, 0
        if not _ports_hold(rule, port):
            return 0, 0
        if rule.froms is None:
            ident, plain = self.everyone, self.everyone
        else:
            ident, plain = 0, 0
            for entry in rule.froms:
                i, p = self._sources(entry, reading)
                ident |= i
                plain |= p
        wi, wp = self._sources(rule.when, reading)
        return ident & wi, plain & wp

    # --- destinations ------------------------------------------------------------------------
    def allowed(self, port: int) -> Mapping[int, int]:
        """Meshed destination class -> bitset of source classes the mesh admits on port/TCP."""
        plaintext_only: dict[int, bool] = {}
        result: dict[int, int] = {}
        for d in iter_bits(self.meshed):
            mode = self.profiles[d].at(port).mode
            plaintext_only[d] = mode == DISABLE and self.dataplanes[d] == SIDECAR
            result[d] = self.meshed if mode == STRICT else self.everyone
        refused: dict[int, int] = {}
        admitted: dict[int, int] = {}
        for policy, selected in self.policies:
            reading = ALLOW_READING if policy.action == ALLOW else DENY_READING
            ident, plain = 0, 0
            for rule in policy.rules:
                i, p = self.rule_pair(rule, reading, port)
                ident |= i
                plain |= p
            over_tls = (ident & self.meshed) | (plain & ~self.meshed)
            for d in iter_bits(selected):
                hits = plain if plaintext_only[d] else over_tls
                if policy.action in (CUSTOM, DENY):
                    refused[d] = refused.get(d, 0) | hits
                else:
                    admitted[d] = admitted.get(d, 0) | hits
        for d in result:
            result[d] &= ~refused.get(d, 0) & admitted.get(d, self.everyone)
        for d in iter_bits(self.bypassed(port)):
            result[d] = self.everyone  # outside the proxy: neither mTLS nor policy
        return result

    def bypassed(self, port: int) -> int:
        """Meshed destination classes whose proxy does not take in ``port``."""
        return _bits(n for n, capture in self.captures.items() if capture.bypass(port) is not None)


def _ports_hold(rule: MeshRule, port: int) -> bool:
    """The rule's destination-port part (``to`` ports/notPorts, ``when`` destination.port) at ``port``."""
    conn = Connection(None, None, None, None, None, port)

    def holds(checks: tuple[Check, ...]) -> bool:
        return all(check_matches(c, conn) for c in checks if c.attribute == PORT)

    return (rule.tos is None or any(holds(e) for e in rule.tos)) and holds(rule.when)


def _bits(numbers) -> int:
    bits = 0
    for n in numbers:
        bits |= 1 << n
    return bits
