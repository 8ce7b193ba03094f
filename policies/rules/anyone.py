"""What "anyone" looks like, for no-allow-all: a namespace nobody has created yet, pods nobody has
labelled, and most of the addresses of an IP family.

A rule admits everyone when it admits these, whatever it is written like: the answers come from
the engine's own selector and ipBlock semantics, not from the rule's spelling.

- A new namespace has `kubernetes.io/metadata.name` with a name the policy never names (so
  `NotIn [some-name]` and `Exists` admit it), and any other label with a value nobody named.
- A pod nobody chose is a bare pod, or the pod of any built-in controller, which carries the labels
  that controller adds (`pod-template-hash`, `controller-uid`, ...) with values nobody wrote down
  (`pod-template-hash Exists` admits every Deployment's pods); its other labels are absent or have
  values no selector names (`netguard.io/role Exists` admits every AI pod). A selector limits the
  peers only when it requires a value it names (matchLabels or In).
- Most addresses: at least half of IPv4 or of IPv6, after excepts (`0.0.0.0/1` alone, the two
  halves together, `0.0.0.0/0` except one address).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from netguard.errors import Location, NetguardInputError
from netguard.labels import NAMESPACE_NAME
from netguard.selectors import LabelSelector, parse_selector

from .cidrset import AddressSet
from .pod_templates import controller_label_keys
from .unknowns import fresh_value

# Labels Cilium gives every endpoint, whatever its pod labels.
_CILIUM_ENDPOINT_KEYS = ("io.kubernetes.pod.namespace", "io.cilium.k8s.policy.serviceaccount",
                         "io.cilium.k8s.policy.cluster", f"io.cilium.k8s.namespace.labels.{NAMESPACE_NAME}")
_CILIUM_SOURCES = ("k8s:", "any:")
_HALF = {4: 2**31, 6: 2**127}


def _named_values(selector: LabelSelector) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, value in selector.match_labels:
        found.setdefault(key, set()).add(value)
    for requirement in selector.expressions:
        found.setdefault(requirement.key, set()).update(requirement.values)
    return found


def admits_anyone(selector: LabelSelector, present: Iterable[str] = ()) -> bool:
    """Whether the selector matches labels nobody chose: the keys ``present`` with values no selector
    names, every other key absent or with such a value (`role Exists` and `role NotIn [x]` admit it)."""
    named = _named_values(selector)
    present = set(present)
    fixed = {key: fresh_value(named.get(key, ())) for key in present}
    constraints: dict[str, set[str]] = {}
    for key, _ in selector.match_labels:
        constraints.setdefault(key, set()).add("In")
    for requirement in selector.expressions:
        constraints.setdefault(requirement.key, set()).add(requirement.operator)
    for key, operators in constraints.items():
        if key in fixed:
            continue
        if "In" in operators or {"Exists", "DoesNotExist"} <= operators:
            return False  # only a named value, or nothing at all, satisfies it
    return selector.matches({**fixed, **{key: fresh_value(named.get(key, ())) for key, ops in constraints.items()
                                        if key not in fixed and "Exists" in ops}})


def admits_any_namespace(selector: LabelSelector) -> bool:
    return admits_anyone(selector, (NAMESPACE_NAME,))


def admits_any_pod(selector: LabelSelector) -> bool:
    return any(admits_anyone(selector, keys) for keys in controller_label_keys())


def cilium_selector(raw: Any) -> Optional[LabelSelector]:
    """A Cilium endpoint selector read as a label selector, its keys without a `k8s:`/`any:` source."""
    if not isinstance(raw, Mapping):
        return None
    normalized: dict[str, Any] = {}
    if isinstance(raw.get("matchLabels"), Mapping):
        normalized["matchLabels"] = {_strip(k): v for k, v in raw["matchLabels"].items()}
    if isinstance(raw.get("matchExpressions"), list):
        normalized["matchExpressions"] = [
            {**e, "key": _strip(e.get("key"))} if isinstance(e, Mapping) else e for e in raw["matchExpressions"]]
    try:
        return parse_selector(normalized, Location(field="endpointSelector"))
    except NetguardInputError:
        return None


def _strip(key: Any) -> Any:
    if isinstance(key, str):
        for source in _CILIUM_SOURCES:
            if key.startswith(source):
                return key[len(source):]
    return key


def cilium_admits_everyone(selector: LabelSelector, clusterwide: bool) -> bool:
    """A namespaced policy's endpoint selectors stay in its namespace unless they name the namespace key."""
    if not clusterwide and _CILIUM_ENDPOINT_KEYS[0] not in _named_values(selector):
        return False
    return any(admits_anyone(selector, (*keys, *_CILIUM_ENDPOINT_KEYS)) for keys in controller_label_keys())


def _opened(blocks: Iterable[Mapping]) -> AddressSet:
    opened = AddressSet()
    for block in blocks:
        try:
            opened = opened | (AddressSet.cidr(block.get("cidr")) - AddressSet.of(block.get("except") or []))
        except (ValueError, TypeError):
            continue  # a malformed block is reported as such by the rule that reads it
    return opened


def admits_most_addresses(blocks: Iterable[Mapping]) -> bool:
    opened = _opened(list(blocks))
    return any(sum(hi - lo + 1 for lo, hi in spans) >= _HALF[version]
               for version, spans in ((4, opened.v4), (6, opened.v6)))


def describe(blocks: Iterable[Mapping]) -> str:
    parts = []
    for block in blocks:
        excepts = block.get("except") or []
        parts.append(str(block.get("cidr")) + (f" except {', '.join(map(str, excepts))}" if excepts else ""))
    return "; ".join(parts)
