"""Labels and selectors: how the components name a workload's pods and a namespace.

Every selector the components write comes from here, so a workload's pod labels and the policies
that select it can never drift apart.
"""

from __future__ import annotations

from netguard import labels

from .inventory import Inventory, WorkloadSpec

LABEL_LAYERS = labels.LAYERS
LAYER_BASELINE, LAYER_PLATFORM, LAYER_FLOW, LAYER_EGRESS = labels.LAYERS[:4]
LAYER_LOGGING = labels.LAYER_LOGGING
LAYER_MESH = labels.LAYER_MESH


def selector(workload: WorkloadSpec) -> dict[str, str]:
    """The labels that pick out one workload's pods in its namespace (names are unique there).

    Kept to the immutable part of the identity: a Deployment's selector cannot change in place.
    """
    return {labels.APP_NAME: workload.name, labels.ROLE: workload.role}


def role_selector(role: str) -> dict[str, str]:
    """Every pod of a role (in the namespace the peer's namespaceSelector names)."""
    return {labels.ROLE: role}


def pod_labels(inventory: Inventory, workload: WorkloadSpec) -> dict[str, str]:
    """The identity labels on a workload's pods (and on the workload object itself)."""
    return {
        **selector(workload),
        labels.DATA_CLASS: inventory.data_class_of(workload),
        labels.APP_PART_OF: inventory.part_of,
        labels.APP_MANAGED_BY: labels.MANAGED_BY,
    }


def namespace_selector(namespace: str) -> dict[str, dict[str, str]]:
    """Selects one namespace by the label the API server sets and no tenant can forge."""
    return {"matchLabels": {labels.NAMESPACE_NAME: namespace}}


def policy_metadata(name: str, namespace: str, layer: str, part_of: str) -> dict:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {
            labels.LAYER: layer,
            labels.APP_PART_OF: part_of,
            labels.APP_MANAGED_BY: labels.MANAGED_BY,
        },
    }


def k8s_ports(ports) -> list[dict]:
    """NetworkPolicy ports: exact numbers and protocols, never names (they resolve per pod)."""
    return [{"port": p.port, "protocol": p.protocol} for p in ports]


def datapath_ports(mesh) -> list[dict]:
    """The ports a mesh's own tunnel needs beside a flow's (ambient's HBONE 15008/TCP), or none."""
    return [{"port": port, "protocol": protocol} for port, protocol in (mesh.datapath_ports() if mesh else ())]
