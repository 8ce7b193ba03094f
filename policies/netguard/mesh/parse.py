"""Reading PeerAuthentication and AuthorizationPolicy manifests into ``model`` values.

As strict as Istio's own validation where it matters to a verdict: unknown fields, a mode or
action Istio does not know, ``portLevelMtls`` without a selector, an empty ``source`` or
``operation``, a port that is not a number, an ipBlock that is not an address or CIDR,
``serviceAccounts`` beside ``principals``/``namespaces``, a ``provider`` on anything but CUSTOM,
an unknown ``when`` key: each is an error naming the field, never a silently wider policy.
"""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
from typing import Any, Optional

from ..cidr import IPBlock
from ..errors import Location, kind_of, unknown_key
from . import model as m
from .strings import IstioString

MESH_APIS = frozenset({"security.istio.io/v1", "security.istio.io/v1beta1"})
MESH_KINDS = frozenset({"PeerAuthentication", "AuthorizationPolicy"})
DRY_RUN = "istio.io/dry-run"

# Source and Operation fields: name -> (attribute, negated, pattern kind); None: not modelled.
_SOURCE_FIELDS: Mapping[str, Optional[tuple[str, bool, str]]] = {
    "principals": (m.PRINCIPAL, False, "string"),
    "notPrincipals": (m.PRINCIPAL, True, "string"),
    "namespaces": (m.NAMESPACE, False, "string"),
    "notNamespaces": (m.NAMESPACE, True, "string"),
    "serviceAccounts": (m.SERVICE_ACCOUNT, False, "account"),
    "notServiceAccounts": (m.SERVICE_ACCOUNT, True, "account"),
    "trustDomains": (m.TRUST_DOMAIN_ATTR, False, "string"),
    "notTrustDomains": (m.TRUST_DOMAIN_ATTR, True, "string"),
    "ipBlocks": (m.SOURCE_IP, False, "ip"),
    "notIpBlocks": (m.SOURCE_IP, True, "ip"),
    "requestPrincipals": None,
    "notRequestPrincipals": None,
    "remoteIpBlocks": None,
    "notRemoteIpBlocks": None,
}
_OPERATION_FIELDS: Mapping[str, Optional[tuple[str, bool, str]]] = {
    "ports": (m.PORT, False, "port"),
    "notPorts": (m.PORT, True, "port"),
    "hosts": None, "notHosts": None, "methods": None, "notMethods": None, "paths": None, "notPaths": None,
}
# `when` keys Istio knows; those mapped to None are attributes of the request or of the TLS
# handshake the engine does not model.
_WHEN_KEYS: Mapping[str, Optional[tuple[str, str]]] = {
    "source.ip": (m.SOURCE_IP, "ip"),
    "source.namespace": (m.NAMESPACE, "string"),
    "source.principal": (m.PRINCIPAL, "string"),
    "destination.port": (m.PORT, "port"),
    "remote.ip": None,
    "destination.ip": None,
    "connection.sni": None,
    "request.auth.principal": None,
    "request.auth.audiences": None,
    "request.auth.presenter": None,
}
_WHEN_PREFIXES = ("request.headers[", "request.auth.claims[", "experimental.envoy.filters.")


def is_mesh_manifest(kind: Any, api_version: Any) -> bool:
    return kind in MESH_KINDS and api_version in MESH_APIS


def parse_peer_authentication(namespace: str, name: str, spec: Any, at: Location) -> m.PeerAuthentication:
    spec = _mapping(spec, at.key("spec"), allow_none=True)
    at = at.key("spec")
    _no_unknown(spec, {"selector", "mtls", "portLevelMtls"}, at)
    selector = _selector(spec.get("selector"), at.key("selector"))
    mode = _mode(spec.get("mtls"), at.key("mtls"))
    port_modes: list[tuple[int, str]] = []
    raw_ports = spec.get("portLevelMtls")
    if raw_ports is not None:
        ports_at = at.key("portLevelMtls")
        raw_ports = _mapping(raw_ports, ports_at)
        if selector.is_empty:
            raise ports_at.error("portLevelMtls requires a selector with matchLabels (Istio ignores it otherwise)")
        if not raw_ports:
            raise ports_at.error("expected at least one port")
        for key, value in raw_ports.items():
            port = _port(key, ports_at.key(str(key)), allow_int=True)
            port_modes.append((port, _mode(value, ports_at.key(str(key)))))
    return m.PeerAuthentication(namespace, name, selector, mode, tuple(sorted(port_modes)), at.source)


