"""Turn the property proxies the policy engine hands a rule into plain values.

pulumi_policy wraps props in read-only proxies that raise UnknownValueError on any value that is
not known at preview. A rule that let that error escape would be reported as advisory "can't run
during preview", which lets a mandatory rule pass in silence. So every rule reads plain values made
here, where each unknown becomes the UNKNOWN marker and its path is recorded: the rule then decides,
closed, what an unknown in a field it reads means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError, _is_unknown


class _Unknown:
    """A value that is computed during the update and so cannot be read at preview."""

    def __repr__(self) -> str:
        return "<unknown at preview>"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class PlainProps:
    """Plain props and the dotted paths (`spec.egress[0].to`) of every value unknown at preview."""

    value: dict
    unknown_paths: tuple[str, ...]

    def unknown_affecting(self, *fields: str) -> tuple[str, ...]:
        """The unknown paths that decide any of the fields: at, below or above one of them.

        A field may say `[*]` for every item of a list: `spec.containers[*].ports`.
        """
        if not fields:
            return self.unknown_paths
        return tuple(path for path in self.unknown_paths
                     if any(_is_at_or_below(path, field) or _is_at_or_below(field, path)
                            for field in fields))


def _is_at_or_below(path: str, prefix: str) -> bool:
    path, prefix = _any_index(path), _any_index(prefix)
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def _any_index(path: str) -> str:
    """`containers[0].ports` and `containers[*].ports` compare equal: a field names every item."""
    return re.sub(r"\[\d+\]", "[*]", path)


def plain(props: Mapping[str, Any]) -> PlainProps:
    """Copy a (proxied) props mapping into plain dicts and lists, marking unknowns."""
    unknown: list[str] = []
    value = _copy(props, "", unknown)
    return PlainProps(value if isinstance(value, dict) else {}, tuple(unknown))


def _copy(node: Any, path: str, unknown: list[str]) -> Any:
    if isinstance(node, float) and node.is_integer():
        # Props cross gRPC as protobuf Struct values, where every number is a double: a port 443
        # arrives as 443.0. Kubernetes integers are integers again here, as in the manifest.
        return int(node)
    if isinstance(node, str):
        if _is_unknown(node):
            unknown.append(path)
            return UNKNOWN
        return node
    if isinstance(node, Mapping):
        out = {}
        for key in list(node):
            child_path = f"{path}.{key}" if path else str(key)
            out[key] = _copy(_read(node, key, child_path, unknown), child_path, unknown)
        return out
    if isinstance(node, Sequence):
        return [_copy(_read(node, index, f"{path}[{index}]", unknown), f"{path}[{index}]", unknown)
                for index in range(len(node))]
    return node


def _read(container: Any, key: Any, path: str, unknown: list[str]) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return _UNKNOWN_SENTINEL


# A string the copy recognises as unknown, so that proxied and raw unknowns take one path.
_UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
