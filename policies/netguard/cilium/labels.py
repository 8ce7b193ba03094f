"""The labels Cilium selects an endpoint by, and how selector keys are written.

Cilium derives an endpoint's identity labels from the pod and its namespace: the pod's labels,
``io.kubernetes.pod.namespace``, each namespace label as ``io.cilium.k8s.namespace.labels.<key>``,
and the ServiceAccount as ``io.cilium.k8s.policy.serviceaccount``. A selector key may carry a
source prefix: ``k8s:`` and ``any:`` select these labels; ``reserved:`` names Cilium's reserved
identities (host, world, ...), which no pod carries.
"""

from __future__ import annotations

from typing import Mapping

from ..model import Endpoint

POD_NAMESPACE = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels."
SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount"
SOURCES = ("k8s:", "any:")


def endpoint_labels(endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    labels = dict(endpoint.labels)
    labels.update({NAMESPACE_LABELS + k: v for k, v in namespace_labels.items()})
    labels[POD_NAMESPACE] = endpoint.namespace
    labels[SERVICE_ACCOUNT] = endpoint.service_account or "default"
    return labels


def selector_key(key: str) -> str:
    """``k8s:app`` -> ``app``; a ``reserved:`` key is kept, so that no pod matches it."""
    for prefix in SOURCES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key