def parse_authorization_policy(
    namespace: str, name: str, metadata: Mapping, spec: Any, at: Location
) -> m.AuthorizationPolicy:
    spec = _mapping(spec, at.key("spec"), allow_none=True)
    at = at.key("spec")
    _no_unknown(spec, {"selector", "targetRef", "targetRefs", "rules", "action", "provider"}, at)
    action = spec.get("action", m.ALLOW)
    if action not in m.ACTIONS:
        raise at.key("action").error(f"unknown action {action!r}; expected one of {', '.join(m.ACTIONS)}")
    targeted = bool(spec.get("targetRef") or spec.get("targetRefs"))
    if targeted and spec.get("selector") is not None:
        raise at.key("selector").error("only one of targetRefs or selector can be set")
    provider = _provider(spec.get("provider"), action, at.key("provider"))
    raw_rules = spec.get("rules")
    if raw_rules is None:
        raw_rules = []
    if not isinstance(raw_rules, list):
        raise at.key("rules").error(f"expected a list, got {kind_of(raw_rules)}")
    rules = tuple(_rule(r, i + 1, namespace, at.key("rules").index(i)) for i, r in enumerate(raw_rules))
    annotations = metadata.get("annotations") or {}
    dry_run = isinstance(annotations, Mapping) and str(annotations.get(DRY_RUN, "")).lower() == "true"
    return m.AuthorizationPolicy(
        namespace, name, action, _selector(spec.get("selector"), at.key("selector")), rules,
        targeted, dry_run, provider, at.source,
    )


def _provider(raw: Any, action: str, at: Location) -> Optional[str]:
    if raw is None:
        if action == m.CUSTOM:
            raise at.error("a CUSTOM policy needs provider.name")
        return None
    if action != m.CUSTOM:
        raise at.error(f"provider is only for action CUSTOM, not {action}")
    raw = _mapping(raw, at)
    _no_unknown(raw, {"name"}, at)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise at.key("name").error("a CUSTOM policy needs provider.name")
    return name


def _rule(raw: Any, index: int, namespace: str, at: Location) -> m.MeshRule:
    raw = _mapping(raw, at, allow_none=True)
    _no_unknown(raw, {"from", "to", "when"}, at)
    unmodelled: list[str] = []
    froms = _entries(raw.get("from"), "source", _SOURCE_FIELDS, namespace, unmodelled, at.key("from"))
    tos = _entries(raw.get("to"), "operation", _OPERATION_FIELDS, namespace, unmodelled, at.key("to"))
    when: list[m.Check] = []
    raw_when = raw.get("when") or []
    if not isinstance(raw_when, list):
        raise at.key("when").error(f"expected a list, got {kind_of(raw_when)}")
    for i, condition in enumerate(raw_when):
        check = _condition(condition, at.key("when").index(i))
        if check is None:
            unmodelled.append(f"when[{condition['key']}]")
        else:
            when.extend(check)
    return m.MeshRule(index, froms, tos, tuple(when), tuple(dict.fromkeys(unmodelled)))


def _entries(raw, inner, fields, namespace, unmodelled, at) -> Optional[tuple[tuple[m.Check, ...], ...]]:
    if raw is None or raw == []:
        return None  # not set: any source / any operation
    if not isinstance(raw, list):
        raise at.error(f"expected a list, got {kind_of(raw)}")
    entries = []
    for i, entry in enumerate(raw):
        e_at = at.index(i)
        entry = _mapping(entry, e_at)
        _no_unknown(entry, {inner}, e_at)
        body = entry.get(inner)
        if not isinstance(body, Mapping) or not body:
            raise e_at.key(inner).error(f"{inner} must not be empty")
        _no_unknown(body, set(fields), e_at.key(inner))
        if inner == "source":
            _accounts_alone(body, e_at.key(inner))
        checks = []
        written = [name for name in sorted(body) if body[name] != []]  # [] is the field left unset
        if not written:
            raise e_at.key(inner).error(f"{inner} must not be empty")
        for name in written:
            f_at = e_at.key(inner).key(name)
            values = _strings(body[name], f_at)
            meaning = fields[name]
            if meaning is None:
                unmodelled.append(name)
                continue
            attribute, negated, kind = meaning
            patterns = tuple(_pattern(v, kind, namespace, f_at.index(j)) for j, v in enumerate(values))
            checks.append(m.Check(name, attribute, patterns, negated))
        entries.append(tuple(checks))
    return tuple(entries)


