"""Reading CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (cilium.io/v2) into ``CiliumPolicy``.

Every field that changes traffic is read or refused: an unknown field is an error, and so is a
known one the engine does not model (``toServices``, ``toGroups``, ``toNodes``/``fromNodes``,
``toRequires``/``fromRequires``, ``icmps``, ``authentication``, CIDR groups): the engine gives no
verdict rather than a wrong one. A spec with ``nodeSelector`` is a host policy; it selects nodes,
none of the engine's endpoints, so it changes no verdict and is skipped.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from collections.abc import Mapping
from typing import Any, Optional

from ..cidr import IPBlock, parse_ip_block, parse_network
from ..domains import CILIUM_MATCH_NAME, CILIUM_MATCH_PATTERN, cilium_name_error, cilium_pattern_error
from ..errors import Location, kind_of, unknown_key
from ..model import EGRESS, INGRESS
from ..peers import AnyNamePeer, AnyPeer, DomainPeer, RuleRef, any_name_peer
from ..ports import MAX_PORT, MIN_PORT, NamedPort, PortMatcher, PortRange, PROTOCOLS, parse_port_name
from ..selectors import parse_selector
from .labels import POD_NAMESPACE, selector_key
from .model import CiliumPolicy, CiliumRule
from .peers import ENTITIES, ENTITY_FAMILIES, CiliumCIDR, CiliumEndpoints, Entity

SPEC_FIELDS = {"endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny",
               "enableDefaultDeny", "labels", "description", "log"}
UNMODELLED = {"fromRequires", "toRequires", "toServices", "toGroups", "fromGroups", "toNodes", "fromNodes",
              "icmps", "authentication"}
PEER_FIELDS = {
    INGRESS: {"fromEndpoints": "endpoints", "fromCIDR": "cidr", "fromCIDRSet": "cidrset", "fromEntities": "entities"},
    EGRESS: {"toEndpoints": "endpoints", "toCIDR": "cidr", "toCIDRSet": "cidrset", "toEntities": "entities",
             "toFQDNs": "fqdns"},
}
L7_FIELDS = {"rules", "serverNames", "listener", "terminatingTLS", "originatingTLS"}
CILIUM_PROTOCOLS = {"TCP", "UDP", "SCTP", "ANY", "ICMP", "ICMPV6", "VRRP", "IGMP"}


def parse_cilium_policy(kind: str, namespace: Optional[str], name: str, manifest: Mapping, at: Location
                        ) -> tuple[CiliumPolicy, ...]:
    specs: list[tuple[str, Any, Location]] = []
    if manifest.get("spec") is not None:
        specs.append(("spec", manifest["spec"], at.key("spec")))
    raw_specs = manifest.get("specs")
    if raw_specs is not None:
        if not isinstance(raw_specs, list):
            raise at.key("specs").error(f"expected a list of rule specs, got {kind_of(raw_specs)}")
        specs += [(f"specs[{i}]", s, at.key("specs").index(i)) for i, s in enumerate(raw_specs)]
    if not specs:
        raise at.key("spec").error(f"a {kind} needs spec or specs")
    metadata = manifest.get("metadata") or {}
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    labels = {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(labels, Mapping) else {}
    out = []
    for label, raw, where in specs:
        policy = _spec(kind, namespace, name, label, raw, where)
        if policy is not None:
            out.append(replace(policy, labels=labels))
    return tuple(out)


def _spec(kind: str, namespace: Optional[str], name: str, label: str, raw: Any, at: Location) -> Optional[CiliumPolicy]:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a rule spec mapping, got {kind_of(raw)}")
    unknown = unknown_key(raw, SPEC_FIELDS)
    if unknown is not None:
        raise at.key(unknown).error("unknown field of a Cilium rule spec")
    if raw.get("nodeSelector") is not None:
        if raw.get("endpointSelector") is not None:
            raise at.error("a spec has either endpointSelector or nodeSelector, not both")
        return None  # a host policy: it selects nodes, none of the engine's endpoints
    if raw.get("endpointSelector") is None:
        raise at.key("endpointSelector").error("a spec needs endpointSelector (or nodeSelector)")
    selector = _selector(raw["endpointSelector"], at.key("endpointSelector"))
    target = CiliumEndpoints(selector, namespace)
    policy_id = name if namespace is None else f"{namespace}/{name}"
    if label != "spec":
        policy_id = f"{policy_id} {label}"
    allow, deny = {}, {}
    for direction, allow_key, deny_key in ((INGRESS, "ingress", "ingressDeny"), (EGRESS, "egress", "egressDeny")):
        allow[direction] = _rules(raw.get(allow_key), at.key(allow_key), policy_id, direction, namespace, False, 0)
        deny[direction] = _rules(raw.get(deny_key), at.key(deny_key), policy_id, direction, namespace, True,
                                 len(allow[direction]))
    return CiliumPolicy(kind, namespace, name, target, allow, deny, _default_deny(raw, allow, deny, at), label, at.source)


def _default_deny(raw: Mapping, allow: dict, deny: dict, at: Location) -> frozenset[str]:
    flags = raw.get("enableDefaultDeny") or {}
    where = at.key("enableDefaultDeny")
    if not isinstance(flags, Mapping):
        raise where.error(f"expected a mapping with ingress and egress, got {kind_of(flags)}")
    unknown = unknown_key(flags, {"ingress", "egress"})
    if unknown is not None:
        raise where.key(unknown).error("unknown field of enableDefaultDeny")
    out = set()
    for direction, key in ((INGRESS, "ingress"), (EGRESS, "egress")):
        flag = flags.get(key)
        if flag is not None and not isinstance(flag, bool):
            raise where.key(key).error(f"expected true or false, got {kind_of(flag)}")
        if flag if flag is not None else bool(allow[direction] or deny[direction]):
            out.add(direction)
    return frozenset(out)


def _rules(raw: Any, at: Location, policy_id: str, direction: str, namespace: Optional[str], is_deny: bool,
           offset: int) -> tuple[CiliumRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise at.error(f"expected a list of rules, got {kind_of(raw)}")
    return tuple(
        _rule(r, at.index(i), RuleRef(policy_id, direction, offset + i + 1), direction, namespace, is_deny)
        for i, r in enumerate(raw)
    )


def _rule(raw: Any, at: Location, origin: RuleRef, direction: str, namespace: Optional[str], is_deny: bool) -> CiliumRule:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a rule mapping, got {kind_of(raw)}")
    fields = PEER_FIELDS[direction]
    for key in raw:
        if key in UNMODELLED:
            raise at.key(key).error("not modelled by the engine (it would have to guess a verdict)")
        if key not in fields and key != "toPorts":
            raise at.key(key).error(f"unknown field of a Cilium {direction.lower()} rule")
    if is_deny and "toFQDNs" in raw:
        raise at.key("toFQDNs").error("toFQDNs is not allowed in a deny rule")
    peers: list = []
    for key, what in fields.items():
        value = raw.get(key)
        if value is None or value == []:
            continue
        peers += _peers(what, value, at.key(key), origin, namespace)
    ports, note = _to_ports(raw.get("toPorts"), at.key("toPorts"), is_deny)
    if not peers and raw.get("toPorts"):
        peers = [AnyPeer(origin)]  # L4 only: every peer on those ports
    names = _name_peer(peers, origin, is_deny)
    if names is not None:
        peers.append(names)
    return CiliumRule(origin, tuple(peers), ports, note)


def _name_peer(peers: list, origin: RuleRef, is_deny: bool) -> Optional[AnyNamePeer]:
    """A name may resolve to any address: the rule takes it when its addresses cover a family."""
    families: set[int] = set()
    for p in peers:
        if isinstance(p, Entity):
            families |= ENTITY_FAMILIES.get(p.name, set())
    if families:
        if is_deny and families != {4, 6}:
            return None
        if any(isinstance(p, Entity) and p.name in ("world", "all") for p in peers):
            return None  # the entity matches names itself
        which = " and ".join(f"every IPv{v} address" for v in sorted(families))
        return AnyNamePeer(f"the entity {'denies' if is_deny else 'admits'} {which}", origin)
    return any_name_peer([p.block for p in peers if isinstance(p, CiliumCIDR)], origin, is_deny)


def _peers(what: str, value: Any, at: Location, origin: RuleRef, namespace: Optional[str]) -> list:
    if not isinstance(value, list):
        raise at.error(f"expected a list, got {kind_of(value)}")
    out: list = []
    for i, item in enumerate(value):
        where = at.index(i)
        if what == "endpoints":
            selector = _selector(item, where)
            confined = namespace if not _names_namespace(selector) else None
            out.append(CiliumEndpoints(selector, confined, origin))
        elif what == "cidr":
            out.append(CiliumCIDR(IPBlock(_cidr(item, where)), origin))
        elif what == "cidrset":
            out.append(CiliumCIDR(_cidr_rule(item, where), origin))
        elif what == "entities":
            if item not in ENTITIES:
                raise where.error(f"unknown entity {item!r}; expected one of {', '.join(ENTITIES)}")
            out.append(Entity(item, origin))
        else:
            out += _fqdn(item, where, origin)
    return out


def _selector(raw: Any, at: Location):
    if not isinstance(raw, Mapping):
        raise at.error(f"expected an endpoint selector mapping, got {kind_of(raw)}")
    labels = raw.get("matchLabels")
    expressions = raw.get("matchExpressions")
    normal: dict[str, Any] = {}
    if labels is not None:
        normal["matchLabels"] = {selector_key(k) if isinstance(k, str) else k: v for k, v in labels.items()} \
            if isinstance(labels, Mapping) else labels
    if expressions is not None:
        normal["matchExpressions"] = [
            {**e, "key": selector_key(e["key"])} if isinstance(e, Mapping) and isinstance(e.get("key"), str) else e
            for e in expressions
        ] if isinstance(expressions, list) else expressions
    for key in raw:
        if key not in ("matchLabels", "matchExpressions"):
            normal[key] = raw[key]
    return parse_selector(normal, at)


def _names_namespace(selector) -> bool:
    return any(k == POD_NAMESPACE for k, _ in selector.match_labels) or any(
        r.key == POD_NAMESPACE for r in selector.expressions
    )


def _cidr(raw: Any, at: Location):
    if isinstance(raw, str) and "/" not in raw:
        try:  # Cilium accepts a plain address as a one-address prefix
            address = ipaddress.ip_address(raw.strip())
            return ipaddress.ip_network(f"{address}/{address.max_prefixlen}")
        except ValueError:
            pass
    return parse_network(raw, at)


def _cidr_rule(raw: Any, at: Location) -> IPBlock:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with cidr and except, got {kind_of(raw)}")
    for key in ("cidrGroupRef", "cidrGroupSelector"):
        if key in raw:
            raise at.key(key).error("not modelled by the engine (CiliumCIDRGroup objects are not read)")
    return parse_ip_block(raw, at)


def _fqdn(raw: Any, at: Location, origin: RuleRef) -> list:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with matchName or matchPattern, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"matchName", "matchPattern"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field of a toFQDNs selector")
    out = []
    for key, syntax, check in (("matchName", CILIUM_MATCH_NAME, cilium_name_error),
                               ("matchPattern", CILIUM_MATCH_PATTERN, cilium_pattern_error)):
        value = raw.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise at.key(key).error(f"expected a string, got {kind_of(value)}")
        problem = check(value)
        if problem:
            raise at.key(key).error(f"{value!r}: {problem}")
        out.append(DomainPeer((value,), origin, syntax))
    if not out:
        raise at.error("a toFQDNs selector needs matchName or matchPattern")
    return out


def _to_ports(raw: Any, at: Location, is_deny: bool) -> tuple[Optional[tuple[PortMatcher, ...]], str]:
    if raw is None or raw == []:
        return None, ""
    if not isinstance(raw, list):
        raise at.error(f"expected a list of port rules, got {kind_of(raw)}")
    matchers: list[PortMatcher] = []
    l7: set[str] = set()
    for i, rule in enumerate(raw):
        where = at.index(i)
        if not isinstance(rule, Mapping):
            raise where.error(f"expected a port rule mapping, got {kind_of(rule)}")
        unknown = unknown_key(rule, {"ports"} | L7_FIELDS)
        if unknown is not None:
            raise where.key(unknown).error("unknown field of a Cilium port rule")
        found = sorted(k for k in L7_FIELDS if rule.get(k))
        if found and is_deny:
            raise where.key(found[0]).error("a deny rule cannot carry L7 rules")
        l7.update(found)
        ports = rule.get("ports")
        if not ports:
            return None, _l7_note(l7)  # no ports: every port
        if not isinstance(ports, list):
            raise where.key("ports").error(f"expected a list, got {kind_of(ports)}")
        for j, entry in enumerate(ports):
            got = _port(entry, where.key("ports").index(j))
            if got is None:
                return None, _l7_note(l7)
            matchers += got
    return tuple(matchers), _l7_note(l7)


def _l7_note(found: set[str]) -> str:
    if not found:
        return ""
    return f"L7 {', '.join(sorted(found))} not modelled: counted for its L3/L4 part only"


def _port(raw: Any, at: Location) -> Optional[list[PortMatcher]]:
    """The matchers of one port entry; None: every port of every protocol."""
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with port and protocol, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"port", "endPort", "protocol"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field of a Cilium port")
    protocol = raw.get("protocol") or "ANY"
    if protocol not in CILIUM_PROTOCOLS:
        raise at.key("protocol").error(f"unknown protocol {protocol!r}; expected one of {', '.join(sorted(CILIUM_PROTOCOLS))}")
    protocols = PROTOCOLS if protocol == "ANY" else tuple(p for p in PROTOCOLS if p == protocol)
    port = raw.get("port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if port is None or port == 0 or port == "":
        if protocol == "ANY":
            return None
        return [PortRange(p, MIN_PORT, MAX_PORT) for p in protocols]
    if isinstance(port, str):
        name = parse_port_name(port, at.key("port"))
        if raw.get("endPort") is not None:
            raise at.key("endPort").error("endPort cannot be used with a named port")
        return [NamedPort(p, name) for p in protocols]
    if isinstance(port, bool) or not isinstance(port, int) or not MIN_PORT <= port <= MAX_PORT:
        raise at.key("port").error(f"{port!r} is not a port number in {MIN_PORT}-{MAX_PORT} or a port name")
    end = raw.get("endPort")
    if end is None or end == 0:
        end = port
    if isinstance(end, bool) or not isinstance(end, int) or not port <= end <= MAX_PORT:
        raise at.key("endPort").error(f"endPort {end!r} must be a number in {port}-{MAX_PORT}")
    return [PortRange(p, port, end) for p in protocols]
