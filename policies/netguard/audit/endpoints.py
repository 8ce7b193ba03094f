"""Mapping the pods of flows to the manifests' endpoints.

A flow's pod is, in this order: the Pod manifest of that name; the workload Hubble names in
``workloads`` (its kind and name); the workload whose name the pod's name extends as Kubernetes
names pods (``<deployment>-<hash>-<id>``, ``<statefulset>-<ordinal>``, ``<daemonset|job>-<id>``,
``<cronjob>-<time>-<id>``). A workload is taken only when the flow's labels include its pod
template's labels (when the flow has labels at all): a pod whose labels differ is not that
workload's, and is evaluated as what it is, an unknown pod with its own labels.

A flow end without a pod is its IP: a Pod manifest with that ``status.podIP``, else the internet
(``external/<IP>``), else, for Cilium's reserved identities (host, remote-node, kube-apiserver,
...), an unknown endpoint ``<identity>/<IP>``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Mapping, Optional

from ..model import EXTERNAL_NAMESPACE, Cluster, Endpoint, frozen_labels
from .hubble import Peer

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
_META_PREFIXES = ("io.kubernetes.", "io.cilium.", "pod-template-hash", "controller-revision-hash",
                  "statefulset.kubernetes.io/", "batch.kubernetes.io/", "controller-uid", "job-name",
                  "apps.kubernetes.io/")
_POD_SUFFIXES = (
    ("Deployment", re.compile(r"^(?P<name>.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$")),
    ("CronJob", re.compile(r"^(?P<name>.+)-\d{6,}-[a-z0-9]{5}$")),
    ("StatefulSet", re.compile(r"^(?P<name>.+)-\d+$")),
    ("DaemonSet", re.compile(r"^(?P<name>.+)-[a-z0-9]{5}$")),
    ("Job", re.compile(r"^(?P<name>.+)-[a-z0-9]{5}$")),
    ("ReplicaSet", re.compile(r"^(?P<name>.+)-[a-z0-9]{5}$")),
)


@dataclass(frozen=True)
class Resolved:
    id: str
    known: bool  # the manifests (or --external) define it
    endpoint: Optional[Endpoint] = None  # for an unknown or observed-only end: how to evaluate it


class EndpointMap:
    def __init__(self, cluster: Cluster, externals: set[str]) -> None:
        self.by_id = {e.id: e for e in cluster.endpoints}
        self.by_ip = {e.ip: e for e in cluster.endpoints if e.ip and not e.external}
        self.externals = externals  # ids given with --external

    def resolve(self, peer: Peer) -> Resolved:
        if peer.pod_name:
            return self._pod(peer)
        if peer.ip in self.by_ip:
            return Resolved(self.by_ip[peer.ip].id, True)
        address = _address(peer.ip)
        reserved = [label.partition(":")[2] for label in peer.labels if label.startswith("reserved:")]
        if address is not None and (not reserved or any(r.startswith("world") for r in reserved)):
            endpoint_id = f"{EXTERNAL_NAMESPACE}/{address}"
            endpoint = Endpoint(endpoint_id, EXTERNAL_NAMESPACE, str(address), "External", ip=str(address),
                                external=True, source="observed")
            return Resolved(endpoint_id, True, None if endpoint_id in self.by_id else endpoint)
        identity = reserved[0] if reserved else "unknown"
        endpoint_id = f"{identity}/{address}" if address is not None else identity
        endpoint = Endpoint(endpoint_id, identity, str(address or ""), "External",
                            ip=str(address) if address is not None else None, external=True, source="observed")
        return Resolved(endpoint_id, False, endpoint)

    def _pod(self, peer: Peer) -> Resolved:
        namespace = peer.namespace or "default"
        labels = _pod_labels(peer.labels)
        direct = self.by_id.get(f"{namespace}/{peer.pod_name}")
        if direct is not None and direct.kind == "Pod":
            return Resolved(direct.id, True)
        for kind, name in peer.workloads:
            found = self._workload(namespace, name, kind or None, labels, peer)
            if found is not None:
                return found
        for kind, pattern in _POD_SUFFIXES:
            m = pattern.match(peer.pod_name)
            if m:
                found = self._workload(namespace, m.group("name"), kind, labels, peer)
                if found is not None:
                    return found
        endpoint_id = f"{namespace}/{peer.pod_name}"
        endpoint = Endpoint(endpoint_id, namespace, peer.pod_name, "Pod", labels=frozen_labels(labels),
                            ip=None, source="observed")
        return Resolved(endpoint_id, False, endpoint)

    def _workload(self, namespace: str, name: str, kind: Optional[str], labels: Mapping[str, str],
                  peer: Peer) -> Optional[Resolved]:
        e = self.by_id.get(f"{namespace}/{name}")
        if e is None or e.external or e.kind not in WORKLOAD_KINDS or (kind and e.kind != kind):
            return None
        if peer.labels and not _carries(labels, e.labels):
            return None  # the pod's labels are not the template's: not this workload's pod
        return Resolved(e.id, True)


def _carries(pod: Mapping[str, str], template: Mapping[str, str]) -> bool:
    """No template label with another value on the pod, and at least one present (when there are any).

    Cilium leaves some label keys out of identities (its label filter), so a missing key is no
    proof; a different value is.
    """
    if any(k in pod and pod[k] != v for k, v in template.items()):
        return False
    return not template or any(k in pod for k in template)


def _pod_labels(labels: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for label in labels:
        source, _, rest = label.partition(":")
        if source != "k8s":
            continue
        key, _, value = rest.partition("=")
        if not key.startswith(_META_PREFIXES):
            out[key] = value
    return out


def _address(text: str):
    try:
        return ipaddress.ip_address(text) if text else None
    except ValueError:
        return None
