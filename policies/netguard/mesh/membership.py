"""Who is in the mesh, how, and under which identity.

A pod gets a sidecar from Istio's injection webhook when its namespace has
``istio-injection: enabled`` (or an ``istio.io/rev`` revision label and no ``istio-injection``
label), or when the pod has the label ``sidecar.istio.io/inject: "true"`` (or ``istio.io/rev``)
in a namespace not labelled ``istio-injection: disabled`` (the webhook's selectors). The webhook
then reads ``sidecar.istio.io/inject`` from the pod's label, else its annotation, lower-cased
(istio pkg/kube/inject ``injectRequired``): y, yes, true or on inject, empty or absent leaves the
namespace's default, and any other value opts the pod out. Otherwise it is captured by ambient's
ztunnel when its namespace or itself has ``istio.io/dataplane-mode: ambient`` and it does not opt
out with ``istio.io/dataplane-mode: none``; a sidecar wins over ambient. Everyone else, and every
address outside the cluster, is outside the mesh and speaks plaintext.

Identity is the pod's ServiceAccount: ``<trust domain>/ns/<namespace>/sa/<serviceAccountName>``.
"""

from __future__ import annotations

from typing import Mapping, Optional

from ..model import Endpoint
from .annotations import INJECT
from .model import TRUST_DOMAIN

SIDECAR = "sidecar"
AMBIENT = "ambient"
INJECTION = "istio-injection"
REVISION = "istio.io/rev"
POD_INJECT = INJECT  # a label and an annotation of the same name
INJECT_VALUES = ("y", "yes", "true", "on")
DATAPLANE_MODE = "istio.io/dataplane-mode"


def dataplane(endpoint: Endpoint, namespace_labels: Mapping[str, str]) -> Optional[str]:
    """``sidecar``, ``ambient`` or None (not in the mesh)."""
    if endpoint.external:
        return None
    if _injected(endpoint.labels, endpoint.annotations, namespace_labels):
        return SIDECAR
    pod_mode = endpoint.labels.get(DATAPLANE_MODE)
    if pod_mode == "none":
        return None
    if pod_mode == AMBIENT or namespace_labels.get(DATAPLANE_MODE) == AMBIENT:
        return AMBIENT
    return None


def _injected(labels: Mapping[str, str], annotations: Mapping[str, str], namespace_labels: Mapping[str, str]) -> bool:
    namespace_says = namespace_labels.get(INJECTION)
    pod_says = (labels[POD_INJECT] if POD_INJECT in labels else annotations.get(POD_INJECT, "")).lower()
    if pod_says and pod_says not in INJECT_VALUES:
        return False
    if namespace_says == "enabled" or (namespace_says is None and REVISION in namespace_labels):
        return True
    return namespace_says != "disabled" and (labels.get(POD_INJECT) == "true" or REVISION in labels)


def principal(endpoint: Endpoint) -> Optional[str]:
    """The SPIFFE identity Istio writes in principals (without ``spiffe://``); None outside the cluster."""
    if endpoint.external or endpoint.service_account is None:
        return None
    return f"{TRUST_DOMAIN}/ns/{endpoint.namespace}/sa/{endpoint.service_account}"