def _accounts_alone(body: Mapping, at: Location) -> None:
    accounts = {"serviceAccounts", "notServiceAccounts"} & set(body)
    others = {"principals", "notPrincipals", "namespaces", "notNamespaces"} & set(body)
    if accounts and others:
        raise at.key(min(accounts)).error("cannot be set with principals or namespaces")


def _condition(raw: Any, at: Location) -> Optional[list[m.Check]]:
    raw = _mapping(raw, at)
    _no_unknown(raw, {"key", "values", "notValues"}, at)
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise at.key("key").error("a condition needs a key")
    values = _strings(raw.get("values") or [], at.key("values"), allow_empty=True)
    not_values = _strings(raw.get("notValues") or [], at.key("notValues"), allow_empty=True)
    if not values and not not_values:
        raise at.error("a condition needs values or notValues")
    if key in _WHEN_KEYS:
        meaning = _WHEN_KEYS[key]
    elif key.startswith(_WHEN_PREFIXES) and key.endswith("]"):
        meaning = None
    else:
        raise at.key("key").error(f"unknown attribute {key!r}")
    if meaning is None:
        return None
    attribute, kind = meaning
    checks = []
    for negated, listed, name in ((False, values, "values"), (True, not_values, "notValues")):
        if listed:
            patterns = tuple(_pattern(v, kind, "", at.key(name).index(j)) for j, v in enumerate(listed))
            checks.append(m.Check(f"when[{key}].{name}", attribute, patterns, negated))
    return checks


def _pattern(value: str, kind: str, namespace: str, at: Location) -> m.Pattern:
    if kind == "string":
        return IstioString(value)
    if kind == "port":
        return _port(value, at)
    if kind == "ip":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise at.error(f"{value!r} is not an IP address or CIDR") from None
        return IPBlock(network)
    if "*" in value:
        raise at.error("a service account takes no wildcard")
    account_ns, slash, account = value.partition("/")
    if not slash:
        account_ns, account = namespace, value
    if not account_ns or not account or "/" in account:
        raise at.error(f"{value!r} is not <namespace>/<serviceaccount> or <serviceaccount>")
    return (account_ns, account)


def _port(raw: Any, at: Location, allow_int: bool = False) -> int:
    if isinstance(raw, bool) or not (isinstance(raw, str) or (allow_int and isinstance(raw, int))):
        raise at.error(f"expected a port number as a string, got {kind_of(raw)}")
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise at.error(f"port {text!r} is not a number in 1-65535")
    return int(text)


def _mode(raw: Any, at: Location) -> str:
    if raw is None:
        return m.UNSET
    raw = _mapping(raw, at)
    _no_unknown(raw, {"mode"}, at)
    mode = raw.get("mode", m.UNSET)
    if mode not in m.MTLS_MODES:
        raise at.key("mode").error(f"unknown mTLS mode {mode!r}; expected one of {', '.join(m.MTLS_MODES)}")
    return mode


def _selector(raw: Any, at: Location) -> m.WorkloadSelector:
    if raw is None:
        return m.WorkloadSelector()
    raw = _mapping(raw, at)
    _no_unknown(raw, {"matchLabels"}, at)
    labels = raw.get("matchLabels") or {}
    labels = _mapping(labels, at.key("matchLabels"))
    for key, value in labels.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise at.key("matchLabels").error(f"label {key!r}: {value!r} is not a string pair (quote it)")
        if "*" in key or "*" in value:
            raise at.key("matchLabels").key(key).error("a workload selector takes no wildcard")
    return m.WorkloadSelector(tuple(sorted(labels.items())))


def _strings(raw: Any, at: Location, allow_empty: bool = False) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        raise at.error(f"expected a list of non-empty strings (quote numbers), got {kind_of(raw)}")
    if not raw and not allow_empty:
        raise at.error("expected at least one value")
    return raw


def _mapping(raw: Any, at: Location, allow_none: bool = False) -> Mapping:
    if raw is None and allow_none:
        return {}
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping, got {kind_of(raw)}")
    return raw


def _no_unknown(raw: Mapping, known: set[str], at: Location) -> None:
    unknown = unknown_key(raw, known)
    if unknown is not None:
        raise at.key(unknown).error("unknown field")
