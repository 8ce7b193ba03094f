"""Reading one manifest file into its documents, as kubectl reads them.

JSON (``kubectl get -o json``, a ``List``; any file whose text starts with ``{`` or ``[``) is
read by the json parser, as kubectl's decoder does; a ``{`` text that is not JSON (a YAML flow
mapping) is read as YAML. YAML is read by the fast path (``yamlfast.py``) when it is installed
and cannot differ, else by PyYAML (libyaml's parser when present) with kubectl's choices, which
is the reference: a key written twice in one mapping is an error (merge-key overrides are not),
timestamps and base-60 numbers stay strings, a badly tagged value is one error line. Setting
``NETGUARD_YAML=pyyaml`` reads every file with the reference.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

from . import yamlfast
from .errors import NetguardInputError

# kubectl reads YAML with go-yaml v2 into untyped values, which keeps timestamp-looking scalars
# (`2024-01-01`) as strings, has no `=` value type and no base-60 numbers; PyYAML would make a
# date, fail, or read the IPv6 address 1:2:3:4:5:6:7:8 as an int.
_KEPT_AS_STRINGS = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")
_NO_BASE_60 = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _kubectl_resolver(tag: str, regexp: "re.Pattern[str]") -> "re.Pattern[str]":
    if tag in _NO_BASE_60:
        return re.compile("(?!.*:)" + regexp.pattern, regexp.flags)  # a colon: a string
    return regexp


@cache
def kubectl_loader() -> type:
    """PyYAML's loader (libyaml's parser when installed) with kubectl's choices; PyYAML is imported
    only here, when a file needs the reference path."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class KubectlLoader(base):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers = {
            first: [
                (tag, _kubectl_resolver(tag, regexp)) for tag, regexp in resolvers if tag not in _KEPT_AS_STRINGS
            ]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }

        def flatten_mapping(self, node: yaml.MappingNode) -> None:
            # Called on every mapping before its merge keys (`<<`) are folded in: the keys as written.
            checked = self.__dict__.setdefault("_checked_mappings", {})
            if id(node) not in checked:
                checked[id(node)] = node  # kept alive, so that no other node takes its id
                _unique_keys(yaml, node)
            super().flatten_mapping(node)

    return KubectlLoader


def _unique_keys(yaml: Any, node: Any) -> None:
    """As kubectl's YAML reader: a key written twice in one mapping is an error, not "last wins"."""
    lines: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue
        if (key.tag, key.value) in lines:
            first = lines[(key.tag, key.value)]
            raise yaml.constructor.ConstructorError(
                None, None, f"mapping key {key.value!r} already defined at line {first + 1}", key.start_mark
            )
        lines[(key.tag, key.value)] = key.start_mark.line


def read_documents(file: str) -> list[Any]:
    """The documents of one file (None for an empty one); NetguardInputError when it cannot be read."""
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise NetguardInputError(f"cannot read: {exc}", source=file) from None
    documents = _json_documents(data, file)
    if documents is None:
        documents = _fast_yaml(data)
    if documents is None:
        documents = reference_documents(data, file)
    return documents


def _json_documents(data: bytes, file: str) -> list[Any] | None:
    start = data.lstrip()[:1]
    if start not in (b"{", b"["):
        return None
    try:
        return [json.loads(data, object_pairs_hook=_json_object, parse_constant=_no_constant)]
    except _JsonDuplicateKey as exc:
        raise NetguardInputError(f"unreadable JSON: {exc}", source=file) from None
    except (ValueError, RecursionError):
        return None  # not JSON (a YAML flow mapping, several documents): read as YAML


class _JsonDuplicateKey(Exception):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _JsonDuplicateKey(f"key {twice!r} written twice in one object")
    return mapping


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # json accepts NaN and Infinity; kubectl does not


def _fast_yaml(data: bytes) -> list[Any] | None:
    if os.environ.get("NETGUARD_YAML") == "pyyaml" or not yamlfast.available() or data.startswith(_BOMS):
        return None  # byte order marks and UTF-16: the reference detects them
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return yamlfast.fast_documents(text)


def reference_documents(data: bytes, file: str = "") -> list[Any]:
    """The documents as PyYAML reads them with kubectl's choices (bytes: UTF-8 or UTF-16 by the BOM)."""
    import yaml

    try:
        return list(yaml.load_all(data, Loader=kubectl_loader()))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise NetguardInputError(f"unreadable YAML: {problem}", source=file, field=where) from None
    except UnicodeDecodeError as exc:
        raise NetguardInputError(f"cannot read: {exc}", source=file) from None
    except (ValueError, TypeError, AttributeError) as exc:
        # PyYAML's constructors fail this way on explicitly tagged values (`!!int abc`, `!!float x`).
        problem = f"unreadable YAML: a tagged value cannot be read ({exc})"
        raise NetguardInputError(problem, source=file) from None
