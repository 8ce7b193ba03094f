"""Pods and their owners: the Pods of a cluster dump folded into the workload that stands for them.

``kubectl get -A -o yaml`` holds each Deployment, the ReplicaSets it owns and their Pods; a
CronJob, its Jobs and their Pods; a StatefulSet or a DaemonSet and its Pods. An object's owner is
its ``metadata.ownerReferences`` entry with ``controller: true`` (as np-guard's analyser reads it),
in its own namespace. An owned object (a Pod, a ReplicaSet, a Job) is folded into its owner's
endpoint, and so on up the chain, when no policy can tell them apart:
- its labels are the owner template's labels plus only the labels the owner's controller adds
  (``pod-template-hash``, ``controller-revision-hash``, ``job-name``, ...), and no selector of any
  policy of any layer names one of those added keys;
- its container ports, service account (the mesh identity) and every other endpoint field a
  verdict may read are the owner's;
- a Pod's IP lies in no IP block of any policy (ipBlock, a tier's networks, ...).
Then every verdict about it is the owner's, and the owner's endpoint is listed once with the ids it
stands for. Anything else (a Pod relabelled by hand, an old ReplicaSet of another template) stays
an endpoint of its own; so does every Pod when the caller asks for pod level.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Iterable, Optional

from .cidr import IPBlock
from .model import Endpoint
from .selectors import Requirement

# Labels a controller writes on the objects it creates beyond its template's, by controller kind.
_JOB_LABELS = frozenset({
    "controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/job-completion-index",
})
CONTROLLER_LABELS: Mapping[str, frozenset[str]] = {
    "Deployment": frozenset({"pod-template-hash"}),
    "ReplicaSet": frozenset({"pod-template-hash"}),
    "StatefulSet": frozenset({
        "controller-revision-hash", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
    }),
    "DaemonSet": frozenset({"controller-revision-hash", "pod-template-generation"}),
    "Job": _JOB_LABELS,
    "CronJob": _JOB_LABELS,
}


@dataclass(frozen=True)
class Owned:
    """What folding needs of one endpoint: its controller (kind, id) and its template's own labels."""

    controller: Optional[tuple[str, str]]
    labels: Mapping[str, str]


def controller_of(manifest: Mapping, namespace: str) -> Optional[tuple[str, str]]:
    """The (kind, id) of the object's controller, from ``metadata.ownerReferences``; None if none.

    An entry that is not well formed is no owner: the object stays an endpoint of its own.
    """
    metadata = manifest.get("metadata")
    references = metadata.get("ownerReferences") if isinstance(metadata, Mapping) else None
    if not isinstance(references, list):
        return None
    for reference in references:
        if isinstance(reference, Mapping) and reference.get("controller") is True:
            kind, name = reference.get("kind"), reference.get("name")
            if isinstance(kind, str) and isinstance(name, str) and name:
                return kind, f"{namespace}/{name}"
            return None
    return None


def fold(
    endpoints: Iterable[Endpoint], owned: Mapping[str, Owned], policies: Iterable[object]
) -> tuple[list[Endpoint], dict[str, tuple[str, ...]]]:
    """The endpoints that remain, and for each owner that stands for others the ids it stands for.

    ``policies``: the model's policies of every layer (NetworkPolicies, tier policies, ...); their
    selectors and IP blocks are found wherever they sit in them.
    """
    named, blocks = _label_keys_and_blocks(policies)
    covered = _AddressCover(blocks)
    by_id = {e.id: e for e in endpoints}
    top: dict[str, str] = {}

    def top_of(endpoint_id: str) -> str:
        if endpoint_id not in top:
            top[endpoint_id] = endpoint_id  # a cycle of owner references ends here
            parent = _foldable_into(by_id[endpoint_id], owned, by_id, named, covered)
            top[endpoint_id] = endpoint_id if parent is None else top_of(parent)
        return top[endpoint_id]

    stands_for: dict[str, list[str]] = {}
    for endpoint_id in by_id:
        target = top_of(endpoint_id)
        if target != endpoint_id:
            stands_for.setdefault(target, []).append(endpoint_id)
    kept = [e for e in by_id.values() if top_of(e.id) == e.id]
    return kept, {t: tuple(sorted(ids)) for t, ids in sorted(stands_for.items())}


def _foldable_into(
    child: Endpoint, owned: Mapping[str, Owned], by_id: Mapping[str, Endpoint], named: set[str],
    covered: "_AddressCover",
) -> Optional[str]:
    info = owned.get(child.id)
    if info is None or info.controller is None:
        return None
    kind, parent_id = info.controller
    parent, parent_info = by_id.get(parent_id), owned.get(parent_id)
    if parent is None or parent_info is None or parent.kind != kind:
        return None
    if any(getattr(parent, f) != getattr(child, f) for f in _SAME_AS_OWNER):
        return None  # ports, service account (the mesh identity), ...: what a verdict may read
    template = parent_info.labels
    if any(info.labels.get(k) != v for k, v in template.items()):
        return None
    added = info.labels.keys() - template.keys()
    if not added <= CONTROLLER_LABELS.get(kind, frozenset()) or added & named:
        return None
    if child.address is not None and covered.holds(child.address.version, int(child.address)):
        return None
    return parent_id


class _AddressCover:
    """The addresses some IP block matches (its except ranges left out, as the engine matches)."""

    def __init__(self, blocks: Iterable[IPBlock]) -> None:
        spans: dict[int, list[tuple[int, int]]] = {}
        for block in blocks:
            version, intervals = block.intervals()
            spans.setdefault(version, []).extend(intervals)
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version, found in spans.items():
            merged: list[list[int]] = []
            for lo, hi in sorted(found):
                if merged and lo <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            self._starts[version] = [lo for lo, _ in merged]
            self._ends[version] = [hi for _, hi in merged]

    def holds(self, version: int, address: int) -> bool:
        starts = self._starts.get(version, [])
        i = bisect_right(starts, address) - 1
        return i >= 0 and address <= self._ends[version][i]


_SCALARS = frozenset({str, int, float, bool, type(None)})
# Endpoint fields an owned object must share with its owner; its own id, name, kind, labels (compared
# above), IP (checked against the IP blocks) and source may differ. A field added later is compared.
_SAME_AS_OWNER = tuple(
    f.name for f in fields(Endpoint) if f.name not in {"id", "name", "kind", "labels", "ip", "source"}
)


def _label_keys_and_blocks(policies: Iterable[object]) -> tuple[set[str], list[IPBlock]]:
    """Every label key a selector of the policies names (of pods, namespaces or nodes: naming more
    keys only folds less; any layer's selector: a ``match_labels`` field or a requirement's ``key``)
    and every IP block, at any depth of the policies' values."""
    keys: set[str] = set()
    blocks: list[IPBlock] = []
    names: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once per type
    pending: list[Any] = list(policies)
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is IPBlock:
            blocks.append(value)
        elif kind is tuple or kind is list or kind is frozenset:
            pending.extend(value)
        elif kind in names or (is_dataclass(value) and not isinstance(value, type)):
            if kind not in names:
                names[kind] = tuple(f.name for f in fields(value))
            if kind is Requirement:
                keys.add(value.key)
            elif "match_labels" in names[kind]:
                keys.update(k for k, _ in value.match_labels)
            pending.extend(getattr(value, name) for name in names[kind])
    return keys, blocks


