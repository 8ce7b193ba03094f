"""Pods and their owners: the Pods of a cluster dump folded into the workload that stands for them.

``kubectl get -A -o yaml`` holds each Deployment, the ReplicaSets it owns and their Pods; a
CronJob, its Jobs and their Pods; a StatefulSet or a DaemonSet and its Pods. An object's owner is
its ``metadata.ownerReferences`` entry with ``controller: true`` (as np-guard's analyser reads it),
in its own namespace. An owned object (a Pod, a ReplicaSet, a Job) is folded into its owner's
endpoint, and so on up the chain, when no policy can tell them apart:
- its labels are the owner template's labels plus only the labels the owner's controller adds
  (``pod-template-hash``, ``controller-revision-hash``, ``job-name``, ...), and no selector of any
  policy names one of those added keys;
- its container ports are the template's;
- a Pod's IP lies in no policy's ipBlock.
Then every verdict about it is the owner's, and the owner's endpoint is listed once with the ids it
stands for. Anything else (a Pod relabelled by hand, an old ReplicaSet of another template) stays
an endpoint of its own; so does every Pod when the caller asks for pod level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from .model import Endpoint, NetworkPolicy

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
    endpoints: Iterable[Endpoint], owned: Mapping[str, Owned], policies: Iterable[NetworkPolicy]
) -> tuple[list[Endpoint], dict[str, tuple[str, ...]]]:
    """The endpoints that remain, and for each owner that stands for others the ids it stands for."""
    policies = tuple(policies)
    by_id = {e.id: e for e in endpoints}
    named = _selector_keys(policies)
    blocks = [peer.ip_block for p in policies for r in (*p.ingress, *p.egress) for peer in r.peers or ()
              if peer.ip_block is not None]
    top: dict[str, str] = {}

    def top_of(endpoint_id: str) -> str:
        if endpoint_id not in top:
            top[endpoint_id] = endpoint_id  # a cycle of owner references ends here
            parent = _foldable_into(by_id[endpoint_id], owned, by_id, named, blocks)
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
    child: Endpoint, owned: Mapping[str, Owned], by_id: Mapping[str, Endpoint], named: set[str], blocks: list
) -> Optional[str]:
    info = owned.get(child.id)
    if info is None or info.controller is None:
        return None
    kind, parent_id = info.controller
    parent, parent_info = by_id.get(parent_id), owned.get(parent_id)
    if parent is None or parent_info is None or parent.kind != kind or parent.ports != child.ports:
        return None
    template = parent_info.labels
    if any(info.labels.get(k) != v for k, v in template.items()):
        return None
    added = info.labels.keys() - template.keys()
    if not added <= CONTROLLER_LABELS.get(kind, frozenset()) or added & named:
        return None
    address = child.address
    if address is not None and any(address.version == b.cidr.version and address in b.cidr for b in blocks):
        return None
    return parent_id


def _selector_keys(policies: tuple[NetworkPolicy, ...]) -> set[str]:
    """Every label key a pod selector of the policies names (matchLabels and matchExpressions)."""
    selectors: list[Any] = [p.pod_selector for p in policies]
    selectors += [peer.pod_selector for p in policies for r in (*p.ingress, *p.egress) for peer in r.peers or ()]
    keys: set[str] = set()
    for selector in selectors:
        if selector is not None:
            keys.update(k for k, _ in selector.match_labels)
            keys.update(r.key for r in selector.expressions)
    return keys
