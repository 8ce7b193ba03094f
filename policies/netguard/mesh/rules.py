"""Does an AuthorizationPolicy rule match a connection? Read for ALLOW or for DENY, fail-closed.

The engine evaluates connections (source, destination, port), not HTTP requests. A rule may name
fields it cannot evaluate (methods, paths, hosts, request principals, remote IPs, most ``when``
keys), and a source pod may have no known IP. Both are read so that the engine never allows more
than Istio does, exactly as Istio itself reads such rules for TCP traffic and in ambient's ztunnel:

- ALLOW (and AUDIT): a rule with an unmodelled field matches no connection (Istio drops it for
  TCP); an ipBlock check on a source of unknown IP does not match.
- DENY (and CUSTOM): unmodelled fields are dropped and the rest of the rule still matches (the
  deny is wider, as Istio's); an ipBlock check on a source of unknown IP matches.

Identity checks (principals, namespaces, serviceAccounts, trustDomains) need mutual TLS: on a
plaintext connection the positive ones match nothing and the ``not*`` ones match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..cidr import Address
from .model import (
    NAMESPACE, PORT, PRINCIPAL, SERVICE_ACCOUNT, SOURCE_IP, TRUST_DOMAIN_ATTR, Check, MeshRule,
)
from .strings import IstioString

ALLOW_READING = "allow"  # what may be admitted: unknowns do not match
DENY_READING = "deny"  # what may be refused: unknowns match


@dataclass(frozen=True)
class Connection:
    """What a rule can see of one connection. Identity fields are None on plaintext."""

    principal: Optional[str]
    namespace: Optional[str]
    account: Optional[tuple[str, str]]
    trust_domain: Optional[str]
    address: Optional[Address]  # None: the source's address is unknown
    port: int


def check_matches(check: Check, conn: Connection) -> Optional[bool]:
    """True or False, or None when the connection's attribute is unknown."""
    hit = _hit(check, conn)
    if hit is None:
        return None
    return not hit if check.negated else hit


def _hit(check: Check, conn: Connection) -> Optional[bool]:
    a = check.attribute
    if a == PORT:
        return conn.port in check.patterns
    if a == SOURCE_IP:
        if conn.address is None:
            return None
        return any(block.matches(conn.address) for block in check.patterns)  # type: ignore[union-attr]
    if a == SERVICE_ACCOUNT:
        return conn.account is not None and conn.account in check.patterns
    value = {PRINCIPAL: conn.principal, NAMESPACE: conn.namespace, TRUST_DOMAIN_ATTR: conn.trust_domain}[a]
    return any(isinstance(p, IstioString) and p.matches(value) for p in check.patterns)


def rule_matches(rule: MeshRule, conn: Connection, reading: str) -> bool:
    if reading == ALLOW_READING and rule.unmodelled:
        return False
    unknown = reading == DENY_READING

    def holds(checks: tuple[Check, ...]) -> bool:
        for c in checks:
            result = check_matches(c, conn)
            if not (unknown if result is None else result):
                return False
        return True

    return (
        (rule.froms is None or any(holds(e) for e in rule.froms))
        and (rule.tos is None or any(holds(e) for e in rule.tos))
        and holds(rule.when)
    )
