"""OVN-Kubernetes ``EgressFirewall`` (k8s.ovn.org/v1): parsing and the verdict for one destination.

Semantics read from the CRD's API types (``go-controller/pkg/crd/egressfirewall/v1/types.go``):
one object per namespace, named ``default``; it applies to egress from every pod of its namespace
to destinations outside the cluster; rules are checked in order, the first match decides, and no
match (or no EgressFirewall) allows. NetworkPolicy applies as well: both must allow.

A destination given by name (``external/models.example.com``) has unknown addresses, so it is
judged per address family: a ``dnsName`` rule matches it by name (OVN's wildcard rule, see
``domains.ovn_dns_name_matches``); a ``cidrSelector`` matches it only when it spans its whole
family (``0.0.0.0/0`` or ``::/0``), since the name may resolve anywhere there. The name is allowed
when either family ends allowed; it is denied only when both families end denied.

``to.nodeSelector`` needs node addresses netguard does not model: it is refused, never ignored.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from .domains import canonical_name, ovn_dns_name_error, ovn_dns_name_matches

API_VERSION = "k8s.ovn.org/v1"
KIND = "EgressFirewall"
PROTOCOLS = ("TCP", "UDP", "SCTP")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressFirewallError(ValueError):
    """A malformed or unmodelled EgressFirewall; the message names the field."""


@dataclass(frozen=True)
class FirewallRule:
    index: int
    allow: bool
    dns_name: str | None
    cidr: Network | None
    ports: frozenset[tuple[str, int]]  # empty: every port and protocol

    def admits_port(self, protocol: str, port: int) -> bool:
        return not self.ports or (protocol.upper(), port) in self.ports

    def describe(self) -> str:
        target = self.dns_name if self.dns_name is not None else str(self.cidr)
        return f"spec.egress[{self.index}] {'Allow' if self.allow else 'Deny'} {target}"


@dataclass(frozen=True)
class EgressFirewall:
    namespace: str
    rules: tuple[FirewallRule, ...]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: FirewallRule | None  # the deciding rule; None when nothing matched (allowed by default)


def parse(doc: dict[str, Any]) -> EgressFirewall:
    meta = doc.get("metadata") or {}
    where = f"EgressFirewall {meta.get('namespace')}/{meta.get('name')}"
    if meta.get("name") != "default":
        raise EgressFirewallError(f"{where}: metadata.name must be 'default' (OVN-Kubernetes ignores any other)")
    if not meta.get("namespace"):
        raise EgressFirewallError(f"{where}: metadata.namespace is required")
    egress = (doc.get("spec") or {}).get("egress")
    if not isinstance(egress, list):
        raise EgressFirewallError(f"{where}: spec.egress must be a list of rules")
    return EgressFirewall(meta["namespace"], tuple(_rule(where, i, r) for i, r in enumerate(egress)))


def _rule(where: str, i: int, raw: Any) -> FirewallRule:
    at = f"{where}: spec.egress[{i}]"
    if not isinstance(raw, dict):
        raise EgressFirewallError(f"{at} must be an object")
    if raw.get("type") not in ("Allow", "Deny"):
        raise EgressFirewallError(f"{at}.type must be Allow or Deny, not {raw.get('type')!r}")
    to = raw.get("to")
    if not isinstance(to, dict) or len(to) != 1:
        raise EgressFirewallError(f"{at}.to must set exactly one of cidrSelector, dnsName, nodeSelector")
    if "nodeSelector" in to:
        raise EgressFirewallError(f"{at}.to.nodeSelector is not modelled (node addresses are unknown to netguard)")
    dns_name = cidr = None
    if "dnsName" in to:
        error = ovn_dns_name_error(to["dnsName"]) if isinstance(to["dnsName"], str) else "a dnsName is a string"
        if error:
            raise EgressFirewallError(f"{at}.to.dnsName {to['dnsName']!r}: {error}")
        dns_name = canonical_name(str(to["dnsName"]))
    elif "cidrSelector" in to:
        try:
            cidr = ipaddress.ip_network(str(to["cidrSelector"]), strict=False)
        except ValueError as exc:
            raise EgressFirewallError(f"{at}.to.cidrSelector {to['cidrSelector']!r}: {exc}") from None
    else:
        raise EgressFirewallError(f"{at}.to: unknown destination {sorted(to)}")
    return FirewallRule(i, raw["type"] == "Allow", dns_name, cidr, _ports(at, raw.get("ports") or []))


def _ports(at: str, raw: Any) -> frozenset[tuple[str, int]]:
    if not isinstance(raw, list):
        raise EgressFirewallError(f"{at}.ports must be a list")
    out = set()
    for j, p in enumerate(raw):
        if not isinstance(p, dict):
            raise EgressFirewallError(f"{at}.ports[{j}] must be an object with protocol and port")
        proto, port = p.get("protocol"), p.get("port")
        if proto not in PROTOCOLS:
            raise EgressFirewallError(f"{at}.ports[{j}].protocol must be one of {' | '.join(PROTOCOLS)}")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise EgressFirewallError(f"{at}.ports[{j}].port must be an integer 1-65535")
        out.add((proto, port))
    return frozenset(out)


def verdict_for_address(fw: EgressFirewall, address: Address, protocol: str, port: int) -> Verdict:
    """First rule whose CIDR holds ``address`` and whose ports admit the probe decides."""
    for rule in fw.rules:
        if rule.cidr is not None and address in rule.cidr and rule.admits_port(protocol, port):
            return Verdict(rule.allow, rule)
    return Verdict(True, None)


def verdict_for_name(fw: EgressFirewall, name: str, protocol: str, port: int) -> Verdict:
    """Allowed when either address family ends allowed; denied only when both end denied."""
    families = [_family_verdict(fw, name, version, protocol, port) for version in (4, 6)]
    allowed = [v for v in families if v.allowed]
    if allowed:
        return next((v for v in allowed if v.rule is not None), allowed[0])
    return families[0]


def _family_verdict(fw: EgressFirewall, name: str, version: int, protocol: str, port: int) -> Verdict:
    for rule in fw.rules:
        if not rule.admits_port(protocol, port):
            continue
        if rule.dns_name is not None and ovn_dns_name_matches(rule.dns_name, name):
            return Verdict(rule.allow, rule)
        if rule.cidr is not None and rule.cidr.version == version and rule.cidr.prefixlen == 0:
            return Verdict(rule.allow, rule)  # a narrower CIDR may or may not hold the name's address
    return Verdict(True, None)
